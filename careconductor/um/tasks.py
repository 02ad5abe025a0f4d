"""Background work of utilisation management (huey, found by this module's name).

mark_breaches   every minute: open requests past their due time are marked and the medical directors told
                (actions.do_mark_breaches), so a breach is known within a minute of the clock running out
"""

from __future__ import annotations

import logging

from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, lock_task  # type: ignore[import-untyped]

from careconductor.privacy import audit

from .actions import do_mark_breaches

logger = logging.getLogger(__name__)
CONTEXT = audit.AuditContext(user_agent="careconductor worker (prior-authorisation clock)", purpose="HOPERAT")
LOCK = lock_task("um.mark_breaches")


@db_periodic_task(crontab(minute="*"))
def mark_breaches() -> int:
    with LOCK, audit.audit_context(CONTEXT):
        marked = do_mark_breaches()
    if marked:
        logger.info("Marked %d prior-authorisation requests past due", marked)
    return marked
