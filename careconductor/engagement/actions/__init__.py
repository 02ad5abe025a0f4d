"""The only code that changes portal state, one module per subject: invitations and proxies, self-reports and
the alerts they raise, alert limits, messages. Patients and proxies act with Action.REPORT on the records they
may see. Alerts go through coordination's flag and task actions in the same transaction as the report that
raised them.

Inside engagement, import from the subject's module. Other apps, the demo and the tests call the portal's
actions through this package: the names below are its public interface."""

from __future__ import annotations

from .invitations import (
    INVITATION_DAYS,
    Invitation,
    do_accept_invitation,
    do_grant_proxy,
    do_invite_patient,
    do_note_portal_use,
    do_revoke_proxy,
    do_withdraw_invitation,
    open_invitation,
)
from .messages import do_mark_patient_messages_read, do_mark_read, do_send_message
from .reports import (
    ReportOutcome,
    do_check_in_goal,
    do_report_blood_pressure,
    do_report_reading,
    do_report_wellbeing,
)
from .thresholds import (
    do_clear_programme_threshold,
    do_clear_threshold,
    do_set_programme_threshold,
    do_set_threshold,
)

__all__ = [
    "INVITATION_DAYS",
    "Invitation",
    "ReportOutcome",
    "do_accept_invitation",
    "do_check_in_goal",
    "do_clear_programme_threshold",
    "do_clear_threshold",
    "do_grant_proxy",
    "do_invite_patient",
    "do_mark_patient_messages_read",
    "do_mark_read",
    "do_note_portal_use",
    "do_report_blood_pressure",
    "do_report_reading",
    "do_report_wellbeing",
    "do_revoke_proxy",
    "do_send_message",
    "do_set_programme_threshold",
    "do_set_threshold",
    "do_withdraw_invitation",
    "open_invitation",
]
