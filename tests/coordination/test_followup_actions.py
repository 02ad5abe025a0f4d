"""Follow-up through the actions: logging contacts, the cadence they reset, the unable-to-reach protocol, closing
with the supervisor's approval, handing tasks over and escalating them, and the care team. The clock is frozen
and moved (time-machine); the world is built inside it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Team, User
from careconductor.cases.actions import do_register_and_refer, do_transition_case
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.actions import (
    ContactInput,
    do_add_holiday,
    do_add_task_note,
    do_claim_task,
    do_create_task,
    do_decide_closure,
    do_escalate_overdue_tasks,
    do_log_contact,
    do_log_time,
    do_move_task,
    do_reassign_task,
    do_record_outreach,
    do_remove_holiday,
    do_request_closure,
    do_reset_cadence,
    do_set_cadence,
    reach_state_for,
)
from careconductor.coordination.calendar import holiday_set
from careconductor.coordination.choices import (
    ClosureStatus,
    NotificationKind,
    TaskKind,
    TaskPriority,
    TaskStatus,
)
from careconductor.coordination.models import (
    CadenceRule,
    ClosureRequest,
    Contact,
    Notification,
    OutreachAttempt,
    Task,
    TaskReassignment,
    TimeEntry,
)
from careconductor.coordination.queries import case_follow_up
from careconductor.coordination.rules import add_business_days
from careconductor.coordination.worklist import build_worklist, cadence_of, cadence_table
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import (
    PatientDetails,
    do_add_care_team_member,
    do_end_care_team_member,
    do_set_care_team_lead,
)
from careconductor.patients.choices import Sex
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.privacy import policy
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentType
from careconductor.privacy.models import AuditEvent

from ..personas import World, build_world, make_staff

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


# --- Closing a case ----------------------------------------------------------------------------------------------
def test_complex_case_management_closes_only_with_the_supervisors_approval(world: World) -> None:
    case = enrol(world, world.paula_case)
    request = do_request_closure(
        world.alice,
        case,
        reason="goals_met",
        summary="A1c 7.1; attends visits.",
        takes_over="Dr Okafor (PCP)",
    )
    assert isinstance(request, ClosureRequest) and request.status == ClosureStatus.PENDING
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    task = Task.objects.get(kind=TaskKind.CASE_CLOSURE)
    assert (task.owner, task.case_id, request.task) == (world.sam, case.pk, task)
    assert Notification.objects.filter(user=world.sam, kind=NotificationKind.TASK_ASSIGNED).count() == 1
    assert audit_rows(object_type="ClosureRequest", action=AuditAction.CREATE, user=world.alice) == 1
    with pytest.raises(ActionRefused):
        do_request_closure(world.alice, case, reason="goals_met", summary="Again")
    assert ClosureRequest.objects.count() == 1
    with pytest.raises(ActionRefused):
        do_decide_closure(world.alice, request, approve=True)  # not the supervisor

    approved = do_decide_closure(world.sam, request, approve=True)
    assert (approved.status, approved.decided_by) == (ClosureStatus.APPROVED, world.sam)
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == (CaseStatus.CLOSED, "goals_met")
    # The summary as written, with who takes over, is kept on the case.
    assert case.closing_summary.startswith("A1c 7.1; attends visits.")
    assert "Who takes over" in case.closing_summary and "Dr Okafor (PCP)" in case.closing_summary
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    told = set(
        Notification.objects.filter(kind=NotificationKind.CLOSURE).values_list("user__username", flat=True)
    )
    assert told == {"alice", "dana"}  # the case manager and the care team; not the supervisor who closed it
    assert audit_rows(object_type="ClosureRequest", action=AuditAction.UPDATE, user=world.sam) == 1
    assert (
        audit_rows(object_type="Case", action=AuditAction.UPDATE, detail="status closed", user=world.sam) == 1
    )
    with pytest.raises(ActionRefused):
        do_decide_closure(world.sam, request, approve=False, comment="Too late")


def test_a_returned_closure_needs_a_comment_and_leaves_the_case_open(world: World) -> None:
    case = enrol(world, world.paula_case)
    request = do_request_closure(world.alice, case, reason="goals_met", summary="Done")
    assert isinstance(request, ClosureRequest)
    with pytest.raises(ActionRefused) as refused:
        do_decide_closure(world.sam, request, approve=False, comment="  ")
    assert set(refused.value.errors) == {"comment"}
    request.refresh_from_db()
    assert request.status == ClosureStatus.PENDING
    do_decide_closure(world.sam, request, approve=False, comment="Add the PHQ-9 outcome.")
    request.refresh_from_db()
    case.refresh_from_db()
    assert (request.status, request.comment, case.status) == (
        ClosureStatus.RETURNED,
        "Add the PHQ-9 outcome.",
        CaseStatus.ACTIVE,
    )
    note = Notification.objects.get(kind=NotificationKind.CLOSURE)
    assert (note.user, note.body) == (world.alice, "Add the PHQ-9 outcome.")
    again = do_request_closure(world.alice, case, reason="goals_met", summary="Done; PHQ-9 5 from 14")
    assert isinstance(again, ClosureRequest) and again.status == ClosureStatus.PENDING


def test_the_person_who_asked_cannot_approve_even_as_the_new_supervisor(world: World) -> None:
    case = enrol(world, world.paula_case)
    request = do_request_closure(world.alice, case, reason="goals_met", summary="Done")
    assert isinstance(request, ClosureRequest)
    Team.objects.filter(pk=world.north.pk).update(supervisor=world.alice)  # Alice is promoted meanwhile
    with pytest.raises(ActionRefused):
        do_decide_closure(world.alice, request, approve=True)
    request.refresh_from_db()
    case.refresh_from_db()
    assert (request.status, case.status) == (ClosureStatus.PENDING, CaseStatus.ACTIVE)


def test_chronic_care_management_closes_at_once(world: World) -> None:
    case = new_patient(world, "Carlos", program=Program.CCM)
    closed = do_request_closure(world.alice, case, reason="moved", summary="Moved to Ohio.")
    assert isinstance(closed, Case) and closed.status == CaseStatus.CLOSED
    assert closed.closing_summary == "Moved to Ohio."
    assert ClosureRequest.objects.count() == 0
    assert list(
        Notification.objects.filter(kind=NotificationKind.CLOSURE).values_list("user", flat=True)
    ) == [world.sam.pk]


def test_closing_refuses_a_missing_reason_or_summary_and_a_finished_case(world: World) -> None:
    case = new_patient(world, "Carlos", program=Program.CCM)
    with pytest.raises(ActionRefused) as refused:
        do_request_closure(world.alice, case, reason="", summary=" ")
    assert set(refused.value.errors) == {"closure_reason", "closing_summary"}
    with pytest.raises(ActionRefused) as refused:
        do_request_closure(world.alice, case, reason="other", summary="x")
    assert set(refused.value.errors) == {"closure_reason_other"}
    do_request_closure(world.alice, case, reason="moved", summary="Moved.")
    with pytest.raises(ActionRefused):
        do_request_closure(world.alice, case, reason="moved", summary="Moved.")


# --- Handing tasks over, claiming and escalating ------------------------------------------------------------------
def make_task(world: World, *, owner: User | None = None, team: Team | None = None, due: dt.datetime) -> Task:
    return do_create_task(
        world.alice,
        world.paula,
        owner=owner,
        team=team,
        title="Call the pharmacy about the refill",
        due_at=due,
        priority=TaskPriority.ROUTINE,
    )


@pytest.fixture
def bob_covers(world: World) -> CareTeamMember:
    """Bob covers Paula on her care team, so he may see her and carry her tasks."""
    return do_add_care_team_member(world.alice, world.paula, member=world.bob, role="Covering case manager")


def test_a_task_changes_hands_only_with_a_reason(world: World, bob_covers: CareTeamMember) -> None:
    task = make_task(world, owner=world.alice, due=at(day(1), 17))
    with pytest.raises(ActionRefused) as refused:
        do_reassign_task(world.alice, task, owner=world.bob, reason=" ")
    assert set(refused.value.errors) == {"reason"}
    with pytest.raises(ActionRefused) as refused:
        do_reassign_task(world.alice, task, reason="Nobody")
    assert set(refused.value.errors) == {"owner"}
    assert TaskReassignment.objects.count() == 0
    task.refresh_from_db()
    assert task.owner == world.alice

    do_reassign_task(world.alice, task, owner=world.bob, reason="Alice on leave")
    task.refresh_from_db()
    moved = TaskReassignment.objects.get()
    assert (task.owner, task.team) == (world.bob, None)
    assert (moved.from_owner, moved.to_owner, moved.by, moved.reason) == (
        world.alice,
        world.bob,
        world.alice,
        "Alice on leave",
    )
    # Handed to a person: a hand-over in Bob's inbox (issue 17 §4), not a second "new task".
    assert Notification.objects.filter(user=world.bob, kind=NotificationKind.HANDOVER).count() == 1
    assert audit_rows(object_type="Task", object_id=str(task.pk), detail="reassigned") == 1

    do_reassign_task(world.bob, task, team=world.north, reason="Anyone on North can do it")
    task.refresh_from_db()
    assert (task.owner, task.team, task.in_queue) == (None, world.north, True)
    do_move_task(world.alice, task, TaskStatus.CANCELLED)
    with pytest.raises(ActionRefused):
        do_reassign_task(world.alice, task, owner=world.alice, reason="Back to me")


def test_every_task_action_leaves_an_audit_row_naming_the_task(world: World) -> None:
    task = make_task(world, owner=world.alice, due=at(day(1), 17))
    do_add_task_note(world.alice, task, "Pharmacy closed until 2 pm")
    do_move_task(world.alice, task, TaskStatus.IN_PROGRESS)
    do_move_task(world.alice, task, TaskStatus.COMPLETED, note="Refill ready")
    details = list(
        AuditEvent.objects.filter(object_type="Task", object_id=str(task.pk), patient=world.paula)
        .order_by("seq")
        .values_list("action", "detail")
    )
    assert details == [
        (AuditAction.CREATE, "other"),
        (AuditAction.UPDATE, "note"),
        (AuditAction.UPDATE, "status in-progress"),
        (AuditAction.UPDATE, "status completed"),
    ]
    # Audit rows hold codes, never the free text (STYLE.md habit 2).
    assert not AuditEvent.objects.filter(detail__icontains="pharmacy").exists()


def test_a_task_given_to_someone_opens_the_patient_to_them_while_it_is_open(world: World) -> None:
    # privacy/policy.py: the owner of an open task has the need to know for it, until it is done.
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    task = make_task(world, owner=world.alice, due=at(day(1), 17))
    do_reassign_task(world.alice, task, owner=world.bob, reason="Alice on leave")
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)
    assert [i.kind for i in build_worklist(world.bob).items if i.task_id == task.pk] == ["task"]
    do_move_task(world.bob, task, TaskStatus.COMPLETED, note="Refill ready")
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)


def test_a_queue_task_reaches_only_members_who_may_already_see_the_patient(world: World) -> None:
    # privacy/policy.py: a team's queue opens no chart; Bob (team North, no relationship) neither sees Paula nor
    # finds her queue task on his worklist until he is on her care team.
    task = make_task(world, team=world.north, due=at(day(1), 17))
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    assert [i for i in build_worklist(world.bob).items if i.task_id == task.pk] == []
    with pytest.raises(NotVisible):
        do_claim_task(world.bob, task)
    do_add_care_team_member(world.alice, world.paula, member=world.bob, role="Covering case manager")
    [row] = [i for i in build_worklist(world.bob).items if i.task_id == task.pk]
    assert row.reason.startswith("In the North queue – claim it.")
    do_claim_task(world.bob, task)
    task.refresh_from_db()
    assert task.owner == world.bob


def test_a_queue_task_is_claimed_by_one_member_of_the_team(world: World, bob_covers: CareTeamMember) -> None:
    task = make_task(world, team=world.north, due=at(day(1), 17))
    with pytest.raises(ActionRefused):
        do_claim_task(world.dana, task)  # on Paula's care team but not on team North
    with pytest.raises(NotVisible):
        do_claim_task(world.charlie, task)
    do_claim_task(world.alice, task)
    for late in (world.bob, world.alice):
        with pytest.raises(ActionRefused) as refused:
            do_claim_task(late, task)
        assert "already claimed" in str(refused.value)
    task.refresh_from_db()
    assert task.owner == world.alice
    claim = TaskReassignment.objects.get(task=task)
    assert (claim.from_team, claim.to_owner, claim.reason) == (world.north, world.alice, "claimed")
    assert audit_rows(object_type="Task", object_id=str(task.pk), detail="claimed", user=world.alice) == 1


def escalations(user: User) -> int:
    return Notification.objects.filter(user=user, kind=NotificationKind.TASK_ESCALATED).count()


def test_an_overdue_task_goes_once_to_the_owners_supervisor_after_the_delay(
    world: World, traveller: time_machine.Traveller
) -> None:
    due = at(MONDAY, 17)
    task = make_task(world, owner=world.alice, due=due)
    done = make_task(world, owner=world.alice, due=due)
    do_move_task(world.alice, done, TaskStatus.COMPLETED)

    traveller.move_to(due + dt.timedelta(hours=23, minutes=59))  # settings.TASK_ESCALATION_HOURS = 24
    assert do_escalate_overdue_tasks() == 0
    task.refresh_from_db()
    assert task.escalated_at is None and escalations(world.sam) == 0

    traveller.move_to(due + dt.timedelta(hours=24))
    assert do_escalate_overdue_tasks() == 1
    task.refresh_from_db()
    assert (task.escalated_to, task.owner, task.escalated_at) == (world.sam, world.alice, clock.now())
    assert "escalated to Sam Tester: overdue by 24 h" in task.note
    assert escalations(world.sam) == 1 and escalations(world.alice) == 0
    # The sweep did it, not the supervisor: the audit row names no user.
    assert (
        audit_rows(
            object_type="Task", object_id=str(task.pk), detail__startswith="escalated", user__isnull=True
        )
        == 1
    )

    traveller.move_to(due + dt.timedelta(days=3))
    assert do_escalate_overdue_tasks() == 0  # once
    assert escalations(world.sam) == 1
    done.refresh_from_db()
    assert done.escalated_at is None  # a finished task is never escalated


def test_the_delay_is_a_setting_and_a_queue_task_goes_to_its_teams_supervisor(
    world: World, traveller: time_machine.Traveller, settings
) -> None:
    settings.TASK_ESCALATION_HOURS = 2
    due = at(MONDAY, 10)
    queued = make_task(world, team=world.north, due=due)
    traveller.move_to(due + dt.timedelta(hours=1, minutes=59))
    assert do_escalate_overdue_tasks() == 0
    traveller.move_to(due + dt.timedelta(hours=2))
    assert do_escalate_overdue_tasks() == 1
    queued.refresh_from_db()
    assert queued.escalated_to == world.sam and escalations(world.sam) == 1


def test_escalation_goes_to_the_supervisor_of_the_owners_own_team(
    world: World, traveller: time_machine.Traveller
) -> None:
    lake_patient = do_register_and_refer(
        world.charlie,
        PatientDetails(given_name="Lou", family_name="Lake", birth_date=dt.date(1960, 5, 5), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="COPD and heart failure",
    )
    due = at(MONDAY, 10)
    lakes = do_create_task(world.charlie, lake_patient, owner=world.charlie, title="Call Lou", due_at=due)
    alices = make_task(world, owner=world.alice, due=due)
    traveller.move_to(due + dt.timedelta(hours=24))
    assert do_escalate_overdue_tasks() == 2
    lakes.refresh_from_db()
    alices.refresh_from_db()
    lena = User.objects.get(username="lena")
    assert (lakes.escalated_to, alices.escalated_to) == (lena, world.sam)
    assert (escalations(lena), escalations(world.sam)) == (1, 1)


def test_a_supervisors_own_task_has_nobody_to_go_to(world: World, traveller: time_machine.Traveller) -> None:
    due = at(MONDAY, 10)
    sams = make_task(world, owner=world.sam, due=due)
    traveller.move_to(due + dt.timedelta(hours=24))
    assert do_escalate_overdue_tasks() == 0
    sams.refresh_from_db()
    # Marked, so the sweep does not look at it again, but nobody is told and it names nobody.
    assert sams.escalated_at == clock.now() and sams.escalated_to is None
    assert not Notification.objects.filter(kind=NotificationKind.TASK_ESCALATED).exists()


def test_a_new_owner_gets_the_full_delay_before_the_task_escalates_again(
    world: World, traveller: time_machine.Traveller, bob_covers: CareTeamMember
) -> None:
    due = at(MONDAY, 10)
    task = make_task(world, owner=world.alice, due=due)
    traveller.move_to(due + dt.timedelta(hours=24))
    assert do_escalate_overdue_tasks() == 1
    do_reassign_task(world.sam, task, owner=world.bob, reason="Alice is off sick; Bob covers")
    task.refresh_from_db()
    assert task.escalated_at is None and task.escalated_to is None
    traveller.move_to(due + dt.timedelta(hours=25))  # an hour after Bob got it
    assert do_escalate_overdue_tasks() == 0
    traveller.move_to(due + dt.timedelta(hours=48))  # Bob's full delay
    assert do_escalate_overdue_tasks() == 1


# --- The care team ------------------------------------------------------------------------------------------------
def test_someone_outside_the_system_needs_a_name_and_a_way_to_reach_them(world: World) -> None:
    members = CareTeamMember.objects.count()
    with pytest.raises(ActionRefused) as refused:
        do_add_care_team_member(
            world.alice, world.paula, role="Daughter, main caregiver", category="caregiver"
        )
    assert set(refused.value.errors) == {"name", "phone"}
    with pytest.raises(ActionRefused) as refused:
        do_add_care_team_member(world.alice, world.paula, role="Daughter", name="Rosa Reyes")
    assert set(refused.value.errors) == {"phone"}
    with pytest.raises(ActionRefused) as refused:
        do_add_care_team_member(world.alice, world.paula, role=" ", name="Rosa Reyes", phone="555-0101")
    assert set(refused.value.errors) == {"role"}
    assert CareTeamMember.objects.count() == members
    rosa = do_add_care_team_member(
        world.alice, world.paula, role="Daughter", name="Rosa Reyes", email="rosa@example.org"
    )
    assert rosa.is_external and rosa.display_name == "Rosa Reyes"
    assert audit_rows(object_type="CareTeamMember", object_id=str(rosa.pk), action=AuditAction.CREATE) == 1


def test_membership_opens_the_chart_for_its_period_only(
    world: World, traveller: time_machine.Traveller
) -> None:
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    member = do_add_care_team_member(
        world.alice,
        world.paula,
        member=world.bob,
        role="Covering case manager",
        start_date=day(2),
        end_date=day(5),
    )
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)  # not started yet
    traveller.move_to(at(day(2), 9))
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)
    traveller.move_to(at(day(5), 23, 59))
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)  # the last day counts
    traveller.move_to(at(day(6), 0, 1))
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    # Ending a membership early closes the chart the next day.
    traveller.move_to(at(day(3), 9))
    do_end_care_team_member(world.alice, member, end_date=day(3), reason="Alice is back")
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)
    traveller.move_to(at(day(4), 9))
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    assert audit_rows(object_type="CareTeamMember", object_id=str(member.pk), detail="ended") == 1


def test_ending_a_membership_needs_a_reason_and_a_date_after_it_began(world: World) -> None:
    member = CareTeamMember.objects.get(patient=world.paula, user=world.dana)
    with pytest.raises(ActionRefused) as refused:
        do_end_care_team_member(world.alice, member, reason=" ")
    assert set(refused.value.errors) == {"reason"}
    with pytest.raises(ActionRefused) as refused:
        do_end_care_team_member(world.alice, member, end_date=day(-1), reason="Left")
    assert set(refused.value.errors) == {"end_date"}
    member.refresh_from_db()
    assert member.end_date is None


def test_the_team_has_one_lead_at_a_time(world: World, traveller: time_machine.Traveller) -> None:
    dana = CareTeamMember.objects.get(patient=world.paula, user=world.dana)
    rosa = do_add_care_team_member(
        world.alice, world.paula, role="Daughter", name="Rosa Reyes", phone="555-0101", is_lead=True
    )
    do_set_care_team_lead(world.alice, dana)
    assert list(world.paula.care_team.filter(is_lead=True)) == [dana]
    nurse = do_add_care_team_member(
        world.alice, world.paula, role="Nurse", name="Ann", phone="1", is_lead=True
    )
    assert list(world.paula.care_team.filter(is_lead=True)) == [nurse]
    do_end_care_team_member(world.alice, rosa, end_date=clock.today(), reason="Moved away")
    traveller.move_to(at(day(1), 9))
    with pytest.raises(ActionRefused):
        do_set_care_team_lead(world.alice, rosa)  # a past member cannot lead
    with pytest.raises(ActionRefused):
        do_set_care_team_lead(world.dana, dana)  # a care-team member reads, does not change
    assert list(world.paula.care_team.filter(is_lead=True)) == [nurse]
    assert audit_rows(object_type="CareTeamMember", detail="lead", user=world.alice) == 1


def test_a_task_given_to_someone_opens_the_chart_to_them_until_it_is_done(world: World) -> None:
    """privacy/policy.py: the owner of an open task has a relationship to its patient (read only); a finished
    task ends it. Charlie (no relationship to Paula) is the colleague the work goes to."""
    case = new_patient(world, "Tove")
    patient = case.patient
    charlie = make_staff("carl", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    assert not policy.can(charlie, policy.Action.VIEW, patient)
    task = do_create_task(
        world.alice,
        patient,
        owner=charlie,
        title="Review the medicines",
        due_at=clock.now() + dt.timedelta(days=1),
    )
    assert policy.can(charlie, policy.Action.VIEW, patient)
    assert not policy.may(
        charlie, policy.Action.CHANGE, patient
    )  # read only: nothing else lets him change it
    do_move_task(charlie, task, TaskStatus.COMPLETED)
    assert not policy.can(charlie, policy.Action.VIEW, patient)


def test_only_an_administrator_sets_the_cadence_and_days_off_and_they_take_effect(world: World) -> None:
    """The follow-up settings page's actions: a programme row replaces the tier default (docs/coordination.md);
    an office day off stops counting as a business day for the transitional-care call."""
    with pytest.raises(ActionRefused):
        do_set_cadence(world.sam, program="ccm", acuity_tier=2, interval_days=10, mode="phone")
    with pytest.raises(ActionRefused) as refused:
        do_set_cadence(world.adam, program="ccm", acuity_tier=2, interval_days=0, mode="fax")
    assert set(refused.value.errors) == {"interval_days", "mode"}
    assert not CadenceRule.objects.exists()
    rule = do_set_cadence(
        world.adam, program="ccm", acuity_tier=2, interval_days=10, mode="video", by_whom="CHW"
    )
    assert (
        cadence_of(Case(program="ccm", acuity_tier=2), cadence_table(world.riverside.pk)).interval_days == 10
    )
    do_reset_cadence(world.adam, rule)
    assert (
        cadence_of(Case(program="ccm", acuity_tier=2), cadence_table(world.riverside.pk)).interval_days == 30
    )

    friday = dt.date(2026, 12, 4)
    monday = friday + dt.timedelta(days=3)
    assert add_business_days(
        friday, 2, holiday_set(world.riverside.pk, friday, monday + dt.timedelta(7))
    ) == (monday + dt.timedelta(days=1))
    holiday = do_add_holiday(world.adam, date=monday, name="Staff training day (offices closed)")
    with pytest.raises(ActionRefused):
        do_add_holiday(world.adam, date=monday, name="Again")
    days_off = holiday_set(world.riverside.pk, friday, monday + dt.timedelta(7))
    assert add_business_days(friday, 2, days_off) == monday + dt.timedelta(days=2)
    do_remove_holiday(world.adam, holiday)
    assert monday not in holiday_set(world.riverside.pk, friday, monday)
