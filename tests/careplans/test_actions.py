"""Care plans through their actions: who may make them, problems from findings and the problem list, goals in
the patient's words, versions in force with and without a supervisor's approval, the patient's agreement,
reviews after a discharge, the end of a plan, progress and readings. A refused action changes nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.models import Finding
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
    ProblemSource,
    Proposer,
    ReadingSource,
    VersionStatus,
)
from careconductor.careplans.models import (
    Barrier,
    CarePlan,
    Goal,
    GoalProgress,
    GoalStep,
    Intervention,
    PlanAgreement,
    PlanReview,
    PlanVersion,
    Problem,
    Reading,
    SharedDecision,
)
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus, ClosureReason
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.choices import TaskKind, TaskStatus
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import do_add_condition, do_add_encounter
from careconductor.patients.choices import ConditionCategory, EncounterClass
from careconductor.patients.models import Condition
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentType
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record
from tests.assessments.test_ahc_hrsn import OFTEN, negative
from tests.personas import World

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
WATCHED = [
    CarePlan, PlanVersion, PlanAgreement, PlanReview, Problem, Goal, GoalStep, Barrier, Intervention,
    SharedDecision, GoalProgress, Reading, Condition, Task, AuditEvent,
]  # fmt: skip


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in WATCHED}


class Unchanged:
    """`with Unchanged(plan):` — the block must raise, and leave every row (and the plan) as it was."""

    def __init__(self, plan: CarePlan | None = None) -> None:
        self.plan = plan

    def __enter__(self) -> Unchanged:
        self.before = counts()
        self.plan_row = self._plan_row()
        return self

    def _plan_row(self) -> dict[str, Any] | None:
        if self.plan is None:
            return None
        return CarePlan.objects.filter(pk=self.plan.pk).values().get()

    def __exit__(self, *exc: object) -> None:
        assert counts() == self.before
        assert self._plan_row() == self.plan_row


def no_approval(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()


def with_approval(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset({"complex_cm"})


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=NEW_YORK)


def add_goal(user, plan: CarePlan, **fields: Any) -> Goal:  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "patient_words": "I want to walk to church on Sundays again.",
        "measure": "other",
        "measure_text": "Walks to church",
        "target_text": "Walks to church most Sundays",
    }
    values.update(fields)
    return actions.do_add_goal(user, plan, **values)


def refused_fields(call, *args: Any, **kwargs: Any) -> set[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ActionRefused) as refused:
        call(*args, **kwargs)
    return set(refused.value.errors)


def audited(user, plan_or_patient, object_type: str, action: AuditAction | None = None) -> int:  # type: ignore[no-untyped-def]
    patient = getattr(plan_or_patient, "patient", plan_or_patient)
    found = AuditEvent.objects.filter(user=user, patient=patient, object_type=object_type)
    if action is not None:
        found = found.filter(action=action)
    return found.count()


@pytest.fixture
def plan(world: World, settings) -> CarePlan:  # type: ignore[no-untyped-def]
    no_approval(settings)
    return actions.do_create_plan(world.alice, world.paula_case)


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


# --- making a plan --------------------------------------------------------------------------------------------
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


# --- problems -------------------------------------------------------------------------------------------------
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


# --- goals ----------------------------------------------------------------------------------------------------
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


# --- publishing without approval ------------------------------------------------------------------------------
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


# --- publishing with approval ---------------------------------------------------------------------------------
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


# --- agreement ------------------------------------------------------------------------------------------------
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


# --- review ---------------------------------------------------------------------------------------------------
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


# --- the end of a plan ----------------------------------------------------------------------------------------
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


# --- progress and the goal lifecycle --------------------------------------------------------------------------
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


# --- steps, barriers, interventions ---------------------------------------------------------------------------
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


# --- readings -------------------------------------------------------------------------------------------------
def test_readings(world: World) -> None:
    before = clock.now() - dt.timedelta(hours=2)
    with Unchanged():
        assert refused_fields(
            actions.do_record_reading,
            world.alice,
            world.paula,
            measure_key="phq9",  # an assessment score: it comes from the PHQ-9 itself
            value=Decimal(12),
            taken_at=before,
            source=ReadingSource.SELF_REPORT,
        ) == {"measure"}
        for key in ("housing", "nonsense"):
            assert refused_fields(
                actions.do_record_reading,
                world.alice,
                world.paula,
                measure_key=key,
                value=Decimal(1),
                taken_at=before,
                source=ReadingSource.STAFF,
            ) == {"measure"}
        assert refused_fields(
            actions.do_record_reading,
            world.alice,
            world.paula,
            measure_key="hba1c",
            value=Decimal("8.1"),
            taken_at=clock.now() + dt.timedelta(hours=1),
            source=ReadingSource.LAB,
        ) == {"taken_at"}
        with pytest.raises(NotVisible):
            actions.do_record_reading(
                world.bob,
                world.paula,
                measure_key="hba1c",
                value=Decimal("8.1"),
                taken_at=before,
                source=ReadingSource.LAB,
            )
    reading = actions.do_record_reading(
        world.alice,
        world.paula,
        measure_key="hba1c",
        value=Decimal("8.1"),
        taken_at=before,
        source=ReadingSource.LAB,
        note=" A1c from the clinic ",
    )
    assert (reading.patient, reading.value, reading.note, reading.recorded_by) == (
        world.paula,
        Decimal("8.1"),
        "A1c from the clinic",
        world.alice,
    )
    assert audited(world.alice, world.paula, "Reading", AuditAction.CREATE) == 1


# --- shared decisions -----------------------------------------------------------------------------------------
def decide(world: World, plan: CarePlan, **fields: Any):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "question": "Start insulin now or try diet for three months first?",
        "options": [
            {"option": "Start insulin", "benefits": "Sugar down sooner", "burdens": "Injections"},
            {"option": "Diet first", "benefits": "No needles", "burdens": "Slower"},
        ],
        "what_matters": "Not being a burden to my daughter.",
        "decision": "Diet first, recheck A1c in 3 months.",
        "participants": "Paula, Rosa (daughter), Alice",
        "decided_on": clock.today(),
    }
    values.update(fields)
    return actions.do_record_decision(world.alice, plan, **values)


def test_a_shared_decision_weighs_two_options_and_what_matters(world: World, plan: CarePlan) -> None:
    one = [{"option": "Start insulin"}, {"option": "   "}]
    with Unchanged(plan):
        assert refused_fields(decide, world, plan, options=one) == {"options"}
        assert refused_fields(decide, world, plan, what_matters="  ") == {"what_matters"}
        assert refused_fields(decide, world, plan, decided_on=clock.today() + dt.timedelta(days=1)) == {
            "decided_on"
        }
        assert refused_fields(decide, world, plan, question="", participants="", decision="") == {
            "question",
            "participants",
            "decision",
        }
    record_ = decide(world, plan, options=[*one, {"option": "Diet first", "extra": "dropped"}])
    assert [o["option"] for o in record_.options] == ["Start insulin", "Diet first"]
    assert set(record_.options[1]) == {"option", "benefits", "burdens"}
    assert audited(world.alice, plan, "SharedDecision", AuditAction.CREATE) == 1
