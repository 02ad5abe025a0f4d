"""Permission-checked reads of care plans and what the screens say about them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.patients.choices import EncounterClass
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .choices import PlanStatus, VersionStatus
from .models import (
    Barrier,
    CarePlan,
    Goal,
    GoalStep,
    Intervention,
    PlanAgreement,
    PlanVersion,
    Problem,
)


def _one(user: User, qs: QuerySet, patient_field: str, pk: int) -> Model:
    row = qs.filter(policy.patient_q(user, patient_field)).filter(pk=pk).first()
    if row is None:
        raise NotVisible
    return row


def access_plan(user: User, plan_id: int) -> CarePlan:
    plan = _one(
        user,
        CarePlan.objects.select_related("patient", "case", "case__team", "case__primary_case_manager"),
        "patient",
        plan_id,
    )
    assert isinstance(plan, CarePlan)
    audit.record(user, AuditAction.READ, patient=plan.patient, obj=plan)
    return plan


def _plan_part(user: User, model: type[Model], plan_path: str, pk: int) -> Model:
    related = [plan_path, f"{plan_path}__patient", f"{plan_path}__case", f"{plan_path}__case__team"]
    row = _one(user, model._default_manager.select_related(*related), f"{plan_path}__patient", pk)
    plan: Any = row
    for part in plan_path.split("__"):
        plan = getattr(plan, part)
    audit.record(user, AuditAction.READ, patient=plan.patient, obj=row)
    return row


def access_goal(user: User, goal_id: int) -> Goal:
    goal = _plan_part(user, Goal, "plan", goal_id)
    assert isinstance(goal, Goal)
    _require_visible_goal(user, goal.plan, goal.pk)
    return goal


def visible_goals(user: User, plan: CarePlan, allowed: set[str] | None = None) -> QuerySet[Goal]:
    """The plan's goals, without those made only for problems the user may not see (a goal "Stay in the
    methadone programme" under a Part 2 problem names it). A goal for no problem, or for at least one problem
    the user sees, is shown (snapshot.without_problems applies the same rule to a version)."""
    return plan.goals.exclude(
        pk__in=Goal.objects.filter(plan=plan, problems__isnull=False)
        .exclude(problems__in=visible_problems(user, plan, allowed))
        .values("pk")
    )


def _require_visible_goal(user: User, plan: CarePlan, goal_id: int | None) -> None:
    if goal_id is not None and not visible_goals(user, plan).filter(pk=goal_id).exists():
        raise NotVisible  # a goal made only for sensitive problems the user may not see


def access_problem(user: User, problem_id: int) -> Problem:
    problem = _plan_part(user, Problem, "plan", problem_id)
    assert isinstance(problem, Problem)
    if not visible_problems(user, problem.plan).filter(pk=problem.pk).exists():
        raise NotVisible  # a problem made from a sensitive record the user may not see
    return problem


def visible_problems(user: User, plan: CarePlan, allowed: set[str] | None = None) -> QuerySet[Problem]:
    """The plan's problems, without those made from a record whose sensitivity label (42 CFR Part 2,
    psychotherapy) the user may not see: a problem carries its condition's label."""
    rows = plan.problems.select_related("condition", "finding")
    return policy.restrict_sensitive(rows, user, plan.patient, "condition__sensitivity", allowed)


def hidden_problem_ids(user: User, plan: CarePlan) -> set[int]:
    return set(plan.problems.values_list("pk", flat=True)) - set(
        visible_problems(user, plan).values_list("pk", flat=True)
    )


def access_intervention(user: User, intervention_id: int) -> Intervention:
    row = _plan_part(user, Intervention, "plan", intervention_id)
    assert isinstance(row, Intervention)
    _require_visible_goal(user, row.plan, row.goal_id)
    return row


def access_step(user: User, step_id: int) -> GoalStep:
    row = _plan_part(user, GoalStep, "goal__plan", step_id)
    assert isinstance(row, GoalStep)
    _require_visible_goal(user, row.goal.plan, row.goal_id)
    return row


