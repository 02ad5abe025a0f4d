"""Task through the FHIR API: work items for staff about a patient, such as the urgent same-day follow-ups a
PHQ-9 item 9 above 0 raises, owned by a person or waiting in a team's queue. Read-only: tasks move on the
screens."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from careconductor.coordination.actions import (
    do_claim_task,
    do_create_task,
    do_escalate_overdue_tasks,
    do_move_task,
    do_reassign_task,
)
from careconductor.coordination.choices import TaskKind, TaskPriority, TaskStatus
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record

from .conftest import query_count

pytestmark = pytest.mark.django_db

TASK_KIND = "https://careconductor.org/fhir/CodeSystem/task-kind"
BUSINESS_STATUS = "https://careconductor.org/fhir/CodeSystem/task-business-status"


@pytest.fixture
def assessment(world):
    return record(world.alice, world.paula, "phq-9", phq9_answers(8, item9=1))


@pytest.fixture
def urgent(world, assessment):
    return Task.objects.get(patient=world.paula, owner=world.alice)


@pytest.fixture
def routine(world):
    return do_create_task(
        world.alice,
        world.paula,
        owner=world.bob,
        title="Book a ride to the cardiology visit",
        due_at=clock.now() + dt.timedelta(days=3),
    )


def test_a_rule_raised_task_shows_its_focus_owner_and_due_time(world, api, assessment, urgent):
    reply = api(world.alice).get(f"Task/{urgent.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["status"], body["intent"], body["priority"]) == ("requested", "order", "urgent")
    assert body["code"] == {
        "coding": [{"system": TASK_KIND, "code": "safety-check", "display": "Same-day safety follow-up"}],
        "text": "Same-day safety follow-up",
    }
    assert body["description"] == urgent.title
    assert body["focus"] == {"reference": f"QuestionnaireResponse/{assessment.pk}"}
    assert body["for"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["owner"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["requester"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["restriction"] == {"period": {"end": urgent.due_at.isoformat()}}
    assert body["authoredOn"] == urgent.created_at.isoformat()
    assert body["lastModified"] == urgent.updated_at.isoformat()
    assert body["note"][0]["text"] == urgent.description
    assert "executionPeriod" not in body
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Task", object_id=str(urgent.pk)
    ).exists()


def test_a_completed_task_has_its_end_and_notes(world, api, routine):
    do_move_task(world.alice, routine, TaskStatus.COMPLETED, note="Ride booked for 9 am.")
    routine.refresh_from_db()
    body = api(world.alice).get(f"Task/{routine.pk}").body
    assert body["status"] == "completed"
    assert body["executionPeriod"] == {"end": routine.completed_at.isoformat()}
    assert body["note"][-1]["text"].endswith("Ride booked for 9 am.")
    assert "focus" not in body


def test_search_by_each_parameter(world, api, assessment, urgent, routine):
    alice = api(world.alice)
    paula = world.paula.pk
    by_sam = str(Task.objects.get(patient=world.paula, owner=world.sam).pk)
    every = sorted([str(urgent.pk), by_sam, str(routine.pk)])

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Task?{query}"))

    assert ids(f"patient={paula}") == every
    assert ids(f"subject=Patient/{paula}") == every
    assert ids(f"owner=Practitioner/{world.alice.pk}") == [str(urgent.pk)]
    assert ids(f"owner={world.bob.pk}") == [str(routine.pk)]
    assert ids(f"requester=Practitioner/{world.alice.pk}") == every
    assert ids("status=requested") == every
    assert ids("status=completed") == []
    assert ids("priority=urgent") == sorted([str(urgent.pk), by_sam])
    assert ids("priority=http://hl7.org/fhir/request-priority|routine") == [str(routine.pk)]
    assert ids("priority=whenever") == []
    assert ids(f"code={TASK_KIND}|safety-check") == sorted([str(urgent.pk), by_sam])
    assert ids("code=other") == [str(routine.pk)]
    assert ids(f"focus=QuestionnaireResponse/{assessment.pk}") == sorted([str(urgent.pk), by_sam])
    assert ids("focus=QuestionnaireResponse/999999") == []
    today = clock.today().isoformat()
    assert ids(f"authored-on={today}") == every
    assert ids(f"modified=lt{today}") == []
    assert ids(f"_id={routine.pk}") == [str(routine.pk)]
    assert ids("business-status=escalated") == []
    assert ids("business-status:not=escalated") == every


def test_include_brings_in_the_owner(world, api, urgent):
    reply = api(world.alice).get(f"Task?_id={urgent.pk}&_include=Task:owner")
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("Practitioner", str(world.alice.pk))]


def test_an_unknown_parameter_is_refused(world, api):
    reply = api(world.alice).get("Task?group-identifier=x")
    assert reply.status == 400
    assert reply.issue_paths() == ["group-identifier"]


def test_a_stranger_sees_nothing(world, api, urgent):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"Task/{urgent.pk}").status == 404
        assert not stranger.search(f"Task?patient={world.paula.pk}")
        assert not stranger.search("Task?priority=urgent")
    assert not api(world.charlie).search("Task")


def test_coordination_tasks_are_not_created_through_the_api(world, api, urgent):
    alice = api(world.alice)
    body = alice.get(f"Task/{urgent.pk}").body
    made = alice.post(
        "Task", body
    )  # only prior-authorisation Tasks are created here (tests/um/test_task_intake.py)
    assert made.status == 422 and made.issue_paths() == ["Task.code"]


def test_a_partner_reports_progress_on_a_task_as_on_the_screens(world, api, routine):
    bob = api(world.bob)  # the task's owner
    body = bob.get(f"Task/{routine.pk}").body
    started = bob.put(f"Task/{routine.pk}", {**body, "status": "in-progress",
                                              "note": [*body.get("note", []), {"text": "Ride company called"}]})  # fmt: skip
    assert started.status == 200, started.body
    routine.refresh_from_db()
    assert routine.status == "in-progress" and "Ride company called" in routine.note
    noted = bob.put(
        f"Task/{routine.pk}", {**started.body, "note": [*started.body["note"], {"text": "Booked for 9:00"}]}
    )
    assert noted.status == 200 and noted.body["note"][-1]["text"].endswith("Booked for 9:00")
    done = bob.put(f"Task/{routine.pk}", {**noted.body, "status": "completed"})
    assert done.status == 200 and done.body["executionPeriod"]["end"]
    # Done, the task no longer gives Bob the need to know (privacy.policy): the case manager sees it, and a
    # finished task does not reopen (coordination.rules' transition table).
    assert bob.get(f"Task/{routine.pk}").status == 404
    alice = api(world.alice)
    back = alice.put(f"Task/{routine.pk}", {**alice.get(f"Task/{routine.pk}").body, "status": "requested"})
    assert back.status == 422, back.body
    routine.refresh_from_db()
    assert routine.status == "completed"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"description": "Something else"}, "Task.description"),
        ({"owner": {"reference": "Practitioner/1"}}, "Task.owner"),
        ({"priority": "stat"}, "Task.priority"),
        ({"note": []}, "Task.note"),  # notes are never taken away
        ({"status": "dancing"}, "Task.status"),
    ],
)
def test_what_a_task_is_and_who_does_it_change_on_the_screens(world, api, routine, change, path):
    alice = api(world.alice)
    body = alice.get(f"Task/{routine.pk}").body
    if path == "Task.note" and not body.get("note"):
        body = alice.put(f"Task/{routine.pk}", {**body, "note": [{"text": "A first note"}]}).body
    answer = alice.put(f"Task/{routine.pk}", {**body, **change})
    assert answer.status == 422 and answer.issue_paths() == [path], answer.body
    assert alice.get(f"Task/{routine.pk}").body == body


def test_strangers_cannot_change_a_task(world, api, routine):
    body = api(world.alice).get(f"Task/{routine.pk}").body
    assert api(world.charlie).put(f"Task/{routine.pk}", {**body, "status": "completed"}).status == 404
    routine.refresh_from_db()
    assert routine.status == "requested"


def test_a_page_costs_the_same_queries_however_many_tasks(world, api, routine):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Task?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    record(world.alice, world.paula, "phq-9", phq9_answers(8, item9=1))
    do_create_task(
        world.sam,
        world.paula,
        owner=world.dana,
        title="Review medications",
        due_at=clock.now() + dt.timedelta(days=1),
        kind=TaskKind.PHYSICIAN_REVIEW,
        priority=TaskPriority.ASAP,
    )
    assert query_count(lambda: page_has(4)) == one


# --- team queues ---------------------------------------------------------------------------------------------


@pytest.fixture
def queued(world):
    return do_create_task(
        world.alice,
        world.paula,
        team=world.north,
        title="Call the pharmacy about the insulin refill",
        due_at=clock.now() + dt.timedelta(days=1),
    )


def test_a_queued_task_is_owned_by_the_team(world, api, queued):
    body = api(world.alice).get(f"Task/{queued.pk}").body
    assert body["owner"] == {"reference": f"Organization/team-{world.north.pk}", "display": "North queue"}
    # The reference resolves: the team is served as an Organization.
    team = api(world.alice).get(f"Organization/team-{world.north.pk}")
    assert team.status == 200 and team.body["name"] == "North"


def test_owner_search_finds_a_persons_tasks_and_a_teams_queue(world, api, queued, routine):
    alice = api(world.alice)

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Task?{query}"))

    north = world.north.pk
    assert ids(f"owner=Organization/team-{north}") == [str(queued.pk)]
    assert ids(f"owner=team-{north}") == [str(queued.pk)]
    assert ids(f"owner:Organization=team-{north}") == [str(queued.pk)]
    assert ids(f"owner=Organization/team-{north + 1000}") == []
    assert ids(f"owner=Organization/{world.riverside.pk}") == []
    assert ids(f"owner=Practitioner/{world.bob.pk}") == [str(routine.pk)]
    assert ids(f"owner:Practitioner={world.bob.pk}") == [str(routine.pk)]
    assert ids(f"owner:Organization={world.bob.pk}") == []
    assert ids(f"owner=Practitioner/{world.bob.pk},Organization/team-{north}") == sorted(
        [str(queued.pk), str(routine.pk)]
    )
    assert ids(f"owner=Organization/team-{north}&status=requested") == [str(queued.pk)]

    # Claimed from the queue, the task is alice's.
    do_claim_task(world.alice, queued)
    assert ids(f"owner=Organization/team-{north}") == []
    assert ids(f"owner=Practitioner/{world.alice.pk}") == [str(queued.pk)]
    assert alice.get(f"Task/{queued.pk}").body["owner"]["reference"] == f"Practitioner/{world.alice.pk}"


def test_include_of_the_owner_brings_in_people_not_queues(world, api, queued, routine):
    reply = api(world.alice).get(f"Task?_id={queued.pk},{routine.pk}&_include=Task:owner")
    assert reply.status == 200
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("Practitioner", str(world.bob.pk))]


def test_a_stranger_does_not_see_the_queue_of_tasks_about_paula(world, api, queued):
    for user in (world.bob, world.charlie):
        assert not api(user).search(f"Task?owner=Organization/team-{world.north.pk}")


# --- due time, period (executionPeriod) and escalation -------------------------------------------------------


def test_due_searches_the_due_time_and_period_the_time_it_was_done(world, api, routine):
    alice = api(world.alice)

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Task?{query}"))

    due = timezone.localdate(routine.due_at)
    later = (due + dt.timedelta(days=2)).isoformat()
    before = (due - dt.timedelta(days=2)).isoformat()
    mine = [str(routine.pk)]
    assert ids(f"due=lt{later}") == mine
    assert ids(f"due=le{later}") == mine
    assert ids(f"due=gt{before}") == mine
    assert ids(f"due=ge{later}") == []
    assert ids(f"due=lt{before}") == []
    assert ids(f"due={due.year}") == mine
    assert ids("due=eq2001-01-01") == []
    # Not done yet: no executionPeriod, so no period matches.
    assert ids("period=ge2000-01-01") == []
    assert ids("period=le2999-01-01") == []

    done_at = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
    with time_machine.travel(done_at, tick=False):
        do_move_task(world.alice, routine, TaskStatus.COMPLETED)
    body = alice.get(f"Task/{routine.pk}").body
    assert body["executionPeriod"] == {"end": "2026-11-23T15:30:00+00:00"}
    # Done, by the moved clock, before it was written: a lastModified before authoredOn is no valid R4 (inv-1).
    assert "lastModified" not in body
    assert ids("period=2026-11-23T15:30Z") == mine
    assert ids("period=eq2026-11") == mine
    assert ids("period=ge2026-11-23T15:30:00Z") == mine
    assert ids("period=gt2026-11-23T15:30:00Z") == []
    assert ids("period=le2026-11-23T15:30:00Z") == mine
    assert ids("period=lt2026-11-23T15:30:00Z") == []
    assert ids("period=ge2026-11-24T00:00Z") == []
    assert ids("period=ne2026-11-23T15:30Z") == []
    assert ids("period=2026-12-01") == []
    assert ids("period=ge2026-11-01&period=lt2026-12-01&status=completed") == mine


def test_a_bad_period_is_refused(world, api):
    reply = api(world.alice).get("Task?period=ge2026-13-01")
    assert reply.status == 400
    reply = api(world.alice).get("Task?due=tomorrow")
    assert reply.status == 400


def test_sort_by_due_and_by_period(world, api, routine, queued):
    alice = api(world.alice)
    assert [r["id"] for r in alice.search("Task?_sort=due")] == [str(queued.pk), str(routine.pk)]
    assert [r["id"] for r in alice.search("Task?_sort=-due")] == [str(routine.pk), str(queued.pk)]
    do_move_task(world.alice, queued, TaskStatus.COMPLETED)
    done = alice.search("Task?_sort=period&status=completed")
    assert [r["id"] for r in done] == [str(queued.pk)]


def test_an_overdue_task_escalated_to_the_supervisor_says_so(world, api):
    late = do_create_task(
        world.alice,
        world.paula,
        owner=world.bob,
        title="Send the discharge summary to the PCP",
        due_at=clock.now() - dt.timedelta(days=3),
    )
    alice = api(world.alice)
    assert "businessStatus" not in alice.get(f"Task/{late.pk}").body
    assert do_escalate_overdue_tasks() >= 1
    body = alice.get(f"Task/{late.pk}").body
    assert body["businessStatus"] == {
        "coding": [{"system": BUSINESS_STATUS, "code": "escalated", "display": "Escalated"}],
        "text": f"Escalated to {world.sam.display_name()}",
    }
    assert body["owner"]["reference"] == f"Practitioner/{world.bob.pk}"  # the owner keeps it
    assert any("escalated to" in n["text"] for n in body["note"])
    assert [r["id"] for r in alice.search("Task?business-status=escalated")] == [str(late.pk)]
    assert [r["id"] for r in alice.search(f"Task?business-status={BUSINESS_STATUS}|escalated")] == [
        str(late.pk)
    ]
    assert alice.search("Task?business-status=http://example.org|escalated") == []
    assert str(late.pk) not in [r["id"] for r in alice.search("Task?business-status:not=escalated")]

    # Handed to someone else, it is no longer escalated; the note stays.
    do_reassign_task(world.alice, late, owner=world.alice, reason="Bob is on leave")
    body = alice.get(f"Task/{late.pk}").body
    assert "businessStatus" not in body
    assert any("escalated to" in n["text"] for n in body["note"])
    assert alice.search("Task?business-status=escalated") == []


def test_a_finished_escalated_task_is_not_shown_as_escalated(world, api):
    late = do_create_task(
        world.alice,
        world.paula,
        owner=world.bob,
        title="Send the discharge summary to the PCP",
        due_at=clock.now() - dt.timedelta(days=3),
    )
    do_escalate_overdue_tasks()
    do_move_task(world.alice, late, TaskStatus.COMPLETED)
    alice = api(world.alice)
    assert "businessStatus" not in alice.get(f"Task/{late.pk}").body
    assert alice.search("Task?business-status=escalated") == []


def test_queued_and_escalated_tasks_cost_no_more_queries(world, api, routine):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Task?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    for n in range(3):
        do_create_task(
            world.alice,
            world.paula,
            team=world.north,
            title=f"Queue item {n}",
            due_at=clock.now() - dt.timedelta(days=3),
        )
    do_escalate_overdue_tasks()
    assert query_count(lambda: page_has(4)) == one
