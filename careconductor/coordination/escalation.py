"""Escalating overdue tasks to the supervisor. How long a task may stay overdue depends on its priority
(rules.escalation_delay_hours, the hours from settings): an urgent safety follow-up cannot wait the day a routine
letter can. Run every few minutes by the worker (tasks.escalate_overdue)."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from careconductor.accounts.models import StaffProfile, Team, User
from careconductor.core import clock
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from . import rules
from .choices import NotificationKind, TaskPriority
from .models import Task
from .notify import do_notify


def configured_hours() -> dict[str, int]:
    """The delays as configured (settings: CARECONDUCTOR_ESCALATION_HOURS_<PRIORITY>)."""
    return {
        TaskPriority.ROUTINE: settings.TASK_ESCALATION_HOURS,
        TaskPriority.URGENT: settings.TASK_ESCALATION_HOURS_URGENT,
        TaskPriority.ASAP: settings.TASK_ESCALATION_HOURS_ASAP,
        TaskPriority.STAT: settings.TASK_ESCALATION_HOURS_STAT,
    }


def escalation_delays() -> dict[str, int]:
    """Hours past due before escalation, per priority, as the sweep applies them."""
    hours = configured_hours()
    return {p: rules.escalation_delay_hours(p, hours) for p in TaskPriority.values}


def do_escalate_overdue_tasks(now: dt.datetime | None = None) -> int:
    """Open tasks overdue by their priority's delay (escalation_delays) go, once, to the supervisor of the owner's
    team (or of the queue's team): the supervisor is told and the task says so. The owner keeps the task. Run
    every few minutes by the worker; safe to run twice."""
    moment = now or clock.now()
    delays = escalation_delays()
    # The delay runs from the due time, or from the last hand-over when that came later: a new owner gets it whole.
    overdue = reduce(
        or_,
        (
            Q(priority=priority, due_at__lte=cutoff)
            & (Q(handed_over__isnull=True) | Q(handed_over__lte=cutoff))
            for priority, cutoff in ((p, moment - dt.timedelta(hours=h)) for p, h in delays.items())
        ),
    )
    candidates = (
        Task.objects.open()
        .filter(escalated_at__isnull=True, due_at__lte=moment)
        .annotate(handed_over=Max("reassignments__at"))
        .filter(overdue)
        .values_list("pk", flat=True)
    )
    escalated = 0
    for task_id in list(candidates[:500]):
        with transaction.atomic():
            task = (
                Task.objects.select_for_update(of=("self",))
                .select_related("patient", "owner", "team")
                .get(pk=task_id)
            )
            last_handover = task.reassignments.aggregate(at=Max("at"))["at"]
            start = max(task.due_at, last_handover) if last_handover else task.due_at
            delay = delays.get(task.priority, delays[TaskPriority.ROUTINE])
            if not task.is_open or not rules.escalation_due(
                start, moment, delay, task.escalated_at is not None
            ):
                continue
            supervisor = _supervisor_for(task)
            if supervisor is None or supervisor.pk == task.owner_id:
                # Nobody above the owner: mark it so the sweep does not look at it again.
                task.escalated_at = moment
                task.save(update_fields=["escalated_at", "updated_at"])
                continue
            task.escalated_at = moment
            task.escalated_to = supervisor
            late = moment - task.due_at
            task.note = (
                f"{task.note}\n{timezone.localtime(moment):%Y-%m-%d %H:%M} escalated to "
                f"{supervisor.display_name()}: overdue by {late.days * 24 + late.seconds // 3600} h"
            ).strip()
            task.save(update_fields=["escalated_at", "escalated_to", "note", "updated_at"])
            # The sweep did it, not the supervisor: no user on the event.
            audit.record(
                None,
                AuditAction.UPDATE,
                patient=task.patient,
                obj=task,
                detail=f"escalated to user {supervisor.pk}",
            )
            do_notify(
                [supervisor],
                NotificationKind.TASK_ESCALATED,
                f"Overdue task escalated: {task.title}",
                body=f"Owner: {task.owner_label()}. Due {timezone.localtime(task.due_at):%Y-%m-%d %H:%M}.",
                url=f"/tasks/{task.pk}/",
                patient=task.patient,
            )
            escalated += 1
    return escalated


def _supervisor_for(task: Task) -> User | None:
    team_id = task.team_id
    if task.owner_id is not None:
        profile = (
            StaffProfile.objects.filter(user_id=task.owner_id).select_related("team__supervisor").first()
        )
        team_id = profile.team_id if profile else None
    if team_id is None:
        return None
    team = Team.objects.select_related("supervisor").filter(pk=team_id).first()
    supervisor = team.supervisor if team else None
    return supervisor if supervisor is not None and supervisor.is_active else None
