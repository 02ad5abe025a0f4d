"""Goals in the patient's words, progress and the goal lifecycle, steps, barriers and interventions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from careconductor.careplans import actions
from careconductor.careplans.choices import Achievement, GoalLifecycle, InterventionKind, OwnerType, Proposer
from careconductor.careplans.models import CarePlan, Intervention
from careconductor.coordination.choices import TaskStatus
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.privacy.choices import AuditAction
from tests.assessments.helpers import phq9_answers, record
from tests.careplans.actions.kit import Unchanged, add_goal, audited, noon, refused_fields
from tests.personas import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"patient_words": "  "}, {"patient_words"}),
        ({"measure": "cholesterol"}, {"measure"}),
        ({"measure": "other", "measure_text": ""}, {"measure_text"}),
        ({"measure": "housing", "target_value": Decimal(1), "target_text": "A home"}, {"target_value"}),
        ({"measure": "housing", "target_text": ""}, {"target_text"}),
        ({"measure": "hba1c", "target_value": None, "target_text": ""}, {"target_value"}),
        ({"due_on": dt.date.today() - dt.timedelta(days=2)}, {"due_on"}),
        ({"patient_rank": 0}, {"patient_rank"}),
    ],
)
def test_goal_validation(world: World, plan: CarePlan, fields: dict, wrong: set[str]) -> None:
    with Unchanged(plan):
        assert refused_fields(add_goal, world.alice, plan, **fields) == wrong


def test_a_goal_in_the_patients_words_for_a_problem(world: World, plan: CarePlan) -> None:
    problem = actions.do_add_problem_by_hand(world.alice, plan, title="Diabetes not at goal")
    goal = add_goal(
        world.alice,
        plan,
        problem_ids=[problem.pk],
        patient_words="I want my sugar down so I can see my grandson graduate.",
        measure="hba1c",
        target_value=Decimal("8"),
        target_text="",
        due_on=clock.today() + dt.timedelta(days=180),
    )
    assert goal.lifecycle == GoalLifecycle.PROPOSED
    assert goal.patient == world.paula
    assert list(goal.problems.all()) == [problem]
    assert goal.target_label == "HbA1c ≤ 8"
    assert goal.baseline_value is None  # nothing on record to start from
    assert audited(world.alice, plan, "Goal", AuditAction.CREATE) == 1


def test_a_phq9_goal_starts_from_the_latest_phq9(world: World, plan: CarePlan) -> None:
    start = clock.today() + dt.timedelta(days=1)
    with time_machine.travel(noon(start), tick=False):
        record(world.alice, world.paula, "phq-9", phq9_answers(12))
    with time_machine.travel(noon(start + dt.timedelta(days=3)), tick=False):
        record(world.alice, world.paula, "phq-9", phq9_answers(19))
    with time_machine.travel(noon(start + dt.timedelta(days=5)), tick=False):
        goal = add_goal(world.alice, plan, measure="phq9", target_value=Decimal(10), target_text="")
        typed = add_goal(
            world.alice,
            plan,
            measure="phq9",
            target_value=Decimal(10),
            baseline_value=Decimal(21),
            target_text="",
        )
    assert (goal.baseline_value, goal.baseline_on) == (Decimal(19), start + dt.timedelta(days=3))
    typed.refresh_from_db()
    assert (typed.baseline_value, typed.baseline_on) == (Decimal(21), None)  # a typed baseline is kept


def test_a_goal_update_keeps_a_due_date_that_has_since_passed(world: World, plan: CarePlan) -> None:
    start = clock.today() + dt.timedelta(days=1)
    with time_machine.travel(noon(start), tick=False):
        goal = add_goal(world.alice, plan, due_on=start + dt.timedelta(days=7))
    with time_machine.travel(noon(start + dt.timedelta(days=30)), tick=False):
        actions.do_update_goal(world.alice, goal, statement="Walks with her daughter.")
        goal.refresh_from_db()
        assert (goal.statement, goal.due_on) == ("Walks with her daughter.", start + dt.timedelta(days=7))
        with Unchanged(plan), pytest.raises(ActionRefused):
            actions.do_update_goal(world.alice, goal, due_on=start + dt.timedelta(days=8))  # a new past date


def test_progress_on_goals(world: World, plan: CarePlan) -> None:
    proposed = add_goal(world.alice, plan, proposed_by=Proposer.TEAM)
    active = add_goal(world.alice, plan)
    with Unchanged(plan):
        assert refused_fields(
            actions.do_record_progress, world.alice, proposed, achievement=Achievement.IMPROVING
        ) == {"achievement"}
        assert refused_fields(actions.do_record_progress, world.alice, proposed, note=" ") == {"note"}
    actions.do_publish(world.alice, plan, reason="")
    proposed.refresh_from_db()
    active.refresh_from_db()
    assert (proposed.lifecycle, active.lifecycle) == (GoalLifecycle.PROPOSED, GoalLifecycle.ACTIVE)

    entry = actions.do_record_progress(
        world.alice, active, note="Walked twice.", achievement=Achievement.IMPROVING, suggested="improving"
    )
    active.refresh_from_db()
    assert (active.achievement, active.achievement_set_at) == (Achievement.IMPROVING, entry.written_at)
    assert (entry.note, entry.achievement, entry.suggested) == ("Walked twice.", "improving", "improving")
    assert audited(world.alice, plan, "GoalProgress", AuditAction.CREATE) == 1
    note_only = actions.do_record_progress(world.alice, active, note="Called; no change to report.")
    active.refresh_from_db()
    assert note_only.achievement == "" and active.achievement == Achievement.IMPROVING

    # completing needs an outcome
    with Unchanged(plan):
        assert refused_fields(actions.do_move_goal, world.alice, active, GoalLifecycle.COMPLETED) == {
            "lifecycle"
        }
        assert refused_fields(actions.do_move_goal, world.alice, proposed, GoalLifecycle.ON_HOLD) == {
            "lifecycle"
        }
    actions.do_record_progress(world.alice, active, achievement=Achievement.ACHIEVED)
    active.refresh_from_db()
    actions.do_move_goal(world.alice, active, GoalLifecycle.COMPLETED, note="Walks to church every week.")
    active.refresh_from_db()
    assert active.lifecycle == GoalLifecycle.COMPLETED
    assert active.progress.filter(note__contains="Walks to church every week.").exists()
    with Unchanged(plan):
        assert refused_fields(
            actions.do_record_progress, world.alice, active, achievement=Achievement.IMPROVING
        ) == {"achievement"}
    actions.do_record_progress(world.alice, active, achievement=Achievement.SUSTAINING)


def test_strangers_and_the_care_team_cannot_record_progress(world: World, plan: CarePlan) -> None:
    goal = add_goal(world.alice, plan)
    actions.do_publish(world.alice, plan, reason="")
    goal.refresh_from_db()
    with Unchanged(plan):
        with pytest.raises(NotVisible):
            actions.do_record_progress(world.charlie, goal, note="Hello")
        with pytest.raises(ActionRefused):
            actions.do_record_progress(world.dana, goal, note="Seen in clinic")
        with pytest.raises(ActionRefused):
            add_goal(world.dana, plan)


def test_steps_barriers_and_interventions(world: World, plan: CarePlan) -> None:
    goal = add_goal(world.alice, plan)
    with Unchanged(plan):
        assert refused_fields(actions.do_add_step, world.alice, goal, text=" ") == {"text"}
        assert refused_fields(actions.do_add_barrier, world.alice, goal, kind="cost", description="") == {
            "description"
        }
        assert refused_fields(
            actions.do_add_intervention,
            world.alice,
            plan,
            kind=InterventionKind.REFERRAL,
            title="Refer",
            owner_type=OwnerType.STAFF,
        ) == {"owner"}
        assert refused_fields(
            actions.do_add_intervention,
            world.alice,
            plan,
            kind=InterventionKind.REFERRAL,
            title="Refer",
            owner_type=OwnerType.STAFF,
            owner=world.charlie,  # another organisation
        ) == {"owner"}
        assert refused_fields(
            actions.do_add_intervention,
            world.alice,
            plan,
            kind=InterventionKind.REFERRAL,
            title="Refer",
            owner_type=OwnerType.PATIENT,
            owner=world.alice,
        ) == {"owner"}
    first = actions.do_add_step(world.alice, goal, text="Walk to the corner", due_on=clock.today())
    second = actions.do_add_step(world.alice, goal, text="Walk to the park")
    assert (first.position, second.position) == (0, 1)
    barrier = actions.do_add_barrier(world.alice, goal, kind="transport", description="Church is far")
    actions.do_update_barrier(world.alice, barrier, response="Rosa drives her", resolved=True)
    barrier.refresh_from_db()
    assert (barrier.response, barrier.resolved) == ("Rosa drives her", True)
    actions.do_remove_step(world.alice, first)
    assert list(goal.steps.all()) == [second]
    own = actions.do_add_intervention(
        world.alice, plan, kind=InterventionKind.MONITORING, title="Count steps", owner_type=OwnerType.PATIENT
    )
    actions.do_set_intervention_status(world.alice, own, "in-progress")
    own.refresh_from_db()
    assert own.status == "in-progress"
    assert audited(world.alice, plan, "GoalStep", AuditAction.DELETE) == 1
    assert audited(world.alice, plan, "Barrier") == 2
    assert audited(world.alice, plan, "Intervention") == 2


def test_removing_a_staff_intervention_cancels_its_task(world: World, plan: CarePlan) -> None:
    add_goal(world.alice, plan)
    staff = actions.do_add_intervention(
        world.alice,
        plan,
        kind=InterventionKind.REFERRAL,
        title="Refer",
        owner_type=OwnerType.STAFF,
        owner=world.bob,
    )
    actions.do_publish(world.alice, plan, reason="")
    staff.refresh_from_db()
    task = staff.task
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_set_intervention_status(world.alice, staff, "completed")  # it follows its task
    plan.refresh_from_db()
    actions.do_remove_intervention(world.alice, staff)
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    assert not Intervention.objects.filter(pk=staff.pk).exists()
