"""The one place a referral's status changes: checks the transition table for the side that moves it, keeps the
event with who and when, and audits it. Callers own the transaction and the policy check."""

from __future__ import annotations

import datetime as dt

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .. import hooks, rules
from ..choices import Actor, DeclineReason, ReferralStatus
from ..models import Referral, ReferralEvent

MOVE_WORDS = {
    ReferralStatus.RECEIVED: "received",
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.DECLINED: "declined",
    ReferralStatus.SCHEDULED: "scheduled",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.NO_SHOW: "marked as not attended",
    ReferralStatus.CANCELLED: "cancelled",
    ReferralStatus.SENT: "sent",
}


def check_move(
    referral: Referral,
    to: ReferralStatus,
    side: rules.Side,
    *,
    decline_reason: str = "",
    proposed_at: dt.datetime | None = None,
) -> None:
    if not rules.may_move(referral.status, to, side):
        current = ReferralStatus(referral.status).label.lower()
        raise ActionRefused(
            {"status": f"A referral that is {current} cannot be {MOVE_WORDS.get(to, to)} now."}
        )
    errors = {}
    needed = rules.moves_needing(to)
    if "decline_reason" in needed and decline_reason not in DeclineReason.values:
        errors["decline_reason"] = "Choose why the referral is declined."
    if "proposed_at" in needed and proposed_at is None:
        errors["proposed_at"] = "Give the date and time of the appointment."
    if (
        proposed_at is not None
        and proposed_at < clock.now() - dt.timedelta(days=1)
        and to == ReferralStatus.SCHEDULED
    ):
        errors["proposed_at"] = "The appointment is in the past; give a date to come."
    if errors:
        raise ActionRefused(errors)


def move(
    referral: Referral,
    to: ReferralStatus,
    *,
    side: rules.Side,
    actor: Actor,
    user: User | None,
    note: str = "",
    decline_reason: str = "",
    proposed_at: dt.datetime | None = None,
    audit_as: str = "",
) -> ReferralEvent:
    check_move(referral, to, side, decline_reason=decline_reason, proposed_at=proposed_at)
    now = clock.now()
    event = ReferralEvent.objects.create(
        referral=referral,
        at=now,
        from_status=referral.status,
        to_status=to,
        actor=actor,
        user=user,
        note=note.strip()[:2000],
    )
    referral.status = to
    referral.status_changed_at = now
    fields = ["status", "status_changed_at", "updated_at"]
    if to == ReferralStatus.SENT:
        referral.sent_at = now
        fields.append("sent_at")
    if to == ReferralStatus.DECLINED:
        referral.decline_reason = decline_reason
        fields.append("decline_reason")
    if to == ReferralStatus.SCHEDULED:
        referral.proposed_at = proposed_at
        fields.append("proposed_at")
    if to in rules.NEEDS_ATTENTION or (to == ReferralStatus.CANCELLED and side == rules.Side.RECEIVER):
        # Something came back for the case manager to act on: it waits on the worklist until read.
        referral.needs_attention = True
        fields.append("needs_attention")
    if to in rules.NEEDS_ATTENTION | {ReferralStatus.CANCELLED} and note.strip():
        referral.outcome_note = note.strip()[:2000]
        fields.append("outcome_note")
    referral.save(update_fields=fields)
    audit.record(
        user,
        AuditAction.UPDATE,
        patient=referral.patient_id,
        obj=referral,
        detail=f"status {to} by {actor}",
        username=audit_as,
    )
    for hook in hooks.AFTER_MOVE:
        hook(referral, event)
    return event
