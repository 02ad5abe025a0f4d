"""Applying a library template to a plan: the chosen goals with their steps and interventions, in the patient's
language, dated from today, each intervention going to the right member of staff. Expectations are read from
the shipped TOML file itself, not from the code that applies it."""

from __future__ import annotations

import datetime as dt
import tomllib
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine

from careconductor.accounts.choices import Discipline, Role
from careconductor.careplans import actions
from careconductor.careplans.choices import GoalLifecycle, OwnerType, ProblemSource, Proposer
from careconductor.careplans.models import (
    Barrier,
    CarePlan,
    Goal,
    GoalStep,
    Intervention,
    Problem,
)
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import PatientDetails, do_add_care_team_member
from careconductor.patients.choices import Sex
from careconductor.patients.models import Condition
from careconductor.privacy.models import AuditEvent
from tests.personas import World, make_staff

pytestmark = pytest.mark.django_db

SHIPPED = Path(__file__).resolve().parents[2] / "careconductor" / "careplans" / "library"
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
TODAY = dt.date(2031, 5, 12)  # a frozen day well after the world is made
WATCHED = [Problem, Goal, GoalStep, Barrier, Intervention, Condition, AuditEvent]


def diabetes() -> dict[str, Any]:
    return tomllib.loads((SHIPPED / "diabetes.toml").read_text(encoding="utf-8"))


def toml_goal(key: str) -> dict[str, Any]:
    return next(g for g in diabetes()["goals"] if g["key"] == key)


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in WATCHED}


def in_days(n: int | None) -> dt.date | None:
    return TODAY + dt.timedelta(days=n) if n else None


