"""Background work (huey, through huey.contrib.djhuey, which finds this module by its name).

deliver            e-mail and SMS for one notification (delivery.py, imported here so the worker knows it)
escalate_overdue   every 5 minutes: overdue tasks go to the supervisor (escalation.do_escalate_overdue_tasks)
morning_summary    hourly; at 07:00 Monday to Friday in each organisation's own time zone, each of its case
                   managers and supervisors with something due today is told how much

Most "due" states (a contact due, a reassessment coming) are queries on the worklist, not jobs: only sending
messages and the escalation sweep, which changes tasks, run here. The tasks are safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.db import connections
from django.utils import timezone
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import (  # type: ignore[import-untyped]
    db_periodic_task,
    db_task,
    lock_task,
    on_shutdown,
)

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, User
from careconductor.core import clock
from careconductor.core.zones import organisation_zone

from .choices import NotificationKind
from .delivery import deliver as deliver  # the worker finds the queued e-mails and SMS through this module
from .delivery import do_deliver
from .escalation import do_escalate_overdue_tasks
from .models import Notification
from .notify import do_notify
from .rules import Band
from .worklist import build_worklist

logger = logging.getLogger(__name__)

SUMMARY_ROLES = (Role.CASE_MANAGER, Role.SUPERVISOR)


# Until version 18 the delivery job lived here, and a queue keeps a job by its module's name: e-mails and SMS
# queued before an upgrade are still sent.
@db_task(retries=3, retry_delay=60, name="deliver")
def deliver_queued_before_the_move(notification_id: int, channels: Sequence[str], message: str) -> None:
    do_deliver(notification_id, channels, message)


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


SUMMARY_HOUR = 7  # in each organisation's own time zone, Monday to Friday


def is_summary_hour(local: dt.datetime) -> bool:
    """Whether `local` (an organisation's wall-clock time) is when its morning summaries go out."""
    return local.hour == SUMMARY_HOUR and local.isoweekday() <= 5


@db_periodic_task(crontab(minute="0"))
def morning_summary() -> int:
    """Every hour on the hour: each organisation where it is now 07:00 on a weekday, in its own time zone
    (Organization.time_zone, else the installation's), gets its morning summaries."""
    sent = 0
    for org in Organization.objects.order_by("pk"):
        with organisation_zone(org.time_zone):
            if is_summary_hour(timezone.localtime(clock.now())):
                sent += summarise_organisation(org)
    return sent


def summarise_organisation(org: Organization) -> int:
    """One notification per case manager and supervisor of `org` with work due today (worklist bands up to
    transitional care), in the organisation's time zone (the caller's). Sent once a day: a rerun skips
    whoever already has today's summary."""
    start_of_day = timezone.make_aware(dt.datetime.combine(clock.today(), dt.time.min))
    already = Notification.objects.filter(
        kind=NotificationKind.CONTACT_DUE, created_at__gte=start_of_day
    ).values("user_id")
    users = (
        User.objects.filter(is_active=True, role__in=SUMMARY_ROLES, organization=org)
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
