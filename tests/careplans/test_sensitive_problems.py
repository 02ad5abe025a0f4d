"""A problem made from a sensitive record (42 CFR Part 2, psychotherapy) carries its label onto the plan: the
plan page, its problem picker, the goal form, the versions page and posted ids show it only to those who may see
the record (the case manager, the supervisor of the case's team, or a consent naming the person); an
administrator never sees it and cannot copy it into a plan. And a request that adds several problems is one
action: all of them, or none (issue 17)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from careconductor.careplans import actions
from careconductor.careplans.choices import Proposer
from careconductor.careplans.models import CarePlan, Goal, Problem
from careconductor.patients.actions import do_add_condition
from careconductor.patients.models import Condition
from careconductor.privacy.choices import Sensitivity

from ..personas import World

pytestmark = pytest.mark.django_db

SECRET = "Opioid use disorder"


@dataclass
class Plan:
    world: World
    plan: CarePlan
    problem: Problem  # made from the Part 2 condition
    goal: Goal


@pytest.fixture
def sensitive(world: World, settings) -> Plan:
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    condition = do_add_condition(
        world.alice, world.paula, icd10_code="F11.20", display=SECRET, sensitivity=Sensitivity.PART2
    )
    plan = actions.do_create_plan(world.alice, world.paula_case)
    food = actions.do_add_problem_by_hand(world.alice, plan, title="Food insecurity")
    goal = actions.do_add_goal(
        world.alice,
        plan,
        problem_ids=[food.pk],
        patient_words="Stay on my treatment and eat well",
        proposed_by=Proposer.PATIENT,
        measure="food",
        target_text="Screens negative",
    )
    actions.do_publish(world.alice, plan, reason="")
    # Version 2 adds the Part 2 problem, so comparing the versions names it.
    problem = actions.do_add_problem_from_condition(world.alice, plan, condition)
    goal.problems.add(problem)
    actions.do_publish(world.alice, plan, reason="Treatment added")
    return Plan(world, plan, problem, goal)


def _page(client, name: str, *args: object) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("persona", "sees"), [("alice", True), ("sam", True), ("dana", False), ("adam", False)]
)
def test_the_plan_page_shows_a_sensitive_problem_only_to_those_who_may_see_it(
    sensitive: Plan, login, persona: str, sees: bool
) -> None:
    client = login(getattr(sensitive.world, persona))
    plan = sensitive.plan
    assert (SECRET in _page(client, "careplans:plan", plan.pk)) == sees
    compared = client.get(reverse("careplans:versions", args=[plan.pk]), {"a": 1, "b": 2}).content.decode()
    assert "Treatment added" in compared
    assert (SECRET in compared) == sees
    assert "Food insecurity" in _page(client, "careplans:plan", plan.pk)


def test_an_administrator_cannot_copy_a_sensitive_condition_into_a_plan_by_its_id(
    sensitive: Plan, login
) -> None:
    world, plan = sensitive.world, sensitive.plan
    actions.do_remove_problem(world.alice, sensitive.problem)
    condition = Condition.objects.get(patient=world.paula, icd10_code="F11.20")
    response = login(world.adam).post(
        reverse("careplans:add_problems", args=[plan.pk]), {"condition": condition.pk}
    )
    assert response.status_code == 302
    assert not plan.problems.filter(condition=condition).exists()
    assert SECRET not in _page(login(world.adam), "careplans:plan", plan.pk)  # nor offered in the picker


def test_a_hidden_problem_cannot_be_changed_by_its_id_and_keeps_its_goal_link(sensitive: Plan, login) -> None:
    world = sensitive.world
    client = login(world.adam)
    response = client.post(reverse("careplans:problem", args=[sensitive.problem.pk]), {"remove": "1"})
    assert response.status_code == 404
    assert Problem.objects.filter(pk=sensitive.problem.pk).exists()
    form = _page(client, "careplans:goal_edit", sensitive.goal.pk)
    assert SECRET not in form and "Food insecurity" in form
    food = sensitive.plan.problems.get(title="Food insecurity")
    saved = client.post(
        reverse("careplans:goal_edit", args=[sensitive.goal.pk]),
        {
            "patient_words": "Stay on my treatment and eat well every day",
            "proposed_by": "patient",
            "agreement": "agreed",
            "measure": "food",
            "target_text": "Screens negative",
            "problems": [str(food.pk)],
        },
    )
    assert saved.status_code == 302
    assert set(sensitive.goal.problems.values_list("pk", flat=True)) == {sensitive.problem.pk, food.pk}


def test_problems_added_together_are_all_added_or_none(world: World, login) -> None:
    plan = actions.do_create_plan(world.alice, world.paula_case)
    condition = do_add_condition(world.alice, world.paula, icd10_code="E11.9", display="Type 2 diabetes")
    response = login(world.alice).post(
        reverse("careplans:add_problems", args=[plan.pk]),
        {"condition": condition.pk, "title": "Housing", "icd10_code": "NOT-A-CODE"},
    )
    assert response.status_code == 400
    assert 'id="id_icd10_code_error"' in response.content.decode()
    assert not plan.problems.exists(), "the ticked condition was added although the request was refused"
