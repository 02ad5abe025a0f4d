"""The only code that changes tasks and flags. Rules in other apps (a PHQ-9 item-9 answer, a positive safety
screen) call these inside their own transaction, so a task exists exactly when its cause does."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .choices import FlagCategory, FlagStatus, TaskKind, TaskPriority, TaskStatus
from .models import Flag, Task


def do_create_task(
    requester: User,
    patient: Patient,
    *,
    owner: User,
    title: str,
    due_at: dt.datetime,
    kind: TaskKind = TaskKind.OTHER,
    priority: TaskPriority = TaskPriority.ROUTINE,
    description: str = "",
    case_id: int | None = None,
    rule: str = "",
    focus: str = "",
) -> Task:
    """A task for `owner` about `patient`. The requester must be able to see the patient, and the owner must
    belong to the patient's organisation."""
    policy.require(requester, policy.Action.VIEW, patient)
    if owner.organization_id != patient.organization_id or not owner.is_active:
        raise ActionRefused({"owner": "Tasks go to active staff of the patient's organisation."})
    if not title.strip():
        raise ActionRefused({"title": "Say what needs doing."})
    with transaction.atomic():
        task = Task.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            case_id=case_id,
            kind=kind,
            title=title.strip()[:200],
            description=description.strip(),
            priority=priority,
            owner=owner,
            requester=requester,
            rule=rule,
            focus=focus,
            due_at=due_at,
        )
        audit.record(requester, AuditAction.CREATE, patient=patient, obj=task, detail=rule or kind)
    return task


def do_move_task(user: User, task: Task, target: TaskStatus, *, note: str = "") -> Task:
    """Move a task along the transition table; its owner or anyone who may change the patient's record."""
    policy.require(user, policy.Action.VIEW, task.patient)
    if task.owner_id != user.pk and not policy.may(user, policy.Action.CHANGE, task.patient):
        raise ActionRefused("Only the task's owner or the patient's case staff may change it.")
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        current = TaskStatus(task.status)
        if not rules.can_move(current, target):
            raise ActionRefused(
                {"status": f"A task that is {current.label.lower()} cannot become {target.label.lower()}."}
            )
        task.status = target
        if target == TaskStatus.COMPLETED:
            task.completed_at = clock.now()
        if note.strip():
            stamp = f"{clock.now():%Y-%m-%d %H:%M} {user.display_name()}: {note.strip()}"
            task.note = f"{task.note}\n{stamp}".strip()
        task.save(update_fields=["status", "completed_at", "note", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail=f"status {target}")
    return task


def do_raise_flag(
    user: User,
    patient: Patient,
    *,
    text: str,
    category: FlagCategory = FlagCategory.SAFETY,
    rule: str = "",
    focus: str = "",
) -> Flag:
    """An alert on the chart. One active flag per rule and patient: a second cause refreshes nothing."""
    policy.require(user, policy.Action.VIEW, patient)
    with transaction.atomic():
        existing = (
            Flag.objects.filter(patient=patient, rule=rule, status=FlagStatus.ACTIVE).first()
            if rule
            else None
        )
        if existing is not None:
            return existing
        flag = Flag.objects.create(
            patient=patient,
            category=category,
            text=text[:200],
            rule=rule,
            focus=focus,
            raised_at=clock.now(),
            raised_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=flag, detail=rule)
    return flag


def do_acknowledge_flag(user: User, flag: Flag, *, note: str) -> Flag:
    """A person has seen the alert and says what was done; the flag leaves the chart header."""
    policy.require(user, policy.Action.VIEW, flag.patient)
    if not note.strip():
        raise ActionRefused({"note": "Say what was done about the alert."})
    with transaction.atomic():
        flag = Flag.objects.select_for_update(of=("self",)).select_related("patient").get(pk=flag.pk)
        if flag.status != FlagStatus.ACTIVE:
            raise ActionRefused("This alert has already been acknowledged.")
        flag.status = FlagStatus.INACTIVE
        flag.acknowledged_at = clock.now()
        flag.acknowledged_by = user
        flag.acknowledgement = note.strip()
        flag.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement", "updated_at"]
        )
        audit.record(user, AuditAction.UPDATE, patient=flag.patient, obj=flag, detail="acknowledged")
    return flag
