"""The plan itself: starting it, renaming it, and the checks every edit of a working plan makes."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.cases.programs import program_rules
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..choices import (
    PlanStatus,
    VersionStatus,
)
from ..models import (
    CarePlan,
    PlanVersion,
)

OPEN_STATUSES = (PlanStatus.DRAFT, PlanStatus.ACTIVE)


def do_create_plan(user: User, case: Case, *, title: str = "") -> CarePlan:
    """A draft plan for an open case; one plan is worked on per case at a time."""
    policy.require(user, policy.Action.CHANGE, case.patient)
    if not case.is_open:
        raise ActionRefused("Plans are made for open cases.")
    try:
        with transaction.atomic():
            plan = CarePlan.objects.create(
                organization_id=case.organization_id,
                patient=case.patient,
                case=case,
                title=(title.strip() or f"Care plan: {case.get_program_display()}")[:200],
                created_by=user,
                requires_approval=program_rules(case.organization_id, case.program).plan_approval,
            )
            audit.record(user, AuditAction.CREATE, patient=case.patient, obj=plan)
    except IntegrityError as exc:
        raise ActionRefused("This case already has a plan being worked on; open it instead.") from exc
    return plan


def _lock(plan: CarePlan) -> CarePlan:
    return CarePlan.objects.select_for_update(of=("self",)).select_related("patient", "case").get(pk=plan.pk)


def _pending(plan: CarePlan) -> PlanVersion | None:
    return plan.versions.filter(status=VersionStatus.PENDING).order_by("-number").first()


def _editing(user: User, plan: CarePlan) -> None:
    """Check that the plan may be edited now and mark it changed (inside the caller's transaction)."""
    policy.require(user, policy.Action.CHANGE, plan.patient)
    if plan.status not in OPEN_STATUSES:
        raise ActionRefused(f"This plan is {plan.get_status_display().lower()}; it can no longer change.")
    if _pending(plan) is not None:
        raise ActionRefused(
            "A version of this plan is awaiting approval; it cannot change until it is decided."
        )
    # Read the flags afresh: the plan object handed in may predate a version that has since come into force.
    current, changed = CarePlan.objects.filter(pk=plan.pk).values_list("current_version", "has_changes").get()
    plan.current_version, plan.has_changes = current, changed
    if current and not changed:
        CarePlan.objects.filter(pk=plan.pk).update(has_changes=True)
        plan.has_changes = True


def _changed(
    user: User, plan: CarePlan, obj: Any, action: AuditAction = AuditAction.UPDATE, detail: str = ""
) -> None:
    audit.record(user, action, patient=plan.patient, obj=obj, detail=detail)


def do_rename_plan(user: User, plan: CarePlan, *, title: str) -> CarePlan:
    if not title.strip():
        raise ActionRefused({"title": "Give the plan a title."})
    with transaction.atomic():
        _editing(user, plan)
        plan.title = title.strip()[:200]
        plan.save(update_fields=["title", "updated_at"])
        _changed(user, plan, plan, detail="title")
    return plan
