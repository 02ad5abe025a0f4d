"""Problems on a plan: from an assessment's finding, the problem list, or typed by hand."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from careconductor.accounts.models import User
from careconductor.assessments.choices import FindingStatus
from careconductor.assessments.models import Finding
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_add_health_concern
from careconductor.patients.choices import ConditionCategory
from careconductor.patients.models import Condition
from careconductor.privacy import policy
from careconductor.privacy.choices import AuditAction

from ..choices import (
    ProblemSource,
)
from ..concerns import concern_for
from ..models import (
    CarePlan,
    Problem,
)
from .plans import _changed, _editing


def _add_problem(
    user: User,
    plan: CarePlan,
    condition: Condition,
    source: ProblemSource,
    title: str,
    finding: Finding | None,
) -> Problem:
    if plan.problems.filter(condition=condition).exists():
        raise ActionRefused("That problem is already on the plan.")
    problem = Problem.objects.create(
        plan=plan,
        condition=condition,
        source=source,
        finding=finding,
        title=title[:200],
        position=plan.problems.count(),
    )
    _changed(user, plan, problem, AuditAction.CREATE, detail=source)
    return problem


def do_add_problem_from_finding(user: User, plan: CarePlan, finding: Finding) -> Problem:
    """A need an assessment found becomes a health concern (FHIR Condition) and a problem on the plan."""
    if finding.patient_id != plan.patient_id or finding.status != FindingStatus.ACTIVE:
        raise ActionRefused("Choose an active finding of this patient.")
    concern = concern_for(finding.domain)
    # A finding with detail (one red item of the complexity grid) is a concern of its own.
    title = f"{concern.title}: {finding.detail}" if finding.detail else concern.title
    code = f"{finding.domain}:{slugify(finding.detail)}" if finding.detail else finding.domain
    with transaction.atomic():
        _editing(user, plan)
        condition = do_add_health_concern(
            user, plan.patient, display=title, concern_code=code[:40], icd10_code=concern.icd10
        )
        return _add_problem(user, plan, condition, ProblemSource.FINDING, title, finding)


def do_add_problems(
    user: User,
    plan: CarePlan,
    *,
    findings: list[Finding],
    conditions: list[Condition],
    by_hand: dict[str, Any] | None = None,
) -> list[Problem]:
    """Several problems at once (the plan page's one form): all of them, or none when one is refused."""
    with transaction.atomic():
        added = [do_add_problem_from_finding(user, plan, f) for f in findings]
        added += [do_add_problem_from_condition(user, plan, c) for c in conditions]
        if by_hand is not None:
            added.append(do_add_problem_by_hand(user, plan, **by_hand))
    return added


def do_add_problem_from_condition(user: User, plan: CarePlan, condition: Condition) -> Problem:
    if (
        condition.patient_id != plan.patient_id
        or condition.category != ConditionCategory.PROBLEM_LIST
        # Not a record the user may see (same words: a hidden record is not hinted at).
        or condition.sensitivity not in policy.record_sensitivities(user, plan.patient)
    ):
        raise ActionRefused("Choose a condition from this patient's problem list.")
    with transaction.atomic():
        _editing(user, plan)
        return _add_problem(user, plan, condition, ProblemSource.PROBLEM_LIST, condition.display, None)


def do_add_problem_by_hand(user: User, plan: CarePlan, *, title: str, icd10_code: str = "") -> Problem:
    if not title.strip():
        raise ActionRefused({"title": "Describe the problem."})
    with transaction.atomic():
        _editing(user, plan)
        try:
            condition = do_add_health_concern(user, plan.patient, display=title, icd10_code=icd10_code)
        except ActionRefused as exc:
            raise ActionRefused(
                {("title" if k == "display" else k): v for k, v in exc.errors.items()}
            ) from exc
        return _add_problem(user, plan, condition, ProblemSource.HAND, title.strip(), None)


def do_update_problem(user: User, problem: Problem, *, title: str, patient_priority: bool) -> Problem:
    if not title.strip():
        raise ActionRefused({"title": "Describe the problem."})
    with transaction.atomic():
        _editing(user, problem.plan)
        problem.title = title.strip()[:200]
        problem.patient_priority = patient_priority
        problem.save(update_fields=["title", "patient_priority", "updated_at"])
        _changed(user, problem.plan, problem)
    return problem


def do_remove_problem(user: User, problem: Problem) -> None:
    """Take a problem off the plan. Its Condition stays on the patient's record."""
    with transaction.atomic():
        _editing(user, problem.plan)
        _changed(user, problem.plan, problem, AuditAction.DELETE)
        problem.delete()
