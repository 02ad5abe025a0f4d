"""Background work of the ADT feed (huey, through huey.contrib.djhuey, which finds this module by its name).

discharge_work        a discharge's work (risk scores, notices, the transitional-care referral), queued by the MLLP
                      listener when the message commits (actions.do_receive(defer_work=True)) so that it is not
                      in the acknowledgement's transaction; done once (actions.do_discharge_work)
discharge_work_sweep  every minute: a discharge whose task was lost (the listener stopped between the commit and
                      the queue, a queue emptied) is done now, so every discharge turns into its work within a
                      minute or two
"""

from __future__ import annotations

import logging

from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task  # type: ignore[import-untyped]

from careconductor.privacy import audit

from .actions import do_discharge_work, queued_discharges

logger = logging.getLogger(__name__)

CONTEXT = audit.AuditContext(user_agent="HL7 v2 MLLP (discharge work)", purpose="TREAT")


@db_task(retries=3, retry_delay=10, name="transitions.discharge_work")
def discharge_work(message_id: int) -> str:
    with audit.audit_context(CONTEXT):
        return do_discharge_work(message_id)


SWEEP_LOCK = lock_task("transitions.discharge_work_sweep")


@db_periodic_task(crontab(minute="*"))
def discharge_work_sweep() -> int:
    done = 0
    with SWEEP_LOCK, audit.audit_context(CONTEXT):
        for message_id in queued_discharges():
            try:
                do_discharge_work(message_id)
                done += 1
            except Exception:  # one discharge's failure does not stop the others; the next sweep retries it
                logger.exception("Discharge work of ADT message %s failed", message_id)
    if done:
        logger.info("Did the discharge work of %d ADT message(s) whose task was lost", done)
    return done
