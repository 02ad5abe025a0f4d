"""Follow-up through the actions: logging contacts, the cadence they reset and the unable-to-reach protocol.
Closing a case, tasks and the care team have their own modules (test_closing_actions, test_task_actions,
test_care_team_actions), which share this module's clock, world and helpers. The clock is frozen and moved
(time-machine); the world is built inside it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer, do_transition_case
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.actions import (
    ContactInput,
    do_log_contact,
    do_log_time,
    do_record_outreach,
    do_request_closure,
)
from careconductor.coordination.models import (
    CadenceRule,
    ClosureRequest,
    Contact,
    OutreachAttempt,
    TimeEntry,
)
from careconductor.coordination.queries import case_follow_up
from careconductor.coordination.reach import reach_state_for
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import (
    PatientDetails,
)
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentType
from careconductor.privacy.models import AuditEvent

from ..personas import World, build_world

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)  # a Monday with no holiday near it


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local (settings.TIME_ZONE) moment."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    """The clock stands still at 09:00 on MONDAY until a test moves it."""
    with time_machine.travel(at(MONDAY, 9), tick=False) as t:
        yield t


@pytest.fixture
def world(db: None, traveller: time_machine.Traveller) -> World:
    return build_world()


def enrol(world: World, case: Case, user: User | None = None) -> Case:
    """Screening, consent, active: the case's cadence starts now."""
    user = user or world.alice
    do_transition_case(user, case, TransitionRequest(CaseStatus.SCREENING))
    do_record_consent(
        user,
        case.patient,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today(),
    )
    return do_transition_case(user, case, TransitionRequest(CaseStatus.ACTIVE))


def new_patient(world: World, given: str, *, program: Program = Program.CCM, tier: int = 2) -> Case:
    """A patient Alice registers (so she manages the case), enrolled."""
    patient = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name=given, family_name="Testcase", birth_date=dt.date(1950, 1, 1), sex=Sex.MALE
        ),
        program=program,
        referral_source=ReferralSource.PCP,
        referral_reason="Two chronic conditions",
        acuity_tier=tier,
    )
    return enrol(world, Case.objects.get(patient=patient))


def log(
    user: User,
    patient: Patient,
    when: dt.datetime | None = None,
    *,
    reached: bool = True,
    case: Case | None = None,
    **fields: Any,
) -> Contact:
    fields.setdefault("minutes", 12 if reached else 0)
    return do_log_contact(
        user,
        patient,
        ContactInput(
            contact_at=when or clock.now(),
            mode=fields.pop("mode", "phone"),
            direction="outbound",
            reached=reached,
            **fields,
        ),
        case=case,
    )


def audit_rows(**where: Any) -> int:
    return AuditEvent.objects.filter(**where).count()


# --- Logging a contact -------------------------------------------------------------------------------------------
GOOD = ContactInput(contact_at=at(MONDAY, 8), mode="phone", direction="outbound", reached=True, minutes=15)


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("contact_at", {"contact_at": at(MONDAY, 10)}),  # an hour from now
        ("contact_at", {"contact_at": at(MONDAY, 8) - dt.timedelta(days=367)}),
        ("minutes", {"minutes": 601}),
        ("minutes", {"minutes": -1}),
        ("minutes", {"minutes": 0}),  # reached by phone: the minutes count toward monthly time
        ("mode", {"mode": "pigeon"}),
        ("direction", {"direction": "sideways"}),
        ("party", {"party": "stranger", "party_name": "Someone"}),
        ("party_name", {"party": "caregiver"}),  # spoke with a caregiver: name them
        ("education", {"teach_back": "confirmed"}),  # teach-back of nothing taught
        ("teach_back", {"education": "How to use the insulin pen"}),  # taught, teach-back not said
        ("teach_back", {"education": "Pen", "teach_back": "maybe"}),
        ("meds_taken", {"meds_taken": "most"}),
    ],
)
def test_a_refused_contact_names_its_field_and_changes_nothing(
    world: World, field: str, change: dict[str, Any]
) -> None:
    contacts, events = Contact.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ActionRefused) as refused:
        do_log_contact(world.alice, world.paula, dataclasses.replace(GOOD, **change))
    assert set(refused.value.errors) == {field}
    assert (Contact.objects.count(), AuditEvent.objects.count()) == (contacts, events)


