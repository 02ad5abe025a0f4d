"""Progress from values as they arrive: a PHQ-9 completed later moves the depression goal, a typed HbA1c moves
the diabetes goal, nothing is copied. PHQ-9: lower is better; 5 points is the change worth calling a change
(the measure's step); a goal of "below 10" is met at 10 or less."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careconductor.careplans import actions, progress
from careconductor.careplans.choices import Achievement, GoalLifecycle, ReadingSource
from careconductor.careplans.models import CarePlan, Goal
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from tests.assessments.helpers import phq9_answers, record
from tests.personas import World

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def start() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=3)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NEW_YORK)


@pytest.fixture
def plan(world: World, settings) -> CarePlan:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    return actions.do_create_plan(world.alice, world.paula_case)


def phq9(world: World, day: dt.date, total: int) -> None:
    with time_machine.travel(at(day), tick=False):
        record(world.alice, world.paula, "phq-9", phq9_answers(total))


def view(goal: Goal) -> progress.GoalProgressView:
    fresh = Goal.objects.get(pk=goal.pk)
    return progress.goal_progress([fresh])[goal.pk]


def suggested(goal: Goal) -> Achievement | None:
    found = view(goal).suggestion
    return found.achievement if found else None


def depression_goal(world: World, plan: CarePlan, start: dt.date) -> Goal:
    """A PHQ-9 of 19 on the first day; the goal (below 10) set the next day and put in force."""
    phq9(world, start, 19)
    with time_machine.travel(at(start + dt.timedelta(days=1)), tick=False):
        goal = actions.do_add_goal(
            world.alice,
            plan,
            patient_words="I want to enjoy things again.",
            measure="phq9",
            target_value=Decimal(10),
        )
        actions.do_publish(world.alice, plan, reason="")
    goal.refresh_from_db()
    assert (goal.baseline_value, goal.baseline_on, goal.lifecycle) == (
        Decimal(19),
        start,
        GoalLifecycle.ACTIVE,
    )
    return goal


def test_later_phq9s_move_the_goal(world: World, plan: CarePlan, start: dt.date) -> None:
    goal = depression_goal(world, plan, start)
    first = view(goal)
    assert (
        first.values == [] and first.suggestion is None and first.latest is None
    )  # the baseline is not progress
    assert not first.to_confirm

    phq9(world, start + dt.timedelta(days=14), 14)
    now = view(goal)
    assert now.values == [(start + dt.timedelta(days=14), Decimal(14))]
    assert now.suggestion.achievement == Achievement.IMPROVING  # 19 → 14: five points better
    assert now.to_confirm

    phq9(world, start + dt.timedelta(days=28), 9)
    assert suggested(goal) == Achievement.ACHIEVED  # 9 meets "below 10"
    assert view(goal).latest == (start + dt.timedelta(days=28), Decimal(9))

    phq9(world, start + dt.timedelta(days=42), 8)
    now = view(goal)
    assert now.suggestion.achievement == Achievement.SUSTAINING  # at target twice running
    assert [v for _, v in now.values] == [Decimal(14), Decimal(9), Decimal(8)]


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        ([24], Achievement.WORSENING),  # five points worse than the baseline
        ([16], Achievement.NO_CHANGE),  # three points: not a change
        ([19], Achievement.NO_CHANGE),
        ([13, 18], Achievement.WORSENING),  # against the reading before, not the baseline
        ([13, 12], Achievement.NO_CHANGE),
        ([10], Achievement.ACHIEVED),  # at the target counts
    ],
)
def test_what_the_phq9s_suggest(
    world: World, plan: CarePlan, start: dt.date, later: list[int], expected: Achievement
) -> None:
    goal = depression_goal(world, plan, start)
    for n, total in enumerate(later, start=1):
        phq9(world, start + dt.timedelta(days=14 * n), total)
    assert suggested(goal) == expected


def test_the_suggestion_waits_for_the_case_manager(world: World, plan: CarePlan, start: dt.date) -> None:
    goal = depression_goal(world, plan, start)
    phq9(world, start + dt.timedelta(days=14), 14)
    assert view(goal).to_confirm
    with time_machine.travel(at(start + dt.timedelta(days=15)), tick=False):
        actions.do_record_progress(
            world.alice,
            Goal.objects.get(pk=goal.pk),
            achievement=Achievement.IMPROVING,
            suggested="improving",
        )
    assert not view(goal).to_confirm
    phq9(world, start + dt.timedelta(days=28), 9)
    assert view(goal).to_confirm  # a new suggestion to confirm
    with time_machine.travel(at(start + dt.timedelta(days=29)), tick=False):
        # the case manager sees it differently: their word stands until the readings suggest something new
        actions.do_record_progress(world.alice, Goal.objects.get(pk=goal.pk), note="One good month; not yet.")
    assert view(goal).to_confirm
    with time_machine.travel(at(start + dt.timedelta(days=29)), tick=False):
        actions.do_record_progress(
            world.alice, Goal.objects.get(pk=goal.pk), achievement=Achievement.ACHIEVED
        )
    assert not view(goal).to_confirm


def test_nothing_to_confirm_on_a_goal_not_being_worked_on(
    world: World, plan: CarePlan, start: dt.date
) -> None:
    phq9(world, start, 19)
    with time_machine.travel(at(start + dt.timedelta(days=1)), tick=False):
        goal = actions.do_add_goal(
            world.alice,
            plan,
            patient_words="I want to feel better.",
            proposed_by="team",
            measure="phq9",
            target_value=Decimal(10),
        )
    phq9(world, start + dt.timedelta(days=14), 12)
    found = view(goal)
    assert found.suggestion.achievement == Achievement.IMPROVING and found.values  # 19 → 12
    assert not found.to_confirm  # a proposal is not tracked


def test_typed_hba1c_readings_count_for_an_hba1c_goal(world: World, plan: CarePlan, start: dt.date) -> None:
    def lab(day: dt.date, value: str, measure: str = "hba1c") -> None:
        with time_machine.travel(at(day, 15), tick=False):
            actions.do_record_reading(
                world.alice,
                world.paula,
                measure_key=measure,
                value=Decimal(value),
                taken_at=at(day, 9),
                source=ReadingSource.LAB,
            )

    lab(start, "9.4")
    with time_machine.travel(at(start + dt.timedelta(days=1)), tick=False):
        goal = actions.do_add_goal(
            world.alice,
            plan,
            patient_words="I want my sugar down.",
            measure="hba1c",
            target_value=Decimal("8"),
        )
        actions.do_publish(world.alice, plan, reason="")
    goal.refresh_from_db()
    assert (goal.baseline_value, goal.baseline_on) == (Decimal("9.4"), start)

    lab(start + dt.timedelta(days=20), "180", measure="bp-systolic")  # another measure
    phq9(world, start + dt.timedelta(days=20), 5)  # and an assessment: neither is an HbA1c
    assert view(goal).values == []

    lab(start + dt.timedelta(days=45), "9.1")
    assert suggested(goal) == Achievement.NO_CHANGE  # 0.3 is less than the step of 0.5
    lab(start + dt.timedelta(days=90), "8.5")
    assert suggested(goal) == Achievement.IMPROVING
    lab(start + dt.timedelta(days=135), "7.9")
    found = view(goal)
    assert found.suggestion.achievement == Achievement.ACHIEVED
    assert found.values == [
        (start + dt.timedelta(days=45), Decimal("9.1")),
        (start + dt.timedelta(days=90), Decimal("8.5")),
        (start + dt.timedelta(days=135), Decimal("7.9")),
    ]
    assert found.to_confirm


def test_a_yes_or_no_goal_has_no_values(world: World, plan: CarePlan) -> None:
    goal = actions.do_add_goal(
        world.alice, plan, patient_words="I want a safe home.", measure="housing", target_text="Housed"
    )
    found = view(goal)
    assert found.values == [] and found.suggestion is None and not found.to_confirm


def make_patient(world: World, n: int):  # type: ignore[no-untyped-def]
    from careconductor.cases.actions import do_register_and_refer
    from careconductor.cases.choices import Program, ReferralSource

    return do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name=f"Pat{n}", family_name="Example", birth_date=dt.date(1960, 1, 1 + n), sex=Sex.MALE
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
    )


def test_progress_for_many_goals_costs_the_same_queries_as_for_one(
    world: World, plan: CarePlan, start: dt.date, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    goals: list[Goal] = [depression_goal(world, plan, start)]
    phq9(world, start + dt.timedelta(days=14), 14)
    with time_machine.travel(at(start + dt.timedelta(days=2)), tick=False):
        for n in range(3):
            patient = make_patient(world, n)
            other = actions.do_create_plan(world.alice, patient.cases.get())
            for key, target in (("hba1c", "8"), ("phq9", "10"), ("weight", "80")):
                goals.append(
                    actions.do_add_goal(
                        world.alice,
                        other,
                        patient_words=f"{key} goal",
                        measure=key,
                        target_value=Decimal(target),
                    )
                )
            goals.append(
                actions.do_add_goal(
                    world.alice, other, patient_words="Home", measure="housing", target_text="Housed"
                )
            )
            actions.do_record_reading(
                world.alice,
                patient,
                measure_key="weight",
                value=Decimal(90 - n),
                taken_at=at(start + dt.timedelta(days=2), 9),
                source=ReadingSource.CLINIC,
            )

    one = [Goal.objects.get(pk=goals[0].pk)]
    with CaptureQueriesContext(connection) as small:
        progress.goal_progress(one)
    many = list(Goal.objects.filter(pk__in=[g.pk for g in goals]))
    with django_assert_num_queries(len(small.captured_queries)):
        views = progress.goal_progress(many)
    assert len(small.captured_queries) <= 2  # the assessment totals and the typed readings
    assert len(views) == len(goals) == 13
    assert views[goals[0].pk].suggestion.achievement == Achievement.IMPROVING
    assert sum(1 for v in views.values() if v.values) == 1 + 3  # Paula's PHQ-9, each new patient's weight


def test_values_for_several_patients_are_kept_apart(world: World, plan: CarePlan, start: dt.date) -> None:
    depression_goal(world, plan, start)
    with time_machine.travel(at(start + dt.timedelta(days=2)), tick=False):
        other = make_patient(world, 1)
        record(world.alice, other, "phq-9", phq9_answers(7))
    found: dict[Any, Any] = progress.values_by_measure(
        [world.paula.pk, other.pk], {"phq9", "housing"}, since=None
    )
    assert [v for _, v in found[(world.paula.pk, "phq9")]] == [Decimal(19)]
    assert [v for _, v in found[(other.pk, "phq9")]] == [Decimal(7)]
    assert not any(key[1] == "housing" for key in found)
    assert progress.values_by_measure([world.paula.pk], {"phq9"}, since=start + dt.timedelta(days=1)) == {}
