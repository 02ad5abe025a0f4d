"""Making a care plan: for an open case, one at a time, by its case manager; the approval rule copied."""

from __future__ import annotations

import pytest

from careconductor.careplans import actions
from careconductor.careplans.choices import PlanStatus, VersionStatus
from careconductor.careplans.models import CarePlan
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus, ClosureReason
from careconductor.cases.rules import TransitionRequest
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentType
from tests.careplans.actions.kit import Unchanged, add_goal, audited, no_approval, with_approval
from tests.personas import World

pytestmark = pytest.mark.django_db


def close_case(world: World):  # type: ignore[no-untyped-def]
    case = do_transition_case(world.alice, world.paula_case, TransitionRequest(CaseStatus.SCREENING))
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today(),
    )
    case = do_transition_case(world.alice, case, TransitionRequest(CaseStatus.ACTIVE))
    return do_transition_case(
        world.alice,
        case,
        TransitionRequest(
            CaseStatus.CLOSED, closure_reason=ClosureReason.GOALS_MET, closing_summary="Stable."
        ),
    )


def test_a_case_manager_makes_a_draft_plan_for_an_open_case(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    no_approval(settings)
    plan = actions.do_create_plan(world.alice, world.paula_case, title="  Paula's plan  ")
    assert (plan.status, plan.title, plan.patient, plan.case) == (
        PlanStatus.DRAFT,
        "Paula's plan",
        world.paula,
        world.paula_case,
    )
    assert (plan.current_version, plan.has_changes, plan.requires_approval) == (0, False, False)
    assert audited(world.alice, plan, "CarePlan", AuditAction.CREATE) == 1


def test_one_plan_at_a_time_per_case(world: World, plan: CarePlan) -> None:
    with Unchanged(), pytest.raises(ActionRefused):
        actions.do_create_plan(world.alice, world.paula_case)
    actions.do_end_plan(world.alice, plan, PlanStatus.REVOKED, reason="Started over with Paula.")
    second = actions.do_create_plan(world.alice, world.paula_case)
    assert second.pk != plan.pk and second.status == PlanStatus.DRAFT


def test_no_plan_for_a_closed_case(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    no_approval(settings)
    case = close_case(world)
    with Unchanged(), pytest.raises(ActionRefused):
        actions.do_create_plan(world.alice, case)


def test_strangers_cannot_make_a_plan_and_the_care_team_only_reads(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    no_approval(settings)
    with Unchanged():
        for stranger in (world.bob, world.charlie, world.uma):
            with pytest.raises(NotVisible):
                actions.do_create_plan(stranger, world.paula_case)
        with pytest.raises(ActionRefused):
            actions.do_create_plan(world.dana, world.paula_case)  # physician on Paula's care team


def test_the_approval_rule_is_copied_when_the_plan_is_made(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    with_approval(settings)
    plan = actions.do_create_plan(world.alice, world.paula_case)
    assert plan.requires_approval
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    add_goal(world.alice, plan)
    version = actions.do_publish(world.alice, plan, reason="")
    assert version.status == VersionStatus.PENDING  # a later change of policy does not strand the plan
