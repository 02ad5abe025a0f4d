"""The coordination pages: every one renders for the case manager; a refused POST answers 400 with the message
beside its field and changes nothing; read-only roles are refused change pages (403); people without a
relationship with the patient get 404 everywhere, the same as for a record that does not exist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.coordination.actions import do_create_task, do_raise_flag, do_request_closure
from careconductor.coordination.models import (
    ClosureRequest,
    Contact,
    Flag,
    OutreachAttempt,
    Task,
    TaskReassignment,
    TimeEntry,
)
from careconductor.core import clock
from careconductor.patients.models import CareTeamMember

from ..personas import World, build_world, make_staff
from .test_followup_actions import at, enrol, log

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2027, 3, 2)


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(at(TUESDAY, 10), tick=False) as t:
        yield t


@pytest.fixture
def world(db: None, traveller: time_machine.Traveller) -> World:
    return build_world()


@dataclass
class Scene:
    task: Task
    queued: Task
    flag: Flag
    dana: CareTeamMember  # Dana's membership of Paula's care team


@pytest.fixture
def scene(world: World) -> Scene:
    world.paula_case = enrol(world, world.paula_case)
    task = do_create_task(
        world.alice, world.paula, owner=world.alice, title="Call the pharmacy", due_at=at(TUESDAY, 17)
    )
    queued = do_create_task(
        world.alice, world.paula, team=world.north, title="Book transport", due_at=at(TUESDAY, 17)
    )
    flag = do_raise_flag(world.alice, world.paula, text="Fell at home", rule="test-falls")
    return Scene(task, queued, flag, CareTeamMember.objects.get(patient=world.paula, user=world.dana))


def url(name: str, *args: int) -> str:
    return reverse(f"coordination:{name}", args=args)


# --- Every page renders ------------------------------------------------------------------------------------------
def test_every_page_renders_for_the_case_manager(world: World, scene: Scene, login) -> None:
    client = login(world.alice)
    pid, cid = world.paula.pk, world.paula_case.pk
    pages = {
        url("worklist"): "My worklist",
        url("contacts", pid): "Log a contact or an attempt",
        url("time", pid): "Paula",
        url("new_task", pid): "What needs doing",
        url("task", scene.task.pk): "Call the pharmacy",
        url("task", scene.queued.pk): "Book transport",
        url("care_team", pid): "Dana Tester",
        url("close_case", cid): "Closing summary",
    }
    for page, text in pages.items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert text in response.content.decode(), page
    team = login(world.sam).get(url("team"))
    assert team.status_code == 200 and "Alice Tester" in team.content.decode()


def test_the_close_page_shows_the_request_to_the_supervisor_only(world: World, scene: Scene, login) -> None:
    do_request_closure(world.alice, world.paula_case, reason="goals_met", summary="Goals met; PCP follows.")
    alices = login(world.alice).get(url("close_case", world.paula_case.pk)).content.decode()
    assert "Waiting for the supervisor" in alices and "Record decision" not in alices
    sams = login(world.sam).get(url("close_case", world.paula_case.pk)).content.decode()
    assert "Goals met; PCP follows." in sams and "Record decision" in sams


# --- A refused POST --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """A POST the page must refuse: who posts, what, which field the message belongs to, what must not change."""

    who: str
    path: Callable[[World, Scene], str]
    data: Callable[[World, Scene], dict[str, Any]]
    field: str
    unchanged: Callable[[World, Scene], Any]


def contact_form(**changes: Any) -> dict[str, Any]:
    form = {
        "reached": "yes",
        "contact_at": f"{TUESDAY:%Y-%m-%d}T09:30",
        "mode": "phone",
        "direction": "outbound",
        "party": "patient",
        "minutes": "12",
        "meds_taken": "",
        "teach_back": "",
    }
    return {**form, **changes}


def rows(model: type[Model]) -> Callable[[World, Scene], int]:
    return lambda w, s: model._default_manager.count()


REFUSALS = {
    # An action's refusal (the contact is an hour in the future) and a form's (no minutes).
    "contact in the future": Refusal(
        "alice",
        lambda w, s: url("contacts", w.paula.pk),
        lambda w, s: contact_form(contact_at=f"{TUESDAY:%Y-%m-%d}T11:00"),
        "contact_at",
        rows(Contact),
    ),
    "contact without minutes": Refusal(
        "alice",
        lambda w, s: url("contacts", w.paula.pk),
        lambda w, s: contact_form(minutes=""),
        "minutes",
        rows(Contact),
    ),
    "contact with teach-back but no education": Refusal(
        "alice",
        lambda w, s: url("contacts", w.paula.pk),
        lambda w, s: contact_form(teach_back="confirmed"),
        "education",
        rows(Contact),
    ),
    # A contact and its follow-up task are one action: a refused follow-up keeps the contact out too (issue 17).
    "contact whose follow-up is due yesterday": Refusal(
        "alice",
        lambda w, s: url("contacts", w.paula.pk),
        lambda w, s: contact_form(
            follow_up_title="Call back", follow_up_due=f"{TUESDAY - dt.timedelta(days=1)}"
        ),
        "follow_up_due",
        lambda w, s: (Contact.objects.count(), Task.objects.count()),
    ),
    "contact whose follow-up is due in the year 9999": Refusal(
        "alice",
        lambda w, s: url("contacts", w.paula.pk),
        lambda w, s: contact_form(follow_up_title="Call back", follow_up_due="9999-12-31"),
        "follow_up_due",
        lambda w, s: (Contact.objects.count(), Task.objects.count()),
    ),
    "time of no minutes": Refusal(
        "alice",
        lambda w, s: url("time", w.paula.pk),
        lambda w, s: {"on": f"{TUESDAY}", "activity": "records", "minutes": "0"},
        "minutes",
        rows(TimeEntry),
    ),
    "time tomorrow": Refusal(
        "alice",
        lambda w, s: url("time", w.paula.pk),
        lambda w, s: {"on": f"{TUESDAY + dt.timedelta(days=1)}", "activity": "records", "minutes": "10"},
        "on",
        rows(TimeEntry),
    ),
    "task without a title": Refusal(
        "alice",
        lambda w, s: url("new_task", w.paula.pk),
        lambda w, s: {
            "title": "",
            "assignee": f"user:{w.alice.pk}",
            "priority": "routine",
            "due_at": f"{TUESDAY}T17:00",
        },
        "title",
        rows(Task),
    ),
    "task for someone in another organisation": Refusal(
        "alice",
        lambda w, s: url("new_task", w.paula.pk),
        lambda w, s: {
            "title": "Call",
            "assignee": f"user:{w.charlie.pk}",
            "priority": "routine",
            "due_at": f"{TUESDAY}T17:00",
        },
        "assignee",
        rows(Task),
    ),
    "outside member without a way to reach them": Refusal(
        "alice",
        lambda w, s: url("care_team", w.paula.pk),
        lambda w, s: {
            "member": "",
            "name": "Rosa Reyes",
            "category": "caregiver",
            "role": "Daughter",
            "start_date": f"{TUESDAY}",
        },
        "phone",
        rows(CareTeamMember),
    ),
    "empty task note": Refusal(
        "alice",
        lambda w, s: url("task_note", s.task.pk),
        lambda w, s: {"note": " "},
        "note",
        lambda w, s: Task.objects.get(pk=s.task.pk).note,
    ),
    "hand-over without a reason": Refusal(
        "alice",
        lambda w, s: url("task_reassign", s.task.pk),
        lambda w, s: {"assignee": f"user:{w.sam.pk}", "reason": ""},
        "reason",
        rows(TaskReassignment),
    ),
    "hand-over to nobody": Refusal(
        "alice",
        lambda w, s: url("task_reassign", s.task.pk),
        lambda w, s: {"assignee": "user:999999", "reason": "Leave"},
        "assignee",
        rows(TaskReassignment),
    ),
    "closing without a summary": Refusal(
        "alice",
        lambda w, s: url("close_case", w.paula_case.pk),
        lambda w, s: {"reason": "goals_met", "summary": ""},
        "summary",
        rows(ClosureRequest),
    ),
    "closing for another reason left undescribed": Refusal(
        "alice",
        lambda w, s: url("close_case", w.paula_case.pk),
        lambda w, s: {"reason": "other", "reason_other": "", "summary": "Done"},
        "reason_other",
        rows(ClosureRequest),
    ),
    "closing as unable to reach before the protocol": Refusal(
        "alice",
        lambda w, s: url("close_case", w.paula_case.pk),
        lambda w, s: {"reason": "unable_to_reach", "summary": "Never answered"},
        "reason",
        rows(ClosureRequest),
    ),
}


def _post(login: Any, world: World, scene: Scene, case: Refusal) -> tuple[Any, Any, Any]:
    client = login(getattr(world, case.who))
    before = case.unchanged(world, scene)
    response = client.post(case.path(world, scene), case.data(world, scene))
    return response, before, case.unchanged(world, scene)


@pytest.mark.parametrize("name", list(REFUSALS))
def test_a_refused_post_shows_the_message_beside_its_field_and_changes_nothing(
    world: World, scene: Scene, login, name: str
) -> None:
    response, before, after = _post(login, world, scene, REFUSALS[name])
    assert response.status_code in (200, 400)  # re-rendered, not redirected as after a success
    assert f'id="id_{REFUSALS[name].field}_error"' in response.content.decode()
    assert after == before


@pytest.mark.parametrize(
    "name",
    list(REFUSALS),
)
def test_a_refused_post_answers_400(world: World, scene: Scene, login, name: str) -> None:
    response, before, after = _post(login, world, scene, REFUSALS[name])
    assert response.status_code == 400
    assert after == before


def test_a_refused_decision_needs_a_comment_beside_its_field(world: World, scene: Scene, login) -> None:
    request = do_request_closure(world.alice, world.paula_case, reason="goals_met", summary="Done")
    assert isinstance(request, ClosureRequest)
    response = login(world.sam).post(url("decide_closure", world.paula_case.pk), {"decision": "return"})
    assert response.status_code == 400
    assert 'id="id_comment_error"' in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_protocol_step_out_of_order_is_refused_beside_the_step(
    world: World, scene: Scene, login, traveller: time_machine.Traveller
) -> None:
    for n, hour in ((1, 9), (2, 14), (3, 19)):  # three days, three times of day: the protocol begins
        traveller.move_to(at(TUESDAY + dt.timedelta(days=n), hour, 5))
        log(world.alice, world.paula, at(TUESDAY + dt.timedelta(days=n), hour), reached=False)
    client = login(world.alice)
    page = client.get(url("close_case", world.paula_case.pk)).content.decode()
    assert "next step, send a letter" in page
    refused = client.post(url("outreach", world.paula_case.pk), {"step": "pcp", "note": "Faxed"})
    assert refused.status_code == 400
    assert 'id="id_step_error"' in refused.content.decode() and "send a letter" in refused.content.decode()
    assert OutreachAttempt.objects.count() == 0
    done = client.post(url("outreach", world.paula_case.pk), {"step": "letter", "note": "Mailed home"})
    assert done.status_code == 302
    assert list(OutreachAttempt.objects.values_list("step", "note", "done_by")) == [
        ("letter", "Mailed home", world.alice.pk)
    ]


def test_a_good_contact_from_the_worklist_goes_back_to_it(world: World, scene: Scene, login) -> None:
    client = login(world.alice)
    response = client.post(
        url("contacts", world.paula.pk), {**contact_form(), "case": world.paula_case.pk, "next": "/worklist/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/worklist/")
    contact = Contact.objects.get()
    assert (contact.reached, contact.minutes, contact.case_id, contact.staff) == (
        True,
        12,
        world.paula_case.pk,
        world.alice,
    )
    evil = client.post(url("contacts", world.paula.pk), {**contact_form(), "next": "https://evil.example/"})
    assert evil["Location"] == url("contacts", world.paula.pk)


# --- Read-only roles ---------------------------------------------------------------------------------------------
def test_a_care_team_member_logs_contacts_and_time_but_changes_nothing_else(
    world: World, scene: Scene, login
) -> None:
    """Dana (a physician on Paula's care team) does her discipline's share (privacy.policy.CARE_TEAM_WORK,
    issue 17 §4); the case's own work stays with the case staff."""
    client = login(world.dana)
    pid, cid = world.paula.pk, world.paula_case.pk
    contacts = client.get(url("contacts", pid))
    assert contacts.status_code == 200 and "Log a contact or an attempt" in contacts.content.decode()
    assert client.post(url("contacts", pid), contact_form()).status_code == 302
    assert (
        client.post(
            url("time", pid), {"on": f"{TUESDAY}", "activity": "records", "minutes": "10"}
        ).status_code
        == 302
    )
    assert Contact.objects.filter(staff=world.dana).count() == 1
    assert TimeEntry.objects.filter(staff=world.dana, minutes=10).count() == 1
    assert client.get(url("care_team", pid)).status_code == 200
    assert client.get(url("task", scene.task.pk)).status_code == 200
    before = (
        Contact.objects.count(),
        TimeEntry.objects.count(),
        Task.objects.count(),
        list(CareTeamMember.objects.values_list("pk", "is_lead", "end_date")),
        OutreachAttempt.objects.count(),
        ClosureRequest.objects.count(),
    )
    refused = {
        url("new_task", pid): {
            "title": "x",
            "assignee": f"user:{world.dana.pk}",
            "priority": "routine",
            "due_at": f"{TUESDAY}T17:00",
        },
        url("care_team", pid): {
            "name": "Rosa",
            "phone": "1",
            "category": "caregiver",
            "role": "Daughter",
            "start_date": f"{TUESDAY}",
        },
        url("end_member", scene.dana.pk): {"end_date": f"{TUESDAY}", "reason": "Leaving"},
        url("lead_member", scene.dana.pk): {},
        url("close_case", cid): {"reason": "goals_met", "summary": "Done"},
        url("outreach", cid): {"step": "letter", "note": "Mailed"},
        url("decide_closure", cid): {"decision": "approve"},
    }
    for path, data in refused.items():
        assert client.post(path, data).status_code == 403, path
    assert client.get(url("new_task", pid)).status_code == 403
    after = (
        Contact.objects.count(),
        TimeEntry.objects.count(),
        Task.objects.count(),
        list(CareTeamMember.objects.values_list("pk", "is_lead", "end_date")),
        OutreachAttempt.objects.count(),
        ClosureRequest.objects.count(),
    )
    assert after == before


# --- Strangers ---------------------------------------------------------------------------------------------------
def patient_pages(world: World, scene: Scene) -> list[tuple[str, str, dict[str, Any]]]:
    """Every coordination page about Paula, with a POST that would change something were it allowed."""
    pid, cid = world.paula.pk, world.paula_case.pk
    return [
        ("get", url("contacts", pid), {}),
        ("post", url("contacts", pid), contact_form()),
        ("get", url("time", pid), {}),
        ("post", url("time", pid), {"on": f"{TUESDAY}", "activity": "records", "minutes": "10"}),
        ("get", url("new_task", pid), {}),
        ("get", url("care_team", pid), {}),
        ("post", url("care_team", pid), {"name": "R", "phone": "1", "category": "other", "role": "x"}),
        ("get", url("task", scene.task.pk), {}),
        ("post", url("task_note", scene.task.pk), {"note": "hello"}),
        ("post", url("task_reassign", scene.task.pk), {"assignee": "user:1", "reason": "x"}),
        ("post", url("task_claim", scene.queued.pk), {}),
        ("post", url("move_task", scene.task.pk), {"status": "completed"}),
        ("post", url("acknowledge_flag", scene.flag.pk), {"note": "seen"}),
        ("post", url("end_member", scene.dana.pk), {"end_date": f"{TUESDAY}", "reason": "x"}),
        ("post", url("lead_member", scene.dana.pk), {}),
        ("get", url("close_case", cid), {}),
        ("post", url("close_case", cid), {"reason": "goals_met", "summary": "Done"}),
        ("post", url("outreach", cid), {"step": "letter", "note": "x"}),
    ]


def snapshot() -> tuple[Any, ...]:
    return (
        Contact.objects.count(),
        TimeEntry.objects.count(),
        list(Task.objects.order_by("pk").values_list("owner", "status", "note")),
        list(Flag.objects.values_list("status", flat=True)),
        list(CareTeamMember.objects.values_list("pk", "is_lead", "end_date")),
        ClosureRequest.objects.count(),
        OutreachAttempt.objects.count(),
    )


@pytest.mark.parametrize("who", ["bob", "eve", "charlie"])
def test_a_stranger_gets_404_on_every_patient_page(world: World, scene: Scene, login, who: str) -> None:
    """Bob: team North, no relationship with Paula; Eve: on no team; Charlie: another organisation."""
    eve = make_staff("eve", Role.CASE_MANAGER, world.riverside, capacity=60)
    client: Client = login(eve if who == "eve" else getattr(world, who))
    before = snapshot()
    for method, path, data in patient_pages(world, scene):
        response = getattr(client, method)(path, data)
        assert response.status_code == 404, (method, path)
    assert snapshot() == before


def test_a_supervisor_of_another_team_gets_404_on_the_closure_decision(
    world: World, scene: Scene, login
) -> None:
    do_request_closure(world.alice, world.paula_case, reason="goals_met", summary="Done")
    lena = User.objects.get(username="lena")  # supervisor at Lakeside
    client = login(lena)
    assert client.post(url("decide_closure", world.paula_case.pk), {"decision": "approve"}).status_code == 404
    assert client.get(url("close_case", world.paula_case.pk)).status_code == 404
    assert ClosureRequest.objects.get().status == "pending"
    assert clock.today() == TUESDAY


@pytest.mark.parametrize("form", ["reset", "remove-holiday"])
@pytest.mark.parametrize("raw", ["abc", "", "999999", "-1"])
def test_removing_a_setting_with_a_bad_id_is_not_found(world: World, login, form: str, raw: str) -> None:
    response = login(world.adam).post(reverse("coordination:follow_up_settings"), {"form": form, "id": raw})
    assert response.status_code == 404


def test_a_contact_with_a_follow_up_makes_the_task_for_oneself_due_that_evening(
    world: World, scene: Scene, login
) -> None:
    tomorrow = TUESDAY + dt.timedelta(days=1)
    response = login(world.alice).post(
        url("contacts", world.paula.pk),
        contact_form(follow_up_title="Call back about the refill", follow_up_due=f"{tomorrow}"),
    )
    assert response.status_code == 302
    contact = Contact.objects.get(patient=world.paula)
    task = Task.objects.get(title="Call back about the refill")
    assert (task.owner, task.kind, task.focus) == (world.alice, "follow-up", f"Communication/{contact.pk}")
    local_due = timezone.localtime(task.due_at)
    assert (local_due.date(), local_due.hour) == (tomorrow, 17)
