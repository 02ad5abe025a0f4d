"""Sensitive records (42 CFR Part 2 substance-use records, psychotherapy notes): the case manager and
supervisor see them; care team members only with the patient's consent naming them; administrators never;
revocation and expiry take effect at once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team
from careconductor.careplans import snapshot
from careconductor.careplans.rules import goal_sensitivity
from careconductor.coordination.actions import (
    ContactInput,
    do_claim_task,
    do_create_task,
    do_log_contact,
    do_reassign_task,
)
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_add_condition, do_add_note
from careconductor.privacy import policy
from careconductor.privacy.actions import do_break_glass, do_record_consent, do_revoke_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType, EmergencyReason, Sensitivity

from ..fhir.conftest import api  # noqa: F401  (the fixture)
from ..personas import World, make_staff

pytestmark = pytest.mark.django_db

NOTES = {
    Sensitivity.NORMAL: "Paula walked to the pharmacy herself.",
    Sensitivity.PART2: "Attends the opioid treatment programme; methadone 60 mg.",
    Sensitivity.PSYCHOTHERAPY: "Session: grief over her husband; explored guilt.",
}


@pytest.fixture
def records(world: World) -> World:
    for sensitivity, text in NOTES.items():
        do_add_note(world.alice, world.paula, text=text, sensitivity=sensitivity)
    do_add_condition(
        world.alice,
        world.paula,
        icd10_code="F11.20",
        display="Opioid dependence",
        sensitivity=Sensitivity.PART2,
    )
    return world


def _consent(world: World, kind: ConsentType, recipient, **extra):  # type: ignore[no-untyped-def]
    return do_record_consent(
        world.alice,
        world.paula,
        consent_type=kind,
        method=ConsentMethod.WRITTEN,
        given_on=dt.date(2026, 11, 1),
        recipient_user=recipient,
        **extra,
    )


def _chart(login, user, world: World) -> str:  # type: ignore[no-untyped-def]
    return login(user).get(reverse("patients:chart", args=[world.paula.pk])).content.decode()


def _seen(body: str) -> set[str]:
    found = {s.value for s, text in NOTES.items() if text in body}
    assert ("Opioid dependence" in body) == (Sensitivity.PART2.value in found), "condition and note disagree"
    return found


ALL = {"", "part2", "psychotherapy"}


@pytest.mark.parametrize(
    ("persona", "expected"), [("alice", ALL), ("sam", ALL), ("dana", {""}), ("adam", {""})]
)
def test_who_sees_sensitive_records_without_a_consent(
    records: World, login, persona: str, expected: set[str]
) -> None:
    assert _seen(_chart(login, getattr(records, persona), records)) == expected


def test_a_part2_consent_naming_the_care_team_member_shows_part2_records_only(records: World, login) -> None:
    _consent(records, ConsentType.PART2, records.dana)
    assert _seen(_chart(login, records.dana, records)) == {"", "part2"}


def test_a_sharing_consent_naming_the_care_team_member_shows_psychotherapy_notes(
    records: World, login
) -> None:
    _consent(records, ConsentType.SHARING, records.dana)
    assert _seen(_chart(login, records.dana, records)) == {"", "psychotherapy"}


def test_a_consent_naming_someone_else_does_not_count(records: World, login) -> None:
    _consent(records, ConsentType.PART2, records.sam)
    assert _seen(_chart(login, records.dana, records)) == {""}


def test_revocation_takes_effect_at_once(records: World, login) -> None:
    consent = _consent(records, ConsentType.PART2, records.dana)
    assert "part2" in _seen(_chart(login, records.dana, records))
    do_revoke_consent(records.alice, consent)
    assert _seen(_chart(login, records.dana, records)) == {""}


def test_an_expired_consent_no_longer_counts(records: World) -> None:
    _consent(records, ConsentType.PART2, records.dana, expires_on=dt.date(2026, 11, 2))
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), tick=False):
        assert "part2" in policy.allowed_sensitivities(records.dana, records.paula, on_emergency=False)
    with time_machine.travel(dt.datetime(2026, 11, 3, 12, tzinfo=dt.UTC), tick=False):
        assert "part2" not in policy.allowed_sensitivities(records.dana, records.paula, on_emergency=False)


def test_emergency_access_does_not_open_sensitive_records(records: World, login) -> None:
    do_break_glass(
        records.bob,
        records.paula,
        reason=EmergencyReason.EMERGENCY_CARE,
        explanation="ED called about chest pain.",
    )
    assert _seen(_chart(login, records.bob, records)) == {""}


def test_the_chart_does_not_hint_that_hidden_records_exist(records: World, login) -> None:
    body = _chart(login, records.dana, records)
    for hint in ("Part 2", "Psychotherapy note", "records hidden", "restricted"):
        assert hint not in body, hint


def test_recording_a_consent_from_the_chart_names_the_care_team_member(records: World, login) -> None:
    client = login(records.alice)
    response = client.post(
        reverse("patients:record_consent", args=[records.paula.pk]),
        {
            "consent_type": "part2",
            "recipient_user": records.dana.pk,
            "method": "written",
            "given_on": "2026-11-20",
        },
    )
    assert response.status_code == 302
    consent = records.paula.consents.get(consent_type="part2")
    assert consent.recipient_user == records.dana and consent.recipient == "Dana Tester"
    refused = client.post(
        reverse("patients:record_consent", args=[records.paula.pk]),
        {"consent_type": "part2", "method": "written", "given_on": "2026-11-20"},
    )
    assert refused.status_code == 400 and 'id="id_recipient_error"' in refused.content.decode()


def test_a_part2_consent_is_itself_a_part2_record(records: World, login) -> None:
    """It tells that the patient is in a substance use disorder programme (issue 17 §1): the chart and the API
    show it only to who may read her Part 2 records, and only they may record one."""
    _consent_by(records.alice, records, ConsentType.PART2, recipient="Harbor Treatment Center")
    assert records.paula.consents.get().sensitivity == Sensitivity.PART2
    assert "Harbor Treatment Center" in _chart(login, records.alice, records)
    for persona in ("dana", "adam"):
        assert "Harbor Treatment Center" not in _chart(login, getattr(records, persona), records), persona
    chart = _chart(login, records.adam, records)
    assert 'value="part2"' not in chart and 'value="sharing"' in chart  # not even offered
    with pytest.raises(ActionRefused) as refused:
        _consent_by(records.adam, records, ConsentType.PART2, recipient="Harbor Treatment Center")
    assert "consent_type" in refused.value.errors
    assert records.paula.consents.count() == 1
    _consent_by(records.adam, records, ConsentType.SHARING, recipient="Her daughter Rosa")  # a normal one


def _consent_by(user, world: World, kind: ConsentType, **extra):  # type: ignore[no-untyped-def]
    return do_record_consent(
        user, world.paula, consent_type=kind, method=ConsentMethod.WRITTEN, given_on=clock.today(), **extra
    )


# --- Only the patient's own case staff see them without a consent (issue 17) ---------------------------------
def _give_task(world: World, giver, owner):  # type: ignore[no-untyped-def]
    return do_create_task(
        giver, world.paula, owner=owner, title="Call the pharmacy", due_at=clock.now() + dt.timedelta(days=1)
    )


def test_a_case_manager_given_a_routine_task_sees_the_chart_but_no_sensitive_record(
    records: World,
    login,
    api,  # noqa: F811
) -> None:
    _give_task(records, records.alice, records.bob)
    assert _seen(_chart(login, records.bob, records)) == {""}
    assert policy.allowed_sensitivities(records.bob, records.paula, on_emergency=False) == {""}
    conditions = api(records.bob).search(f"Condition?patient={records.paula.pk}")
    assert [c["code"]["coding"][0]["code"] for c in conditions] == []
    assert [c["code"]["coding"][0]["code"] for c in api(records.alice).search("Condition")] == ["F11.20"]


def test_a_supervisor_of_another_team_given_a_task_sees_no_sensitive_record(records: World, login) -> None:
    south = Team.objects.create(organization=records.riverside, name="South")
    tess = make_staff("tess", Role.SUPERVISOR, records.riverside, team=south)
    south.supervisor = tess
    south.save()
    _give_task(records, records.alice, tess)
    assert _seen(_chart(login, tess, records)) == {""}


def test_a_task_given_under_ones_own_emergency_access_grants_nothing_after_it_ends(
    records: World, login
) -> None:
    ed = make_staff("ed", Role.CASE_MANAGER, records.riverside, team=records.north, capacity=60)
    do_break_glass(
        ed, records.paula, reason=EmergencyReason.EMERGENCY_CARE, explanation="ED called at night."
    )
    assert _seen(_chart(login, ed, records)) == {""}  # emergency access never shows sensitive records
    mine = _give_task(records, ed, ed)
    colleague = _give_task(records, ed, records.bob)
    with time_machine.travel(clock.now() + dt.timedelta(hours=25)):
        assert not policy.can(ed, "view", records.paula)
        assert not policy.can(records.bob, "view", records.paula)
        assert login(ed).get(reverse("patients:chart", args=[records.paula.pk])).status_code == 404
    assert not (mine.grants_access or colleague.grants_access)


def test_a_task_handed_over_passes_access_on_only_from_a_standing_relationship(records: World) -> None:
    ed = make_staff("ed", Role.CASE_MANAGER, records.riverside, team=records.north, capacity=60)
    task = _give_task(records, records.alice, ed)
    assert policy.can(ed, "view", records.paula)
    do_reassign_task(ed, task, owner=records.bob, reason="Bob knows her")
    assert policy.can(records.bob, "view", records.paula)
    # Tess opens Paula's record in an emergency, gives herself a task and hands it to Pete.
    tess = make_staff("tess", Role.SUPERVISOR, records.riverside)
    pete = make_staff("pete", Role.CASE_MANAGER, records.riverside)
    do_break_glass(
        tess,
        records.paula,
        reason=EmergencyReason.EMERGENCY_CARE,
        explanation="Called by the ED about her at night.",
    )
    passed = do_reassign_task(tess, _give_task(records, tess, tess), owner=pete, reason="Day shift")
    assert not policy.can(pete, "view", records.paula) and not passed.grants_access


# --- Work and contacts about a sensitive record carry its label (issue 17 §1) ------------------------------------
def _p2_task(world: World, owner, **extra):  # type: ignore[no-untyped-def]
    return do_create_task(
        world.alice,
        world.paula,
        owner=owner,
        title="Ask the programme about take-home doses",
        due_at=clock.now() + dt.timedelta(days=1),
        sensitivity=Sensitivity.PART2,
        **extra,
    )


def test_labelled_work_goes_only_to_someone_who_may_read_it(records: World, login) -> None:
    with pytest.raises(ActionRefused) as refused:
        _p2_task(records, records.dana)  # on her care team, no consent
    assert "Dana Tester may not read this patient's Part 2 records" in refused.value.errors["owner"]
    task = _p2_task(records, records.alice)
    with pytest.raises(ActionRefused) as refused:
        do_reassign_task(records.alice, task, owner=records.dana, reason="Dana sees her Thursday")
    assert "owner" in refused.value.errors
    task.refresh_from_db()
    assert task.owner == records.alice and task.sensitivity == Sensitivity.PART2
    _consent(records, ConsentType.PART2, records.dana)  # with her consent naming Dana, it may go to her
    assert (
        do_reassign_task(records.alice, task, owner=records.dana, reason="Consent given").owner
        == records.dana
    )
    with pytest.raises(ActionRefused):  # an administrator may not give such work either
        do_create_task(
            records.adam,
            records.paula,
            owner=records.alice,
            title="Anything",
            due_at=clock.now() + dt.timedelta(days=1),
            sensitivity=Sensitivity.PART2,
        )


def test_a_labelled_task_in_a_team_queue_is_claimed_only_by_who_may_read_it(records: World) -> None:
    ed = make_staff("ed", Role.CASE_MANAGER, records.riverside, team=records.north, capacity=60)
    task = _p2_task(records, None, team=records.north)
    _give_task(records, records.alice, ed)  # a routine task: he sees her chart
    with pytest.raises(ActionRefused, match="Part 2"):
        do_claim_task(ed, task)  # on the team, not her case manager, no consent
    assert do_claim_task(records.alice, task).owner == records.alice


def test_a_labelled_contact_is_written_and_read_only_by_who_may_read_it(records: World, login) -> None:
    words = "Called the programme about her take-home doses."
    contact = ContactInput(
        contact_at=clock.now() - dt.timedelta(hours=1),
        mode="phone",
        direction="outbound",
        reached=True,
        party="provider",
        party_name="Harbor Treatment Center",
        minutes=5,
        next_steps=words,
        sensitivity=Sensitivity.PART2,
    )
    with pytest.raises(ActionRefused) as refused:
        do_log_contact(records.dana, records.paula, contact)
    assert "sensitivity" in refused.value.errors
    do_log_contact(records.alice, records.paula, contact)
    log = reverse("coordination:contacts", args=[records.paula.pk])
    assert words in login(records.alice).get(log).content.decode()
    page = login(records.dana).get(log).content.decode()
    assert words not in page and 'name="sensitivity"' not in page  # nor is the label offered to her
    assert 'name="sensitivity"' in login(records.alice).get(log).content.decode()


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], ""),  # a goal for no problem
        ([""], ""),
        (["", "part2"], ""),  # also for a normal problem: everyone who sees the plan sees it
        (["part2"], "part2"),
        (["psychotherapy"], "psychotherapy"),
        (["psychotherapy", "part2"], "part2"),
    ],
)
def test_the_label_of_a_goal_comes_from_its_problems(labels: list[str], expected: str) -> None:
    assert goal_sensitivity(labels) == expected


def test_a_version_read_without_hidden_problems_loses_the_goals_made_only_for_them() -> None:
    content = {
        "problems": [{"id": 1}, {"id": 2}],
        "goals": [{"id": 10, "problems": [1]}, {"id": 11, "problems": [1, 2]}, {"id": 12, "problems": []}],
        "interventions": [{"id": 20, "goal_id": 10}, {"id": 21, "goal_id": 11}, {"id": 22, "goal_id": None}],
    }
    seen = snapshot.without_problems(content, {1})
    assert [p["id"] for p in seen["problems"]] == [2]
    assert [(g["id"], g["problems"]) for g in seen["goals"]] == [(11, [2]), (12, [])]
    assert [i["id"] for i in seen["interventions"]] == [21, 22]
