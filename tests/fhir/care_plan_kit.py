"""What the CarePlan and Goal API tests share: Paula's plan with two problems, two goals and three
interventions (draft, and in force), publishing with a supervisor's approval where needed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from careconductor.assessments import catalogue
from careconductor.assessments.models import Finding, Questionnaire
from careconductor.careplans.actions import (
    do_add_goal,
    do_add_intervention,
    do_add_problem_by_hand,
    do_add_problem_from_finding,
    do_add_step,
    do_create_plan,
    do_decide_version,
    do_publish,
)
from careconductor.careplans.choices import GoalAgreement, InterventionKind, OwnerType, Proposer
from careconductor.careplans.models import CarePlan, Goal, Intervention, Problem
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.patients.models import Patient
from tests.assessments.helpers import phq9_answers, record
from tests.personas import World

CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CONDITION_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
KIND = "https://careconductor.org/fhir/CodeSystem/intervention-kind"
EXT = "https://careconductor.org/fhir/StructureDefinition/"


@dataclass
class Plan:
    plan: CarePlan
    mood: Problem
    food: Problem
    feel_better: Goal
    eat_well: Goal
    call: Intervention
    diary: Intervention
    benefits: Intervention


def ensure_instruments() -> None:
    if not Questionnaire.objects.filter(slug="phq-9").exists():
        catalogue.sync()


def depression_finding(world: World, patient: Patient) -> Finding:
    """A PHQ-9 of 12 finds depression symptoms (a health concern for the plan)."""
    ensure_instruments()
    record(world.alice, patient, "phq-9", phq9_answers(12))
    return Finding.objects.get(patient=patient, domain="depression", status="active")


def build_plan(world: World, case: Case | None = None, title: str = "Paula's plan") -> Plan:
    """A draft plan made as on the screens: two health concerns, a goal for each, and interventions owned by
    a member of staff, the patient and a caregiver."""
    alice = world.alice
    case = case or world.paula_case
    plan = do_create_plan(alice, case, title=title)
    mood = do_add_problem_from_finding(alice, plan, depression_finding(world, case.patient))
    food = do_add_problem_by_hand(alice, plan, title="Not enough food at the end of the month")
    today = clock.today()
    feel_better = do_add_goal(
        alice,
        plan,
        problem_ids=[mood.pk],
        patient_words="I want to feel like myself again",
        statement="PHQ-9 below 5 within 12 weeks.",
        proposed_by=Proposer.PATIENT,
        agreement=GoalAgreement.AGREED,
        patient_rank=1,
        measure="phq9",
        target_value=Decimal(5),
        due_on=today + dt.timedelta(days=84),
    )
    do_add_step(alice, feel_better, text="Walk ten minutes each morning", due_on=today + dt.timedelta(days=7))
    eat_well = do_add_goal(
        alice,
        plan,
        problem_ids=[food.pk],
        patient_words="Enough food for the whole month",
        statement="Food security: enrolled in SNAP.",
        proposed_by=Proposer.TEAM,
        agreement=GoalAgreement.AGREED,
        patient_rank=2,
        measure="food",
        target_text="Food every day of the month",
        due_on=today + dt.timedelta(days=60),
    )
    call = do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.COUNSELLING,
        title="Weekly call about mood",
        owner_type=OwnerType.STAFF,
        owner=alice,
        goal=feel_better,
        due_on=today + dt.timedelta(days=14),
    )
    diary = do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.MONITORING,
        title="Keep a mood diary",
        owner_type=OwnerType.PATIENT,
        goal=feel_better,
    )
    benefits = do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.BENEFITS,
        title="Fill in the SNAP application",
        owner_type=OwnerType.CAREGIVER,
        owner_name="Marco Reyes (son)",
        goal=eat_well,
        due_on=today + dt.timedelta(days=21),
    )
    return Plan(plan, mood, food, feel_better, eat_well, call, diary, benefits)


def publish(world: World, plan: CarePlan, reason: str = "") -> None:
    """Publish and, where the programme needs it, have Sam (the team's supervisor) approve."""
    version = do_publish(world.alice, plan, reason=reason)
    if version.status == "pending":
        do_decide_version(world.sam, version, approve=True)
    # The actions read the plan they are given: a stale one would not know a version is in force.
    plan.refresh_from_db()


def ext(body: dict[str, Any], name: str) -> Any:
    found = [e for e in body.get("extension", []) if e["url"] == EXT + name]
    return found[0] if found else None


def refs(items: list[dict[str, Any]]) -> list[str]:
    return [item["reference"] for item in items]
