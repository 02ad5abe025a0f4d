"""Versions in force with and without a supervisor's approval, the patient's agreement, reviews after a
discharge, the end of a plan. A refused action changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from careconductor.careplans import actions, queries
from careconductor.careplans.choices import (
    Achievement,
    AgreedBy,
    AgreementMethod,
    GoalAgreement,
    GoalLifecycle,
    InterventionKind,
    OwnerType,
    PlanStatus,
    Proposer,
    VersionStatus,
)
from careconductor.careplans.models import CarePlan, Goal, Intervention, PlanAgreement
from careconductor.coordination.choices import TaskKind, TaskStatus
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.choices import EncounterClass
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent
from tests.careplans.actions.kit import Unchanged, add_goal, audited, noon, refused_fields, with_approval
from tests.personas import World

pytestmark = pytest.mark.django_db


def build_plan(world: World, plan: CarePlan) -> dict[str, Any]:
    made = {
        "agreed": add_goal(world.alice, plan, proposed_by=Proposer.TEAM, agreement=GoalAgreement.AGREED),
        "patient": add_goal(world.alice, plan, patient_words="I want to cook for my family again."),
        "declined": add_goal(world.alice, plan, proposed_by=Proposer.TEAM, agreement=GoalAgreement.DECLINED),
        "not-asked": add_goal(world.alice, plan, proposed_by=Proposer.TEAM),
    }
    due = clock.today() + dt.timedelta(days=10)
    made["staff"] = actions.do_add_intervention(
        world.alice,
        plan,
        goal=made["agreed"],
        kind=InterventionKind.REFERRAL,
        title="Refer to the diabetes education class",
        owner_type=OwnerType.STAFF,
        owner=world.alice,
        due_on=due,
    )
    made["patient-owned"] = actions.do_add_intervention(
        world.alice,
        plan,
        kind=InterventionKind.MONITORING,
        title="Check sugar each morning",
        owner_type=OwnerType.PATIENT,
    )
    made["caregiver"] = actions.do_add_intervention(
        world.alice,
        plan,
        kind=InterventionKind.COORDINATION,
        title="Drive Paula to the class",
        owner_type=OwnerType.CAREGIVER,
        owner_name="Rosa",
    )
    return made


def test_publishing_without_approval_puts_version_1_in_force(world: World, plan: CarePlan) -> None:
    made = build_plan(world, plan)
    version = actions.do_publish(world.alice, plan, reason="")
    plan.refresh_from_db()
    assert (version.number, version.status, version.made_by) == (1, VersionStatus.IN_FORCE, world.alice)
    assert version.reason  # the first version says so by itself
    assert (plan.status, plan.current_version, plan.has_changes) == (PlanStatus.ACTIVE, 1, False)
    assert plan.activated_at is not None
    assert plan.review_due == clock.today() + dt.timedelta(days=90)

    lifecycle = {
        k: Goal.objects.get(pk=made[k].pk).lifecycle for k in ("agreed", "patient", "declined", "not-asked")
    }
    assert lifecycle == {
        "agreed": GoalLifecycle.ACTIVE,
        "patient": GoalLifecycle.ACTIVE,
        "declined": GoalLifecycle.REJECTED,
        "not-asked": GoalLifecycle.PROPOSED,
    }

    (task,) = Task.objects.filter(patient=world.paula, kind=TaskKind.CARE_PLAN)
    staff = Intervention.objects.get(pk=made["staff"].pk)
    assert staff.task == task
    assert (task.owner, task.title, task.case_id) == (world.alice, staff.title, world.paula_case.pk)
    assert timezone.localtime(task.due_at).date() == staff.due_on
    for key in ("patient-owned", "caregiver"):
        assert Intervention.objects.get(pk=made[key].pk).task is None
    assert AuditEvent.objects.filter(
        object_type="CarePlan", object_id=str(plan.pk), detail="version 1"
    ).exists()
    standing = queries.standing(plan)
    assert standing.in_force == version and not standing.awaiting_approval and not standing.agreed


def test_a_plan_needs_a_goal_before_it_comes_into_force(world: World, plan: CarePlan) -> None:
    actions.do_add_problem_by_hand(world.alice, plan, title="Lonely")
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_publish(world.alice, plan, reason="First")


def test_a_changed_plan_needs_a_reason_and_a_new_version(world: World, plan: CarePlan) -> None:
    made = build_plan(world, plan)
    first = actions.do_publish(world.alice, plan, reason="")
    plan.refresh_from_db()

    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_publish(world.alice, plan, reason="Nothing really")  # nothing changed

    new = actions.do_add_intervention(
        world.alice,
        plan,
        kind=InterventionKind.MEDICATION_REVIEW,
        title="Physician reviews her insulin dose",
        owner_type=OwnerType.STAFF,
        owner=world.dana,
    )
    plan.refresh_from_db()
    assert plan.has_changes and plan.status == PlanStatus.ACTIVE and plan.current_version == 1

    with Unchanged(plan):
        assert refused_fields(actions.do_publish, world.alice, plan, reason="   ") == {"reason"}

    second = actions.do_publish(world.alice, plan, reason="Insulin review added after her visit.")
    plan.refresh_from_db()
    first.refresh_from_db()
    assert (second.number, second.status, second.reason) == (
        2,
        VersionStatus.IN_FORCE,
        "Insulin review added after her visit.",
    )
    assert first.status == VersionStatus.SUPERSEDED
    assert (plan.current_version, plan.has_changes) == (2, False)
    # the new staff intervention gets its task; the old one keeps its own and gets no second
    tasks = Task.objects.filter(patient=world.paula, kind=TaskKind.CARE_PLAN)
    assert sorted(t.owner.username for t in tasks) == ["alice", "dana"]
    assert Intervention.objects.get(pk=new.pk).task.owner == world.dana
    assert Intervention.objects.get(pk=made["staff"].pk).task is not None


@pytest.mark.parametrize(
    "edit",
    [
        lambda w, p, g: actions.do_add_step(w.alice, g, text="Walk to the corner"),
        lambda w, p, g: actions.do_add_barrier(w.alice, g, kind="transport", description="No car"),
        lambda w, p, g: actions.do_update_goal(w.alice, g, statement="Walks 30 minutes"),
        lambda w, p, g: actions.do_move_goal(w.alice, g, GoalLifecycle.ON_HOLD, note="In hospital"),
        lambda w, p, g: actions.do_add_problem_by_hand(w.alice, p, title="Lonely"),
        lambda w, p, g: actions.do_rename_plan(w.alice, p, title="Paula's plan for spring"),
    ],
)
def test_any_edit_of_a_plan_in_force_marks_it_changed(world: World, plan: CarePlan, edit) -> None:  # type: ignore[no-untyped-def]
    goal = add_goal(world.alice, plan)
    actions.do_publish(world.alice, plan, reason="")
    plan.refresh_from_db()
    goal.refresh_from_db()
    assert not plan.has_changes
    edit(world, plan, goal)
    plan.refresh_from_db()
    assert plan.has_changes


def test_progress_is_not_a_change_of_plan(world: World, plan: CarePlan) -> None:
    goal = add_goal(world.alice, plan)
    step = actions.do_add_step(world.alice, goal, text="Walk to the corner")
    actions.do_publish(world.alice, plan, reason="")
    goal.refresh_from_db()
    actions.do_record_progress(
        world.alice, goal, note="Walked twice this week.", achievement=Achievement.IMPROVING
    )
    actions.do_mark_step(world.alice, step, done=True)
    plan.refresh_from_db()
    assert not plan.has_changes
    step.refresh_from_db()
    assert step.done_on == clock.today()


@pytest.fixture
def approved_plan(world: World, settings) -> CarePlan:  # type: ignore[no-untyped-def]
    with_approval(settings)
    plan = actions.do_create_plan(world.alice, world.paula_case)
    assert plan.requires_approval
    return plan


def test_a_version_waits_for_the_teams_supervisor(world: World, approved_plan: CarePlan) -> None:
    plan = approved_plan
    made = build_plan(world, plan)
    version = actions.do_publish(world.alice, plan, reason="")
    plan.refresh_from_db()
    assert version.status == VersionStatus.PENDING
    assert (plan.status, plan.current_version) == (PlanStatus.DRAFT, 0)
    assert Goal.objects.get(pk=made["agreed"].pk).lifecycle == GoalLifecycle.PROPOSED  # not yet in force
    assert not Task.objects.filter(kind=TaskKind.CARE_PLAN).exists()
    (approval,) = Task.objects.filter(patient=world.paula, kind=TaskKind.PLAN_APPROVAL)
    assert approval.owner == world.north.supervisor == world.sam
    assert queries.standing(plan).awaiting_approval
    assert list(queries.plans_awaiting_decision(world.sam)) == [version]

    # while it waits, nothing changes
    goal = Goal.objects.get(pk=made["agreed"].pk)
    with Unchanged(plan):
        for edit in (
            lambda: add_goal(world.alice, plan),
            lambda: actions.do_add_step(world.alice, goal, text="Walk"),
            lambda: actions.do_add_problem_by_hand(world.alice, plan, title="Lonely"),
            lambda: actions.do_publish(world.alice, plan, reason="Again"),
        ):
            with pytest.raises(ActionRefused):
                edit()

    # the author cannot approve it, nor a colleague without a relationship
    with Unchanged(plan):
        with pytest.raises(ActionRefused):
            actions.do_decide_version(world.alice, version, approve=True)
        with pytest.raises(NotVisible):
            actions.do_decide_version(world.bob, version, approve=True)

    actions.do_decide_version(world.sam, version, approve=True, comment="Good plan.")
    version.refresh_from_db()
    plan.refresh_from_db()
    approval.refresh_from_db()
    assert (version.status, version.decided_by, version.decision_comment) == (
        VersionStatus.IN_FORCE,
        world.sam,
        "Good plan.",
    )
    assert version.decided_at is not None
    assert (plan.status, plan.current_version) == (PlanStatus.ACTIVE, 1)
    assert approval.status == TaskStatus.COMPLETED
    assert Goal.objects.get(pk=made["agreed"].pk).lifecycle == GoalLifecycle.ACTIVE
    assert Task.objects.filter(kind=TaskKind.CARE_PLAN, owner=world.alice).count() == 1
    assert AuditEvent.objects.filter(
        user=world.sam, object_type="CarePlan", detail="version 1 approved"
    ).exists()
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_decide_version(world.sam, version, approve=True)  # already decided


def test_a_returned_version_needs_a_comment_and_leaves_the_plan_editable(
    world: World, approved_plan: CarePlan
) -> None:
    plan = approved_plan
    add_goal(world.alice, plan)
    version = actions.do_publish(world.alice, plan, reason="")
    with Unchanged(plan):
        assert refused_fields(actions.do_decide_version, world.sam, version, approve=False, comment=" ") == {
            "comment"
        }
    actions.do_decide_version(world.sam, version, approve=False, comment="Add a goal for her housing.")
    version.refresh_from_db()
    assert (version.status, version.decision_comment) == (
        VersionStatus.RETURNED,
        "Add a goal for her housing.",
    )
    assert Task.objects.get(kind=TaskKind.PLAN_APPROVAL).status == TaskStatus.COMPLETED
    standing = queries.standing(plan)
    assert standing.returned == version and not standing.awaiting_approval and standing.in_force is None

    add_goal(
        world.alice,
        plan,
        patient_words="I want a safe place to live.",
        measure="housing",
        target_text="Housed",
    )
    again = actions.do_publish(world.alice, plan, reason="Housing goal added.")
    assert (again.number, again.status) == (2, VersionStatus.PENDING)
    assert Task.objects.filter(kind=TaskKind.PLAN_APPROVAL).exclude(status=TaskStatus.COMPLETED).count() == 1


def test_a_returned_revision_leaves_the_plan_in_force_with_changes(
    world: World, approved_plan: CarePlan
) -> None:
    plan = approved_plan
    goal = add_goal(world.alice, plan)
    actions.do_decide_version(world.sam, actions.do_publish(world.alice, plan, reason=""), approve=True)
    goal.refresh_from_db()
    plan.refresh_from_db()
    actions.do_update_goal(world.alice, goal, statement="Walks 30 minutes")
    revision = actions.do_publish(world.alice, plan, reason="Clearer statement")
    actions.do_decide_version(world.sam, revision, approve=False, comment="Say how far.")
    plan.refresh_from_db()
    assert (plan.status, plan.current_version, plan.has_changes) == (PlanStatus.ACTIVE, 1, True)
    assert queries.standing(plan).in_force.number == 1


def test_a_supervisor_who_acknowledged_the_approval_task_can_still_approve(
    world: World, approved_plan: CarePlan
) -> None:
    from careconductor.coordination.actions import do_move_task

    plan = approved_plan
    add_goal(world.alice, plan)
    version = actions.do_publish(world.alice, plan, reason="")
    task = Task.objects.get(kind=TaskKind.PLAN_APPROVAL)
    do_move_task(world.sam, task, TaskStatus.RECEIVED, note="Will read it tomorrow.")
    actions.do_decide_version(world.sam, version, approve=True)
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_FORCE


def agree(world: World, plan: CarePlan, **fields: Any) -> PlanAgreement:
    values: dict[str, Any] = {
        "agreed_on": clock.today(),
        "method": AgreementMethod.IN_PERSON,
        "agreed_by": AgreedBy.PATIENT,
    }
    values.update(fields)
    return actions.do_record_agreement(world.alice, plan, **values)


def test_agreement_rules(world: World, plan: CarePlan) -> None:
    goal = add_goal(world.alice, plan)
    with Unchanged(plan), pytest.raises(ActionRefused):
        agree(world, plan)  # no version yet
    version = actions.do_publish(world.alice, plan, reason="")
    with Unchanged(plan):
        assert refused_fields(agree, world, plan, agreed_on=clock.today() + dt.timedelta(days=1)) == {
            "agreed_on"
        }
        assert refused_fields(agree, world, plan, agreed_on=clock.today() - dt.timedelta(days=1)) == {
            "agreed_on"
        }
        assert refused_fields(agree, world, plan, agreed_by=AgreedBy.PROXY) == {
            "proxy_name",
            "proxy_relationship",
        }
        assert refused_fields(agree, world, plan, agreed_by=AgreedBy.PROXY, proxy_name="Rosa Reyes") == {
            "proxy_relationship"
        }

    agreement = agree(
        world,
        plan,
        agreed_by=AgreedBy.PROXY,
        proxy_name=" Rosa Reyes ",
        proxy_relationship="daughter",
        method=AgreementMethod.PHONE,
    )
    assert (agreement.version, agreement.proxy_name, agreement.who) == (
        version,
        "Rosa Reyes",
        "Rosa Reyes (daughter)",
    )
    assert audited(world.alice, plan, "PlanAgreement", AuditAction.CREATE) == 1
    standing = queries.standing(plan)
    assert standing.agreed and standing.agreement == agreement
    assert "Rosa Reyes" in standing.agreement_note

    # a new version needs its own agreement
    goal.refresh_from_db()
    actions.do_update_goal(world.alice, goal, statement="Walks with Rosa")
    plan.refresh_from_db()
    second = actions.do_publish(world.alice, plan, reason="Rosa will walk with her.")
    standing = queries.standing(plan)
    assert standing.in_force == second and not standing.agreed
    assert str(second.number) in standing.agreement_note
    mine = agree(world, plan)
    assert mine.version == second and queries.standing(plan).agreed


def test_an_agreement_while_a_version_waits_goes_to_that_version(
    world: World, approved_plan: CarePlan
) -> None:
    plan = approved_plan
    add_goal(world.alice, plan)
    version = actions.do_publish(world.alice, plan, reason="")
    agreement = agree(world, plan)
    assert agreement.version == version
    assert queries.standing(plan).pending_agreement == agreement
    actions.do_decide_version(world.sam, version, approve=True)
    assert queries.standing(plan).agreed


def test_review_sets_the_next_date_and_a_discharge_brings_it_forward(world: World, plan: CarePlan) -> None:
    start = clock.today() + dt.timedelta(days=1)
    add_goal(world.alice, plan)
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_review_plan(world.alice, plan, note="Draft only")  # not in force yet
    with time_machine.travel(noon(start), tick=False):
        actions.do_publish(world.alice, plan, reason="")
    with time_machine.travel(noon(start + dt.timedelta(days=30)), tick=False):
        with Unchanged(plan):
            assert refused_fields(actions.do_review_plan, world.alice, plan, note=" ") == {"note"}
        review = actions.do_review_plan(world.alice, plan, note="Going well; walking most days.")
        plan.refresh_from_db()
        assert (review.version_number, review.reviewed_by) == (1, world.alice)
        assert plan.review_due == start + dt.timedelta(days=120)
        assert timezone.localdate(plan.last_reviewed_at) == start + dt.timedelta(days=30)
        assert AuditEvent.objects.filter(
            user=world.alice, object_type="CarePlan", object_id=str(plan.pk), detail="reviewed"
        ).exists()
        state = queries.standing(plan).review
        assert (state.due_on, state.overdue) == (start + dt.timedelta(days=120), False)
        # a stay that ended before the review does not count
        do_add_encounter(
            world.alice,
            world.paula,
            encounter_class=EncounterClass.INPATIENT,
            start=noon(start + dt.timedelta(days=10)),
            end=noon(start + dt.timedelta(days=14)),
        )
        assert not queries.standing(plan).review.overdue
    with time_machine.travel(noon(start + dt.timedelta(days=50)), tick=False):
        do_add_encounter(
            world.alice,
            world.paula,
            encounter_class=EncounterClass.INPATIENT,
            start=noon(start + dt.timedelta(days=40)),
            end=noon(start + dt.timedelta(days=45)),
        )
        state = queries.standing(plan).review
        assert (state.due_on, state.overdue) == (start + dt.timedelta(days=45), True)
        assert queries.review_due_day(plan) == start + dt.timedelta(days=45)
        # an emergency visit is not a discharge from hospital
        actions.do_review_plan(world.alice, plan, note="Reviewed after her stay.")
        do_add_encounter(
            world.alice,
            world.paula,
            encounter_class=EncounterClass.EMERGENCY,
            start=noon(start + dt.timedelta(days=50)) + dt.timedelta(minutes=5),
            end=noon(start + dt.timedelta(days=50)) + dt.timedelta(hours=3),
        )
        plan.refresh_from_db()
        assert not queries.standing(plan).review.overdue


@pytest.mark.parametrize("target", [PlanStatus.COMPLETED, PlanStatus.REVOKED])
def test_ending_a_plan_in_force_keeps_a_final_version(
    world: World, plan: CarePlan, target: PlanStatus
) -> None:
    add_goal(world.alice, plan)
    first = actions.do_publish(world.alice, plan, reason="")
    with Unchanged(plan):
        assert refused_fields(actions.do_end_plan, world.alice, plan, target, reason="  ") == {"reason"}
        with pytest.raises(ActionRefused):
            actions.do_end_plan(world.alice, plan, PlanStatus.ACTIVE, reason="Why not")
    actions.do_end_plan(world.alice, plan, target, reason="Goals met; case closing.")
    plan.refresh_from_db()
    first.refresh_from_db()
    assert (plan.status, plan.end_reason, plan.current_version) == (target, "Goals met; case closing.", 2)
    assert plan.ended_at is not None
    final = plan.versions.get(number=2)
    assert final.status == VersionStatus.IN_FORCE and "Goals met; case closing." in final.reason
    assert first.status == VersionStatus.SUPERSEDED
    assert AuditEvent.objects.filter(
        object_type="CarePlan", object_id=str(plan.pk), detail=f"status {target}"
    )
    with Unchanged(plan):
        for call in (
            lambda: add_goal(world.alice, plan),
            lambda: actions.do_end_plan(world.alice, plan, PlanStatus.REVOKED, reason="Again"),
            lambda: actions.do_publish(world.alice, plan, reason="More"),
            lambda: actions.do_review_plan(world.alice, plan, note="Late review"),
        ):
            with pytest.raises(ActionRefused):
                call()


def test_a_draft_is_revoked_not_completed(world: World, plan: CarePlan) -> None:
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_end_plan(world.alice, plan, PlanStatus.COMPLETED, reason="Done")
    actions.do_end_plan(world.alice, plan, PlanStatus.REVOKED, reason="Patient moved away.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REVOKED and not plan.versions.exists()


def test_ending_a_plan_returns_a_version_still_waiting(world: World, approved_plan: CarePlan) -> None:
    add_goal(world.alice, approved_plan)
    version = actions.do_publish(world.alice, approved_plan, reason="")
    actions.do_end_plan(
        world.alice, approved_plan, PlanStatus.REVOKED, reason="Patient declined the programme."
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.RETURNED
    assert not queries.standing(approved_plan).awaiting_approval
