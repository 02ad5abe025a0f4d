"""Closing a case through the actions: the summary, the supervisor's approval where the programme asks for it,
and the hand-over. The clock and world of test_followup_actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from careconductor.accounts.models import Team
from careconductor.cases.choices import CaseStatus, Program
from careconductor.cases.models import Case
from careconductor.coordination.actions import (
    closure_needs_approval,
    do_decide_closure,
    do_request_closure,
)
from careconductor.coordination.choices import (
    ClosureStatus,
    NotificationKind,
    TaskKind,
    TaskStatus,
)
from careconductor.coordination.models import (
    ClosureRequest,
    Notification,
    Task,
)
from careconductor.core.errors import ActionRefused
from careconductor.privacy.choices import AuditAction

from ..personas import World, build_world
from .test_followup_actions import (
    MONDAY,
    at,
    audit_rows,
    enrol,
    new_patient,
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


def test_someone_named_as_the_teams_supervisor_without_the_role_does_not_decide(world: World) -> None:
    """One rule with care plan versions (accounts.rules.may_decide_approval): the role decides as well as the
    team. Bob, a case manager, named as North's supervisor by mistake, neither closes without approval nor
    approves Alice's request; an administrator does."""
    case = enrol(world, world.paula_case)
    Team.objects.filter(pk=world.north.pk).update(supervisor=world.bob)
    case.refresh_from_db()
    assert closure_needs_approval(world.bob, case)
    assert closure_needs_approval(world.sam, case)  # a supervisor, but no longer North's
    assert not closure_needs_approval(world.adam, case)
    request = do_request_closure(world.alice, case, reason="goals_met", summary="Done")
    assert isinstance(request, ClosureRequest)
    with pytest.raises(ActionRefused):
        do_decide_closure(world.bob, request, approve=True)
    request.refresh_from_db()
    assert request.status == ClosureStatus.PENDING
    approved = do_decide_closure(world.adam, request, approve=True)
    case.refresh_from_db()
    assert (approved.decided_by, case.status) == (world.adam, CaseStatus.CLOSED)


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
