"""The only code that changes coordination's records, one module per subject: tasks, flags (alerts), contacts
(the contact log, time, the unable-to-reach steps), closing (closing a case) and cadence (follow-up settings).
Rules in other apps (a PHQ-9 item-9 answer, a positive safety screen) call these inside their own
transaction, so a task exists exactly when its cause does.

Inside coordination, import from the subject's module. Other apps, the demo and the tests call coordination's
actions through this package: the names below are its public interface."""

from __future__ import annotations

from ..escalation import do_escalate_overdue_tasks
from .cadence import do_add_holiday, do_remove_holiday, do_reset_cadence, do_set_cadence
from .closing import (
    closing_summary_draft,
    closure_needs_approval,
    do_decide_closure,
    do_request_closure,
    with_takes_over,
)
from .contacts import ContactInput, FollowUp, do_log_contact, do_log_time, do_record_outreach
from .flags import do_acknowledge_flag, do_raise_flag
from .tasks import do_add_task_note, do_claim_task, do_create_task, do_move_task, do_reassign_task

__all__ = [
    "ContactInput",
    "FollowUp",
    "closing_summary_draft",
    "closure_needs_approval",
    "do_acknowledge_flag",
    "do_add_holiday",
    "do_add_task_note",
    "do_claim_task",
    "do_create_task",
    "do_decide_closure",
    "do_escalate_overdue_tasks",
    "do_log_contact",
    "do_log_time",
    "do_move_task",
    "do_raise_flag",
    "do_reassign_task",
    "do_record_outreach",
    "do_remove_holiday",
    "do_request_closure",
    "do_reset_cadence",
    "do_set_cadence",
    "with_takes_over",
]
