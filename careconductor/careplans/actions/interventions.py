"""Interventions: who does what for a goal; a staff member's becomes a task when its version comes into
force (versions._bring_into_force)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.coordination.actions import do_move_task
from careconductor.coordination.choices import TaskStatus
from careconductor.coordination.rules import TERMINAL as TASK_TERMINAL
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..choices import (
    InterventionKind,
    InterventionStatus,
    OwnerType,
)
from ..models import (
    CarePlan,
    Goal,
    Intervention,
)
from .plans import _changed, _editing


def _check_owner(plan: CarePlan, owner_type: OwnerType, owner: User | None) -> None:
    if owner_type == OwnerType.STAFF:
        if owner is None:
            raise ActionRefused({"owner": "Choose the member of staff who will do it."})
        if owner.organization_id != plan.organization_id or not owner.is_active or owner.role == Role.PATIENT:
            raise ActionRefused({"owner": "Interventions go to active staff of the patient's organisation."})
    elif owner is not None:
        raise ActionRefused({"owner": "Only staff-owned interventions name a member of staff."})


def do_add_intervention(
    user: User,
    plan: CarePlan,
    *,
    kind: InterventionKind,
    title: str,
    owner_type: OwnerType,
    owner: User | None = None,
    owner_name: str = "",
    due_on: dt.date | None = None,
    goal: Goal | None = None,
    detail: str = "",
) -> Intervention:
    if not title.strip():
        raise ActionRefused({"title": "Say what will be done."})
    if goal is not None and goal.plan_id != plan.pk:
        raise ActionRefused({"goal": "Choose a goal of this plan."})
    _check_owner(plan, owner_type, owner)
    with transaction.atomic():
        _editing(user, plan)
        intervention = Intervention.objects.create(
            plan=plan,
            patient=plan.patient,
            goal=goal,
            kind=kind,
            title=title.strip()[:200],
            detail=detail.strip(),
            owner_type=owner_type,
            owner=owner,
            owner_name=owner_name.strip()[:200],
            due_on=due_on,
        )
        # Its task is made when the version carrying it comes into force (_bring_into_force).
        _changed(user, plan, intervention, AuditAction.CREATE)
    return intervention


def do_set_intervention_status(
    user: User, intervention: Intervention, status: InterventionStatus
) -> Intervention:
    """Progress on an intervention the patient or a caregiver owns. A staff intervention moves with its Task."""
    policy.require(user, policy.Action.CHANGE, intervention.patient)
    if intervention.task_id is not None:
        raise ActionRefused("This intervention follows its task; update the task instead.")
    with transaction.atomic():
        intervention.status = status
        intervention.save(update_fields=["status", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=intervention.patient, obj=intervention, detail=status)
    return intervention


def do_remove_intervention(user: User, intervention: Intervention) -> None:
    """Take an intervention off the plan; its open task is cancelled with it."""
    with transaction.atomic():
        _editing(user, intervention.plan)
        task = intervention.task
        if task is not None and task.status not in TASK_TERMINAL:
            do_move_task(user, task, TaskStatus.CANCELLED, note="Intervention taken off the care plan.")
        _changed(user, intervention.plan, intervention, AuditAction.DELETE)
        intervention.delete()