@pytest.fixture(autouse=True)
def _only_shipped_templates(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No deployer files from elsewhere: the library reads <DATA_HOME>/careplan-templates."""
    settings.DATA_HOME = tmp_path
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(11), tzinfo=NEW_YORK), tick=False):
        yield


def english_patient(world: World):  # type: ignore[no-untyped-def]
    return do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name="Ed",
            family_name="Walsh",
            birth_date=dt.date(1950, 7, 1),
            sex=Sex.MALE,
            preferred_language="en",
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="HbA1c 10.2",
    )


def apply(user, plan: CarePlan, keys: list[str], template: str = "diabetes") -> list[Goal]:  # type: ignore[no-untyped-def]
    return actions.do_apply_template(user, plan, template, goal_keys=keys)


def check_goal(goal: Goal, source: dict[str, Any], language: str) -> None:
    suffix = "_es" if language == "es" else ""
    assert goal.patient_words == source[f"patient_words{suffix}"]
    assert goal.target_text == source[f"target_text{suffix}"]
    assert goal.statement == source["statement"]  # staff-facing: never translated
    assert goal.measure == source["measure"]
    assert goal.due_on == in_days(source["due_in_days"])
    assert (goal.template, goal.lifecycle, goal.proposed_by) == (
        "diabetes",
        GoalLifecycle.PROPOSED,
        Proposer.TEAM,
    )
    steps = list(goal.steps.order_by("position", "pk"))
    assert [s.text for s in steps] == [s[f"text{suffix}"] for s in source["steps"]]
    assert [s.due_on for s in steps] == [in_days(s.get("due_in_days")) for s in source["steps"]]
    interventions = list(goal.interventions.order_by("pk"))
    assert [i.title for i in interventions] == [i[f"title{suffix}"] for i in source["interventions"]]
    assert [i.kind for i in interventions] == [i["kind"] for i in source["interventions"]]
    assert [i.due_on for i in interventions] == [
        in_days(i.get("due_in_days")) for i in source["interventions"]
    ]


def owners(goal: Goal) -> dict[str, tuple[str, Any]]:
    """The template's owner word → (owner type, user) for each intervention of the goal, in order."""
    source = toml_goal("lower-a1c")
    found = list(goal.interventions.order_by("pk"))
    return {s["owner"]: (i.owner_type, i.owner) for s, i in zip(source["interventions"], found, strict=True)}


def test_a_spanish_speaking_patient_gets_the_spanish_words(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    assert world.paula.preferred_language == "es"
    plan = actions.do_create_plan(world.alice, world.paula_case)
    (goal,) = apply(world.alice, plan, ["lower-a1c"])
    check_goal(goal, toml_goal("lower-a1c"), "es")
    assert goal.target_value == Decimal(toml_goal("lower-a1c")["target_value"])

    problem = diabetes()["problem"]
    (made,) = plan.problems.all()
    assert list(goal.problems.all()) == [made]
    assert (made.source, made.title) == (ProblemSource.HAND, problem["title"])
    assert made.condition.icd10_code == problem["icd10"]
    assert AuditEvent.objects.filter(user=world.alice, object_type="Goal", patient=world.paula).count() == 1


def test_an_english_speaking_patient_gets_the_english_words(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    ed = english_patient(world)
    plan = actions.do_create_plan(world.alice, ed.cases.get())
    (goal,) = apply(world.alice, plan, ["lower-a1c"])
    check_goal(goal, toml_goal("lower-a1c"), "en")


def test_interventions_go_to_the_team_member_of_that_discipline_else_the_case_manager(
    world: World, frozen
) -> None:  # type: ignore[no-untyped-def]
    # Sam (the supervisor) applies it: work without a matching discipline goes to the case manager, Alice.
    plan = actions.do_create_plan(world.alice, world.paula_case)
    (goal,) = apply(world.sam, plan, ["lower-a1c"])
    found = owners(goal)
    assert found["pharmacist"] == (OwnerType.STAFF, world.alice)  # no pharmacist on Paula's care team
    assert found["case-manager"] == (OwnerType.STAFF, world.alice)
    assert found["physician"] == (OwnerType.STAFF, world.dana)  # her primary care physician


def test_a_care_team_pharmacist_gets_the_medicine_review(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    phil = make_staff("phil", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    do_add_care_team_member(world.alice, world.paula, member=phil, role="Clinical pharmacist")
    plan = actions.do_create_plan(world.alice, world.paula_case)
    (goal,) = apply(world.alice, plan, ["lower-a1c"])
    found = owners(goal)
    assert found["pharmacist"] == (OwnerType.STAFF, phil)
    assert found["case-manager"] == (OwnerType.STAFF, world.alice)


def test_a_pharmacist_who_left_the_care_team_is_passed_over(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    phil = make_staff("phil", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    membership = do_add_care_team_member(
        world.alice, world.paula, member=phil, role="Pharmacist", start_date=TODAY - dt.timedelta(days=100)
    )
    membership.end_date = TODAY - dt.timedelta(days=10)
    membership.save()
    plan = actions.do_create_plan(world.alice, world.paula_case)
    (goal,) = apply(world.alice, plan, ["lower-a1c"])
    assert owners(goal)["pharmacist"] == (OwnerType.STAFF, world.alice)


def test_applying_again_reuses_the_templates_problem(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    ed = english_patient(world)
    plan = actions.do_create_plan(world.alice, ed.cases.get())
    apply(world.alice, plan, ["lower-a1c"])
    apply(world.alice, plan, ["lower-a1c"])
    assert plan.problems.count() == 1
    assert plan.goals.count() == 2


def test_a_pharmacist_whose_membership_ends_later_is_still_on_the_team(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    phil = make_staff("phil", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    membership = do_add_care_team_member(world.alice, world.paula, member=phil, role="Pharmacist (locum)")
    membership.end_date = TODAY + dt.timedelta(days=60)
    membership.save()
    plan = actions.do_create_plan(world.alice, world.paula_case)
    (goal,) = apply(world.alice, plan, ["lower-a1c"])
    assert owners(goal)["pharmacist"] == (OwnerType.STAFF, phil)


@pytest.mark.parametrize(
    ("template", "keys", "field"),
    [
        ("no-such-template", ["lower-a1c"], "template"),
        ("diabetes", [], "goals"),
        ("diabetes", ["nope"], "goals"),
    ],
)
def test_an_unknown_template_or_no_goal_chosen_writes_nothing(
    world: World, frozen, template: str, keys: list[str], field: str
) -> None:  # type: ignore[no-untyped-def]
    plan = actions.do_create_plan(world.alice, world.paula_case)
    before = counts()
    with pytest.raises(ActionRefused) as refused:
        apply(world.alice, plan, keys, template)
    assert set(refused.value.errors) == {field}
    assert counts() == before


def test_a_template_is_not_applied_to_a_plan_awaiting_approval(world: World, frozen, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset({"complex_cm"})
    plan = actions.do_create_plan(world.alice, world.paula_case)
    actions.do_add_goal(
        world.alice, plan, patient_words="Walk", measure="other", measure_text="Walks", target_text="Daily"
    )
    actions.do_publish(world.alice, plan, reason="")
    before = counts()
    with pytest.raises(ActionRefused):
        apply(world.alice, plan, ["lower-a1c"])
    assert counts() == before


def test_the_care_team_cannot_apply_a_template(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    plan = actions.do_create_plan(world.alice, world.paula_case)
    before = counts()
    with pytest.raises(ActionRefused):
        apply(world.dana, plan, ["lower-a1c"])
    assert counts() == before


def test_a_goal_measured_in_words_is_applied_too(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    plan = actions.do_create_plan(world.alice, world.paula_case)
    goals = apply(world.alice, plan, ["lower-a1c", "eating-plan"])
    assert len(goals) == 2
    eating = next(g for g in goals if g.measure == "other")
    check_goal(eating, toml_goal("eating-plan"), "es")
    assert eating.measure_label  # something tells staff how it is measured


def test_staff_get_their_tasks_in_english_while_the_patients_copy_stays_in_spanish(
    world: World, frozen
) -> None:  # type: ignore[no-untyped-def]
    # Issue 17 §5: Alice's worklist showed "Cita de control…" for Paula's physician and herself.
    plan = actions.do_create_plan(world.alice, world.paula_case)
    (goal,) = apply(world.alice, plan, ["lower-a1c"])
    actions.do_publish(world.alice, plan, reason="")
    source = toml_goal("lower-a1c")["interventions"]
    interventions = list(goal.interventions.order_by("pk").select_related("task"))
    assert [i.title for i in interventions] == [s["title_es"] for s in source]  # the printout's words
    assert all(i.task is not None for i in interventions)
    assert [i.task.title for i in interventions] == [s["title"] for s in source]  # type: ignore[union-attr]


def test_a_title_staff_typed_themselves_is_the_tasks_title(world: World, frozen) -> None:  # type: ignore[no-untyped-def]
    plan = actions.do_create_plan(world.alice, world.paula_case)
    (goal,) = apply(world.alice, plan, ["lower-a1c"])
    first = goal.interventions.order_by("pk").first()
    assert first is not None
    Intervention.objects.filter(pk=first.pk).update(title="Call the clinic about her glucometer")
    actions.do_publish(world.alice, plan, reason="")
    first.refresh_from_db()
    assert first.task is not None and first.task.title == "Call the clinic about her glucometer"
