"""A version's content is the whole plan as plain data, kept as it was; comparing two versions says what was
added, removed and changed, down to a goal's steps and barriers, in the words on the screen."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from careconductor.careplans import actions, snapshot
from careconductor.careplans.choices import (
    BarrierKind,
    GoalAgreement,
    InterventionKind,
    OwnerType,
    Proposer,
)
from careconductor.careplans.models import CarePlan, Goal, PlanVersion
from careconductor.core import clock
from careconductor.patients.actions import do_add_condition
from tests.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world: World, settings) -> CarePlan:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    return actions.do_create_plan(world.alice, world.paula_case, title="Paula's plan")


def full_plan(world: World, plan: CarePlan) -> dict[str, Any]:
    diabetes = do_add_condition(world.alice, world.paula, icd10_code="E11.65", display="Type 2 diabetes")
    rows: dict[str, Any] = {}
    rows["diabetes"] = actions.do_add_problem_from_condition(world.alice, plan, diabetes)
    rows["lonely"] = actions.do_add_problem_by_hand(world.alice, plan, title="Lonely since moving")
    rows["a1c"] = actions.do_add_goal(
        world.alice,
        plan,
        problem_ids=[rows["diabetes"].pk],
        patient_words="I want my sugar down.",
        statement="HbA1c below 8% in 6 months",
        proposed_by=Proposer.TEAM,
        agreement=GoalAgreement.AGREED,
        patient_rank=1,
        measure="hba1c",
        baseline_value=Decimal("9.4"),
        target_value=Decimal("8"),
        due_on=dt.date(2099, 6, 30),
    )
    rows["church"] = actions.do_add_goal(
        world.alice,
        plan,
        problem_ids=[rows["lonely"].pk],
        patient_words="I want to go to church again.",
        patient_rank=2,
        measure="other",
        measure_text="Goes to church",
        target_text="Most Sundays",
    )
    rows["step"] = actions.do_add_step(world.alice, rows["a1c"], text="Check sugar each morning")
    rows["step2"] = actions.do_add_step(
        world.alice, rows["a1c"], text="Bring the log to the doctor", due_on=dt.date(2099, 1, 15)
    )
    rows["barrier"] = actions.do_add_barrier(
        world.alice, rows["a1c"], kind=BarrierKind.COST, description="Strips cost too much"
    )
    rows["referral"] = actions.do_add_intervention(
        world.alice,
        plan,
        goal=rows["a1c"],
        kind=InterventionKind.REFERRAL,
        title="Diabetes education class",
        owner_type=OwnerType.STAFF,
        owner=world.alice,
        due_on=dt.date(2099, 2, 1),
    )
    rows["ride"] = actions.do_add_intervention(
        world.alice,
        plan,
        goal=rows["church"],
        kind=InterventionKind.COORDINATION,
        title="Drive Paula to church",
        owner_type=OwnerType.CAREGIVER,
        owner_name="Rosa",
    )
    rows["decision"] = actions.do_record_decision(
        world.alice,
        plan,
        question="Insulin now or diet first?",
        options=[{"option": "Insulin", "benefits": "Faster"}, {"option": "Diet first", "burdens": "Slower"}],
        what_matters="Not needing needles.",
        decision="Diet first",
        participants="Paula, Alice",
        decided_on=clock.today(),
    )
    return rows


def by_id(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_build_holds_the_whole_plan_as_plain_data(world: World, plan: CarePlan) -> None:
    rows = full_plan(world, plan)
    content = snapshot.build(plan)
    assert json.loads(json.dumps(content)) == content  # plain JSON, nothing that needs the database
    assert content["title"] == "Paula's plan"

    problems = by_id(content["problems"])
    assert set(problems) == {rows["diabetes"].pk, rows["lonely"].pk}
    assert problems[rows["diabetes"].pk]["icd10_code"] == "E11.65"
    assert problems[rows["diabetes"].pk]["source"] == "problem-list"
    assert problems[rows["lonely"].pk]["category"] == "health-concern"

    goals = by_id(content["goals"])
    a1c = goals[rows["a1c"].pk]
    assert a1c["patient_words"] == "I want my sugar down."
    assert (a1c["measure"], a1c["baseline"], a1c["target_value"], a1c["due_on"]) == (
        "hba1c",
        "9.4",
        "8.00",
        "2099-06-30",
    )
    assert "8" in a1c["target"] and "HbA1c" in a1c["target"]
    assert a1c["problems"] == [rows["diabetes"].pk]
    assert [s["text"] for s in a1c["steps"]] == ["Check sugar each morning", "Bring the log to the doctor"]
    assert a1c["steps"][1]["due_on"] == "2099-01-15"
    assert [(b["kind"], b["description"], b["resolved"]) for b in a1c["barriers"]] == [
        ("cost", "Strips cost too much", False)
    ]
    church = goals[rows["church"].pk]
    assert (church["measure_label"], church["target"]) == ("Goes to church", "Most Sundays")
    assert church["steps"] == [] and church["barriers"] == []

    interventions = by_id(content["interventions"])
    assert interventions[rows["referral"].pk]["owner_id"] == world.alice.pk
    assert interventions[rows["referral"].pk]["goal_id"] == rows["a1c"].pk
    assert interventions[rows["ride"].pk]["owner"] == "Rosa"
    (decision,) = content["decisions"]
    assert decision["question"] == "Insulin now or diet first?"
    assert [o["option"] for o in decision["options"]] == ["Insulin", "Diet first"]


def test_build_costs_a_fixed_number_of_queries(
    world: World, plan: CarePlan, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    full_plan(world, plan)
    plan = CarePlan.objects.get(pk=plan.pk)
    with django_assert_max_num_queries(8) as small:
        snapshot.build(plan)
    for n in range(6):
        goal = actions.do_add_goal(
            world.alice, plan, patient_words=f"Goal {n}", measure="other", measure_text="x", target_text="y"
        )
        actions.do_add_step(world.alice, goal, text="A step")
        actions.do_add_barrier(world.alice, goal, kind=BarrierKind.OTHER, description="A barrier")
    plan = CarePlan.objects.get(pk=plan.pk)
    with django_assert_max_num_queries(len(small.captured_queries)):
        snapshot.build(plan)


def test_a_version_never_changes_after_it_is_made(world: World, plan: CarePlan) -> None:
    rows = full_plan(world, plan)
    version = actions.do_publish(world.alice, plan, reason="")
    kept = json.loads(json.dumps(PlanVersion.objects.get(pk=version.pk).content))
    plan.refresh_from_db()
    goal = Goal.objects.get(pk=rows["a1c"].pk)
    actions.do_update_goal(world.alice, goal, patient_words="I want to stop feeling tired.")
    actions.do_add_step(world.alice, goal, text="Walk after dinner")
    actions.do_remove_problem(world.alice, rows["lonely"])
    actions.do_rename_plan(world.alice, plan, title="A new title")
    assert PlanVersion.objects.get(pk=version.pk).content == kept
    assert snapshot.build(plan) != kept


# --- compare --------------------------------------------------------------------------------------------------
def changes_by_label(changes: list[snapshot.Change]) -> dict[str, snapshot.Change]:
    found = {c.label: c for c in changes}
    assert len(found) == len(changes)
    return found


def test_compare_two_versions(world: World, plan: CarePlan) -> None:
    rows = full_plan(world, plan)
    old = snapshot.build(plan)

    a1c = Goal.objects.get(pk=rows["a1c"].pk)
    actions.do_update_goal(world.alice, a1c, statement="HbA1c below 7.5%", target_value=Decimal("7.5"))
    actions.do_remove_step(world.alice, rows["step"])
    actions.do_add_step(world.alice, a1c, text="Walk after dinner")
    actions.do_update_barrier(
        world.alice, rows["barrier"], response="Pharmacist found cheaper strips", resolved=True
    )
    actions.do_add_goal(
        world.alice,
        plan,
        patient_words="I want a safe home.",
        measure="housing",
        target_text="Stable housing",
    )
    actions.do_remove_problem(world.alice, rows["lonely"])
    actions.do_remove_intervention(world.alice, rows["ride"])
    actions.do_rename_plan(world.alice, plan, title="Paula's plan, spring")
    new = snapshot.build(plan)

    found = changes_by_label(snapshot.compare(old, new))
    assert set(found) == {
        "Plan title",
        "Goal: I want my sugar down.",
        "Goal: I want a safe home.",
        "Goal: I want to go to church again.",  # its problem was taken off the plan
        "Problem: Lonely since moving",
        "Intervention: Drive Paula to church",
    }
    assert found["Plan title"].fields == [("Title", "Paula's plan", "Paula's plan, spring")]
    assert (found["Goal: I want a safe home."].section, found["Goal: I want a safe home."].kind) == (
        "goals",
        "added",
    )
    assert (found["Problem: Lonely since moving"].section, found["Problem: Lonely since moving"].kind) == (
        "problems",
        "removed",
    )
    assert found["Intervention: Drive Paula to church"].kind == "removed"

    goal = found["Goal: I want my sugar down."]
    assert goal.kind == "changed"
    fields = {label: (before, after) for label, before, after in goal.fields}
    assert fields["Clinical statement"] == ("HbA1c below 8% in 6 months", "HbA1c below 7.5%")
    assert "7.5" in fields["Target"][1] and "7.5" not in fields["Target"][0]
    assert fields["Step added"] == (None, "Walk after dinner")
    assert fields["Step removed"] == ("Check sugar each morning", None)
    assert fields["Barrier"][0] != fields["Barrier"][1]
    assert "Pharmacist found cheaper strips" in fields["Barrier"][1]
    assert "Problems addressed" not in fields

    church = found["Goal: I want to go to church again."]
    assert [label for label, *_ in church.fields] == ["Problems addressed"]


def test_compare_of_identical_content_is_empty_and_plain_values_read_well() -> None:
    goal = {
        "id": 1,
        "patient_words": "Walk",
        "lifecycle": "active",
        "steps": [{"id": 5, "text": "Corner", "due_on": None}],
        "barriers": [{"id": 9, "kind": "cost", "description": "Shoes", "response": "", "resolved": False}],
    }
    problem = {"id": 3, "title": "Lonely", "patient_priority": False}
    old = {"title": "Plan", "problems": [problem], "goals": [goal], "interventions": [], "decisions": []}
    assert snapshot.compare(old, old) == []

    new = json.loads(json.dumps(old))
    new["problems"][0]["patient_priority"] = True
    new["goals"][0]["barriers"][0]["resolved"] = True
    new["goals"][0]["steps"].append({"id": 6, "text": "Park", "due_on": "2099-01-01"})
    new["decisions"].append({"id": 2, "question": "Insulin?", "options": []})
    found = changes_by_label(snapshot.compare(old, new))
    assert found["Problem: Lonely"].fields == [("Patient's priority", "no", "yes")]
    goal_fields = found["Goal: Walk"].fields
    assert ("Step added", None, "Park") in goal_fields
    assert [f for f in goal_fields if f[0] == "Barrier"] == [
        ("Barrier", "cost · Shoes · no", "cost · Shoes · yes")
    ]
    assert (found["Decision: Insulin?"].kind, found["Decision: Insulin?"].section) == ("added", "decisions")
    assert {c.section for c in snapshot.compare(new, old)} == {"problems", "goals", "decisions"}
    assert found["Decision: Insulin?"].label in {
        c.label for c in snapshot.compare(new, old) if c.kind == "removed"
    }


def test_a_version_records_goals_as_they_are_in_force(world: World, plan: CarePlan) -> None:
    goal = actions.do_add_goal(
        world.alice, plan, patient_words="Walk", measure="other", measure_text="Walks", target_text="Daily"
    )
    other = actions.do_add_goal(
        world.alice, plan, patient_words="Cook", measure="other", measure_text="Cooks", target_text="Weekly"
    )
    first = actions.do_publish(world.alice, plan, reason="")
    plan.refresh_from_db()
    other.refresh_from_db()
    assert other.lifecycle == "active"
    assert {g["lifecycle"] for g in first.content["goals"]} == {"active"}
    goal.refresh_from_db()
    actions.do_update_goal(world.alice, goal, statement="Walks 20 minutes")
    second = actions.do_publish(world.alice, plan, reason="Clearer")
    (change,) = snapshot.compare(first.content, second.content)
    assert change.fields == [("Clinical statement", "", "Walks 20 minutes")]
