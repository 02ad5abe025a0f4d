"""Problems on a plan: from a finding (as a health concern), from the problem list, by hand."""

from __future__ import annotations

import pytest

from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.models import Finding
from careconductor.careplans import actions
from careconductor.careplans.choices import PlanStatus, ProblemSource
from careconductor.careplans.models import CarePlan, Problem
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_add_condition
from careconductor.patients.choices import ConditionCategory
from careconductor.patients.models import Condition
from careconductor.privacy.choices import AuditAction
from tests.assessments.helpers import phq9_answers, record
from tests.assessments.test_ahc_hrsn import OFTEN, negative
from tests.careplans.actions.kit import Unchanged, audited, refused_fields
from tests.personas import World

pytestmark = pytest.mark.django_db


def food_finding(world: World) -> Finding:
    record(world.alice, world.paula, "ahc-hrsn", negative(ahc_3=OFTEN))
    return Finding.objects.get(patient=world.paula, domain=FindingDomain.FOOD_INSECURITY)


def test_a_finding_becomes_a_health_concern_with_its_z_code_once(world: World, plan: CarePlan) -> None:
    finding = food_finding(world)
    problem = actions.do_add_problem_from_finding(world.alice, plan, finding)
    assert (problem.source, problem.finding, problem.title) == (
        ProblemSource.FINDING,
        finding,
        "Food insecurity",
    )
    concern = problem.condition
    assert concern.patient == world.paula
    assert concern.category == ConditionCategory.HEALTH_CONCERN
    assert concern.icd10_code == "Z59.41"  # ICD-10-CM: food insecurity
    assert audited(world.alice, plan, "Problem", AuditAction.CREATE) == 1

    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_add_problem_from_finding(world.alice, plan, finding)

    # The next plan for the case reuses the concern already on the record.
    actions.do_end_plan(world.alice, plan, PlanStatus.REVOKED, reason="Started over.")
    again = actions.do_add_problem_from_finding(
        world.alice, actions.do_create_plan(world.alice, world.paula_case), finding
    )
    assert again.condition_id == concern.pk
    assert (
        Condition.objects.filter(patient=world.paula, category=ConditionCategory.HEALTH_CONCERN).count() == 1
    )


def test_a_positive_phq9_is_a_concern_without_a_diagnosis_code(world: World, plan: CarePlan) -> None:
    record(world.alice, world.paula, "phq-9", phq9_answers(14))
    finding = Finding.objects.get(patient=world.paula, domain=FindingDomain.DEPRESSION)
    problem = actions.do_add_problem_from_finding(world.alice, plan, finding)
    assert problem.condition.category == ConditionCategory.HEALTH_CONCERN
    assert problem.condition.icd10_code == ""  # a screening result is not a diagnosis


def test_only_an_active_finding_of_the_same_patient(world: World, plan: CarePlan) -> None:
    finding = food_finding(world)
    Finding.objects.filter(pk=finding.pk).update(status="resolved")
    finding.refresh_from_db()
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_add_problem_from_finding(world.alice, plan, finding)


def test_a_problem_from_the_problem_list(world: World, plan: CarePlan) -> None:
    diabetes = do_add_condition(world.alice, world.paula, icd10_code="E11.65", display="Type 2 diabetes")
    problem = actions.do_add_problem_from_condition(world.alice, plan, diabetes)
    assert (problem.source, problem.condition, problem.title) == (
        ProblemSource.PROBLEM_LIST,
        diabetes,
        "Type 2 diabetes",
    )
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_add_problem_from_condition(world.alice, plan, diabetes)  # already there
    concern = actions.do_add_problem_by_hand(
        world.alice, plan, title="Lonely since her husband died"
    ).condition
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_add_problem_from_condition(
            world.alice, plan, concern
        )  # a concern is not on the problem list


def test_a_problem_by_hand(world: World, plan: CarePlan) -> None:
    problem = actions.do_add_problem_by_hand(
        world.alice, plan, title=" Cannot afford her insulin ", icd10_code="Z59.86"
    )
    assert (problem.source, problem.title) == (ProblemSource.HAND, "Cannot afford her insulin")
    assert problem.condition.category == ConditionCategory.HEALTH_CONCERN
    assert problem.condition.icd10_code == "Z59.86"
    with Unchanged(plan):
        assert refused_fields(actions.do_add_problem_by_hand, world.alice, plan, title="  ") == {"title"}
        assert refused_fields(
            actions.do_add_problem_by_hand, world.alice, plan, title="Money", icd10_code="money"
        ) == {"icd10_code"}


def test_updating_and_removing_a_problem(world: World, plan: CarePlan) -> None:
    problem = actions.do_add_problem_by_hand(world.alice, plan, title="Lonely")
    actions.do_update_problem(world.alice, problem, title="Lonely at home", patient_priority=True)
    problem.refresh_from_db()
    assert (problem.title, problem.patient_priority) == ("Lonely at home", True)
    with Unchanged(plan), pytest.raises(ActionRefused):
        actions.do_update_problem(world.alice, problem, title=" ", patient_priority=False)
    condition = problem.condition
    actions.do_remove_problem(world.alice, problem)
    assert not Problem.objects.filter(pk=problem.pk).exists()
    assert Condition.objects.filter(pk=condition.pk).exists()  # stays on the record
    assert audited(world.alice, plan, "Problem", AuditAction.DELETE) == 1
