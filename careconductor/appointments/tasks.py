"""Background work (huey, through huey.contrib.djhuey, which finds this module by its name).

send_reminders   every 5 minutes: the appointment reminders due now, each sent once (reminders.py)
"""

from __future__ import annotations

import logging

from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, lock_task  # type: ignore[import-untyped]

from .reminders import do_send_due_reminders

logger = logging.getLogger(__name__)

# One sweep at a time; the reminders' unique rows keep each one to one message even without the lock.
REMINDER_LOCK = lock_task("appointments.send_reminders")


@db_periodic_task(crontab(minute="*/5"))
def send_reminders() -> int:
    with REMINDER_LOCK:
        sent = do_send_due_reminders()
    if sent:
        logger.info("Sent %d appointment reminders", sent)
    return sent
