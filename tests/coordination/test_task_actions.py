"""Tasks through the actions: handing them over, claiming, moving and escalating them. The clock and world of
test_followup_actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from careconductor.accounts.models import Team, User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.coordination.actions import (
    do_add_task_note,
    do_claim_task,
    do_create_task,
    do_escalate_overdue_tasks,
    do_move_task,
    do_reassign_task,
)
from careconductor.coordination.choices import (
    NotificationKind,
    TaskPriority,
    TaskStatus,
)
from careconductor.coordination.models import (
    Notification,
    Task,
    TaskReassignment,
)
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import (
    PatientDetails,
    do_add_care_team_member,
)
from careconductor.patients.choices import Sex
from careconductor.patients.models import CareTeamMember
from careconductor.privacy import policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent

from ..personas import World, build_world
from .test_followup_actions import (
    MONDAY,
    at,
    audit_rows,
    day,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    """The clock stands still at 09:00 on MONDAY until a test moves it (as in test_followup_actions)."""
    with time_machine.travel(at(MONDAY, 9), tick=False) as t:
        yield t


@pytest.fixture
def world(db: None, traveller: time_machine.Traveller) -> World:
    return build_world()


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
