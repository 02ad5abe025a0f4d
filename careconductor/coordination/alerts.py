"""A new report on an alert that is still open (a reading past its limit again, a new symptom): the alert and its
task say the latest, and the task's owner hears of it again when it is worse. Raising an alert is
actions.do_raise_flag; this keeps one open alert per rule and patient up to date."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .actions.tasks import append_note
from .choices import FlagStatus, NotificationKind, TaskPriority
from .models import Flag, Task
from .notify import do_notify


def do_update_alert(
    user: User,
    flag: Flag,
    *,
    text: str,
    focus: str,
    title: str,
    note: str,
    worse: bool,
    priority: str = TaskPriority.ROUTINE,
) -> Task | None:
    """The open alert now says `text` about `focus`; its open task (same rule and patient) takes `title`, a note
    and `priority` if that is more urgent. When the report is `worse`, the task's owner is notified again. Returns
    the task, None when there is no open task (the caller makes one)."""
    policy.require(user, policy.Action.VIEW, flag.patient)
    with transaction.atomic():
        flag = Flag.objects.select_for_update(of=("self",)).select_related("patient").get(pk=flag.pk)
        if flag.status != FlagStatus.ACTIVE:
            return None
        flag.text, flag.focus = text[:200], focus
        flag.save(update_fields=["text", "focus", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=flag.patient, obj=flag, detail=f"{flag.rule} updated")
        task = (
            Task.objects.open()
            .select_for_update(of=("self",))
            .filter(patient_id=flag.patient_id, rule=flag.rule)
            .select_related("patient", "owner")
            .order_by("-created_at")
            .first()
        )
        if task is None:
            return None
        task.title = title[:200]
        if rules.URGENCY_ORDER.index(TaskPriority(priority)) > rules.URGENCY_ORDER.index(
            TaskPriority(task.priority)
        ):
            task.priority = priority
        append_note(task, user, note)
        task.save(update_fields=["title", "priority", "note", "updated_at"])
        audit.record(
            user, AuditAction.UPDATE, patient=task.patient, obj=task, detail="worse" if worse else "note"
        )
        if worse and task.owner is not None:
            do_notify(
                [task.owner],
                NotificationKind.TASK_ASSIGNED,
                f"Worse: {task.title}",
                body=f"A new report at {timezone.localtime(clock.now()):%H:%M} is worse than before. Due "
                f"{timezone.localtime(task.due_at):%Y-%m-%d %H:%M}.",
                url=f"/tasks/{task.pk}/",
                patient=task.patient,
            )
    return task
