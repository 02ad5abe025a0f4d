"""Background work (huey, through huey.contrib.djhuey, which finds this module by its name).

deliver            e-mail and SMS for one notification (delivery.py, imported here so the worker knows it)
escalate_overdue   every 5 minutes: overdue tasks go to the supervisor (escalation.do_escalate_overdue_tasks)
morning_summary    07:00 local time (settings.TIME_ZONE), Monday to Friday: each case manager and supervisor
                   with something due today is told how much

Most "due" states (a contact due, a reassessment coming) are queries on the worklist, not jobs: only sending
messages and the escalation sweep, which changes tasks, run here. The tasks are safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections
from django.utils import timezone
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import (  # type: ignore[import-untyped]
    HUEY,
    db_periodic_task,
    lock_task,
    on_shutdown,
)

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core import clock

from .choices import NotificationKind
from .delivery import deliver as deliver  # the worker finds the queued e-mails and SMS through this module
from .escalation import do_escalate_overdue_tasks
from .models import Notification
from .notify import do_notify
from .rules import Band
from .worklist import build_worklist

logger = logging.getLogger(__name__)

SUMMARY_ROLES = (Role.CASE_MANAGER, Role.SUPERVISOR)


def local_crontab(
    minute: str = "*", hour: str = "*", day: str = "*", month: str = "*", day_of_week: str = "*"
) -> Callable[[dt.datetime], bool]:
    """huey's crontab, read in settings.TIME_ZONE. The queue keeps its clock in UTC (so times survive a
    daylight-saving change), which would make a plain crontab(hour=7) fire at 07:00 UTC."""
    matches = crontab(minute, hour, day, month, day_of_week)

    def validate(timestamp: dt.datetime) -> bool:
        if HUEY.utc:
            timestamp = (
                timestamp.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
            )
        return bool(matches(timestamp))

    return validate


@on_shutdown()
def close_database_connections() -> None:
    """Each worker thread holds its own database connections: close them when it stops."""
    connections.close_all()


# One sweep at a time, whatever the number of workers. Made here, not in the task, so that the consumer knows
# the lock when it starts and clears one left behind by a worker that was killed mid-sweep (flush_locks).
ESCALATION_LOCK = lock_task("coordination.escalate_overdue")


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue() -> int:
    with ESCALATION_LOCK:
        escalated = do_escalate_overdue_tasks()
    if escalated:
        logger.info("Escalated %d overdue tasks", escalated)
    return escalated


@db_periodic_task(local_crontab(minute="0", hour="7", day_of_week="1-5"))
def morning_summary() -> int:
    """One notification per case manager and supervisor with work due today (worklist bands up to
    transitional care). Sent once a day: a rerun skips whoever already has today's summary."""
    start_of_day = timezone.make_aware(dt.datetime.combine(clock.today(), dt.time.min))
    already = Notification.objects.filter(
        kind=NotificationKind.CONTACT_DUE, created_at__gte=start_of_day
    ).values("user_id")
    users = (
        User.objects.filter(is_active=True, role__in=SUMMARY_ROLES, organization__isnull=False)
        .exclude(pk__in=already)
        .order_by("pk")
    )
    sent = 0
    for user in list(users):
        try:
            items = [i for i in build_worklist(user).items if i.band <= Band.TRANSITION]
            if not items:
                continue
            overdue = sum(1 for i in items if i.overdue)
            text = f"{len(items)} item{'s' if len(items) != 1 else ''} on your worklist today ({overdue} overdue)"
            do_notify([user], NotificationKind.CONTACT_DUE, text, url="/worklist/", outside_text=text)
            sent += 1
        except Exception:  # one person's broken worklist must not keep the others' summaries back
            logger.exception("Morning summary failed for user %s", user.pk)
    return sent