def access_barrier(user: User, barrier_id: int) -> Barrier:
    row = _plan_part(user, Barrier, "goal__plan", barrier_id)
    assert isinstance(row, Barrier)
    _require_visible_goal(user, row.goal.plan, row.goal_id)
    return row


def access_version(user: User, plan: CarePlan, number: int) -> PlanVersion:
    """A version of a plan the caller has already opened through access_plan."""
    version = plan.versions.select_related("made_by", "decided_by").filter(number=number).first()
    if version is None:
        raise NotVisible
    return version


def case_plans(case: Case) -> list[CarePlan]:
    """The case's plans, the one being worked on first (for a case the caller has opened)."""
    plans = list(case.care_plans.order_by("-created_at"))
    plans.sort(key=lambda p: p.status not in (PlanStatus.DRAFT, PlanStatus.ACTIVE))
    return plans


@dataclass(frozen=True)
class Standing:
    """What every screen showing a plan says about it."""

    plan: CarePlan
    in_force: PlanVersion | None
    pending: PlanVersion | None
    returned: PlanVersion | None
    agreement: PlanAgreement | None  # to the version in force
    pending_agreement: PlanAgreement | None
    review: rules.ReviewState | None

    @property
    def awaiting_approval(self) -> bool:
        return self.pending is not None

    @property
    def agreed(self) -> bool:
        return self.agreement is not None

    @property
    def agreement_note(self) -> str:
        if self.agreement is not None:
            a = self.agreement
            return f"Agreed by {a.who} on {a.agreed_on:%Y-%m-%d} ({a.get_method_display().lower()})."
        if self.in_force is None:
            return "Draft: not yet reviewed and agreed with the patient."
        return f"Version {self.in_force.number} has no recorded agreement with the patient."


def standing(plan: CarePlan) -> Standing:
    versions = list(plan.versions.select_related("made_by", "decided_by").order_by("-number"))
    in_force = next((v for v in versions if v.status == VersionStatus.IN_FORCE), None)
    pending = next((v for v in versions if v.status == VersionStatus.PENDING), None)
    latest = versions[0] if versions else None
    returned = latest if latest is not None and latest.status == VersionStatus.RETURNED else None
    wanted = [v.pk for v in (in_force, pending) if v is not None]
    agreements = {
        a.version_id: a for a in PlanAgreement.objects.filter(version_id__in=wanted).order_by("recorded_at")
    }
    review = None
    if plan.status == PlanStatus.ACTIVE and plan.review_due and plan.last_reviewed_at:
        last = timezone.localdate(plan.last_reviewed_at)
        discharges = [
            timezone.localdate(end)
            for end in plan.patient.encounters.filter(
                encounter_class=EncounterClass.INPATIENT,
                end__isnull=False,
                end__gt=plan.last_reviewed_at,
                end__lte=clock.now(),
            ).values_list("end", flat=True)
        ]
        review = rules.review_state(plan.review_due, last, discharges, clock.today())
    return Standing(
        plan=plan,
        in_force=in_force,
        pending=pending,
        returned=returned,
        agreement=agreements.get(in_force.pk) if in_force else None,
        pending_agreement=agreements.get(pending.pk) if pending else None,
        review=review,
    )


def plans_awaiting_decision(user: User) -> QuerySet[PlanVersion]:
    """Versions waiting for this supervisor's approval."""
    return (
        PlanVersion.objects.filter(status=VersionStatus.PENDING, plan__case__team__supervisor=user)
        .filter(policy.patient_q(user, "plan__patient"))
        .select_related("plan", "plan__patient", "made_by")
        .order_by("made_at")
    )


def patient_plan(patient: Patient) -> CarePlan | None:
    """The plan in force (or being drafted) for a patient whose chart the caller has opened."""
    return (
        CarePlan.objects.filter(patient=patient, status__in=[PlanStatus.ACTIVE, PlanStatus.DRAFT])
        .order_by("status", "-created_at")  # active before draft
        .first()
    )


def review_due_day(plan: CarePlan) -> dt.date | None:
    state = standing(plan).review
    return state.due_on if state else None