def test_what_a_valid_contact_may_leave_out(world: World) -> None:
    portal = log(world.alice, world.paula, at(MONDAY, 8), mode="portal", minutes=0)
    taught = log(world.alice, world.paula, at(MONDAY, 8), education="Hypo signs", teach_back="retaught")
    attempt = log(world.alice, world.paula, at(MONDAY, 8, 30), reached=False, meds_taken="all", symptoms="x")
    assert portal.reached and portal.minutes == 0
    assert taught.teach_back == "retaught"
    # What the patient said about medicines cannot be known from an unanswered call.
    assert (attempt.reached, attempt.meds_taken, attempt.symptoms) == (False, "", "")
    assert audit_rows(action=AuditAction.CREATE, object_type="Contact", user=world.alice) == 3


def test_case_staff_and_the_care_team_log_contacts_and_no_one_else(world: World) -> None:
    do_log_contact(world.dana, world.paula, GOOD)  # a physician on her care team (policy.CARE_TEAM_WORK)
    with pytest.raises(NotVisible):
        do_log_contact(world.bob, world.paula, GOOD)
    with pytest.raises(NotVisible):
        do_log_contact(world.charlie, world.paula, GOOD)
    assert list(Contact.objects.values_list("staff__username", flat=True)) == ["dana"]


