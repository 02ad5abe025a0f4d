"""Permission-checked reads of tasks and flags."""

from __future__ import annotations

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, QuerySet, Value, When

from careconductor.accounts.models import User
from careconductor.core.errors import NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .choices import FlagStatus
from .models import Flag, Task, TaskQuerySet
from .rules import PRIORITY_RANK


def priority_rank() -> SqlCase:
    return SqlCase(
        *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )


def ranked(qs: TaskQuerySet) -> QuerySet[Task]:
    """Most urgent first, then soonest due."""
    return qs.annotate(rank=priority_rank()).order_by("rank", "due_at", "pk")


def my_open_tasks(user: User) -> QuerySet[Task]:
    """The user's open tasks on patients they may still see."""
    qs = Task.objects.open().filter(owner=user).filter(policy.patient_q(user))
    return ranked(qs).select_related("patient")


def patient_open_tasks(patient: Patient) -> QuerySet[Task]:
    """Open tasks on a patient whose chart the caller has already opened through access_patient."""
    return ranked(Task.objects.open().filter(patient=patient)).select_related("owner")


def active_flags(patient: Patient) -> QuerySet[Flag]:
    return Flag.objects.filter(patient=patient, status=FlagStatus.ACTIVE).order_by("-raised_at")


def access_task(user: User, task_id: int) -> Task:
    task = (
        Task.objects.filter(policy.patient_q(user))
        .select_related("patient", "owner")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=task.patient, obj=task)
    return task


def access_flag(user: User, flag_id: int) -> Flag:
    flag = Flag.objects.filter(policy.patient_q(user)).select_related("patient").filter(pk=flag_id).first()
    if flag is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=flag.patient, obj=flag)
    return flag