def test_time_entries_are_checked_like_contacts(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_log_time(world.alice, world.paula, on=day(1), activity="juggling", minutes=0)
    assert set(refused.value.errors) == {"on", "activity", "minutes"}
    entry = do_log_time(world.alice, world.paula, on=MONDAY, activity="records", minutes=20)
    assert TimeEntry.objects.get() == entry
    assert audit_rows(action=AuditAction.CREATE, object_type="TimeEntry", object_id=str(entry.pk)) == 1


# --- The cadence ----------------------------------------------------------------------------------------------
def contact_rows(world: World, user: User | None = None) -> list[Any]:
    return [
        i
        for i in build_worklist(user or world.alice).items
        if i.kind == "contact" and i.patient_id == world.paula.pk
    ]


def test_a_reached_contact_resets_the_cadence_and_failed_attempts_do_not(
    world: World, traveller: time_machine.Traveller
) -> None:
    case = enrol(world, world.paula_case)  # tier 3: every 14 days (issue 7 defaults)
    traveller.move_to(at(day(20), 10))
    [row] = contact_rows(world)
    assert (row.band, row.overdue) == (1, True)
    assert row.reason.startswith("Contact overdue by 6 d (no contact since enrolment; every 14 days)")

    log(world.alice, world.paula, at(day(20), 9, 45), reached=False, case=case)
    [row] = contact_rows(world)
    assert row.overdue and "1 failed attempt" in row.reason  # still due from enrolment

    log(world.alice, world.paula, at(day(20), 9, 55), case=case)
    assert contact_rows(world) == []  # next due in 14 days: not on today's list at all
    follow = case_follow_up(case).next_contact
    assert follow is not None and follow.due_on == day(34) and not follow.overdue

    traveller.move_to(at(day(28), 9))  # the next contact is now within a week: back under "other work"
    [row] = contact_rows(world)
    assert (row.band, row.overdue, row.due.date()) == (4, False, day(34))


def test_a_programme_cadence_row_replaces_the_default(
    world: World, traveller: time_machine.Traveller
) -> None:
    case = enrol(world, world.paula_case)
    traveller.move_to(at(day(5), 9))
    assert [r.band for r in contact_rows(world)] == []  # tier 3 default: due on day 14, not within a week yet
    # Configuration, not a domain change: there is no action for cadence rows (set in the admin or the demo).
    CadenceRule.objects.create(
        organization=world.riverside,
        program=case.program,
        acuity_tier=case.acuity_tier,
        interval_days=5,
        mode="video",
        by_whom="nurse case manager",
    )
    [row] = contact_rows(world)
    assert row.band == 1 and not row.overdue
    assert row.reason == (
        "Contact due today (no contact since enrolment; every 5 days) by video, nurse case manager"
    )
    CadenceRule.objects.filter(program=case.program).update(program=Program.CCM)  # another programme's row
    assert contact_rows(world) == []


# --- Unable to reach ---------------------------------------------------------------------------------------------
def test_failed_attempts_lead_to_the_protocol_worked_in_order_then_closing_as_unable_to_reach(
    world: World, traveller: time_machine.Traveller
) -> None:
    case = enrol(world, world.paula_case)

    def close() -> ClosureRequest | Case:
        return do_request_closure(world.alice, case, reason="unable_to_reach", summary="Not reached.")

    def step(name: str) -> OutreachAttempt:
        return do_record_outreach(world.alice, case, step=name, note=f"{name} done")

    for n, hour in ((1, 9), (2, 10), (3, 11)):  # three mornings
        traveller.move_to(at(day(n), hour, 5))
        log(world.alice, world.paula, at(day(n), hour), reached=False, case=case)
    state = reach_state_for(case)
    assert (state.stage, state.attempts) == ("trying", 3) and "another time of day" in state.message
    with pytest.raises(ActionRefused) as refused:
        step("letter")
    assert set(refused.value.errors) == {"step"}
    with pytest.raises(ActionRefused) as refused:
        close()
    assert set(refused.value.errors) == {"closure_reason"}

    traveller.move_to(at(day(3), 18, 5))
    log(world.alice, world.paula, at(day(3), 18), reached=False, case=case)  # the evening
    assert (reach_state_for(case).stage, reach_state_for(case).next_step) == ("protocol", "letter")

    for wrong in ("caregiver", "pcp", "telegram"):
        with pytest.raises(ActionRefused) as refused:
            step(wrong)
        assert set(refused.value.errors) == {"step"}
    assert OutreachAttempt.objects.count() == 0
    for expected in ("letter", "caregiver"):
        step(expected)
        with pytest.raises(ActionRefused):
            close()
    with pytest.raises(ActionRefused) as refused:
        step("letter")  # done already
    assert "notify the PCP" in refused.value.errors["step"]
    step("pcp")
    assert reach_state_for(case).stage == "may-close"
    assert [s.step for s in OutreachAttempt.objects.filter(case=case)] == ["letter", "caregiver", "pcp"]
    assert audit_rows(action=AuditAction.CREATE, object_type="OutreachAttempt", patient=world.paula) == 3

    request = close()  # complex case management: the supervisor approves
    assert isinstance(request, ClosureRequest) and request.reason == "unable_to_reach"


def test_a_reached_contact_ends_the_protocol_and_its_steps_start_over(
    world: World, traveller: time_machine.Traveller
) -> None:
    case = enrol(world, world.paula_case)
    for n, hour in ((1, 9), (2, 14), (3, 19)):
        traveller.move_to(at(day(n), hour, 5))
        log(world.alice, world.paula, at(day(n), hour), reached=False)
    do_record_outreach(world.alice, case, step="letter", note="Mailed")
    traveller.move_to(at(day(4), 10))
    log(world.alice, world.paula, at(day(4), 9, 50), case=case)  # Paula calls back on the letter
    assert reach_state_for(case).stage == "reached"
    for n, hour in ((5, 9), (6, 14), (7, 19)):
        traveller.move_to(at(day(n), hour, 5))
        log(world.alice, world.paula, at(day(n), hour), reached=False)
    assert reach_state_for(case).next_step == "letter"  # the earlier letter belongs to the earlier episode
