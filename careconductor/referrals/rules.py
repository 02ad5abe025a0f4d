"""Pure decisions about referrals: the status transition table and who may make each move, which consent a
referral needs before it is sent, what the receiving organisation may see, when an unanswered referral becomes
work, and how statuses read in FHIR (ServiceRequest.status, Task.status and businessStatus, clinical.md §10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Set
from enum import StrEnum

from careconductor.coordination.rules import add_business_days

from .choices import ReferralStatus as S
from .choices import SharedItem


class Side(StrEnum):
    """Who moves a referral: the referring side (staff), or the receiving organisation (through its link, its
    log-in or its system). Staff may also record what the organisation told them by phone."""

    REFERRER = "referrer"
    RECEIVER = "receiver"


R, P = Side.REFERRER, Side.RECEIVER

# (from, to) → who may make the move. draft → sent → received → accepted | declined → scheduled →
# completed | no-show | cancelled. A receiver may answer without first saying it received (accepting a sent
# referral receives it too); a scheduled visit may be moved (scheduled → scheduled) and a missed one booked again.
TRANSITIONS: dict[tuple[S, S], frozenset[Side]] = {
    (S.DRAFT, S.SENT): frozenset({R}),
    (S.DRAFT, S.CANCELLED): frozenset({R}),
    (S.SENT, S.RECEIVED): frozenset({P, R}),
    (S.SENT, S.ACCEPTED): frozenset({P, R}),
    (S.SENT, S.DECLINED): frozenset({P, R}),
    (S.SENT, S.CANCELLED): frozenset({R}),
    (S.RECEIVED, S.ACCEPTED): frozenset({P, R}),
    (S.RECEIVED, S.DECLINED): frozenset({P, R}),
    (S.RECEIVED, S.CANCELLED): frozenset({R}),
    (S.ACCEPTED, S.SCHEDULED): frozenset({P, R}),
    (S.ACCEPTED, S.COMPLETED): frozenset({P, R}),
    (S.ACCEPTED, S.CANCELLED): frozenset({P, R}),
    (S.SCHEDULED, S.SCHEDULED): frozenset({P, R}),
    (S.SCHEDULED, S.COMPLETED): frozenset({P, R}),
    (S.SCHEDULED, S.NO_SHOW): frozenset({P, R}),
    (S.SCHEDULED, S.CANCELLED): frozenset({P, R}),
    (S.NO_SHOW, S.SCHEDULED): frozenset({P, R}),
}

TERMINAL = frozenset({S.DECLINED, S.COMPLETED, S.CANCELLED})
# Waiting for the receiving organisation to answer at all.
AWAITING_ANSWER = frozenset({S.SENT, S.RECEIVED})
OPEN = frozenset(S) - TERMINAL - {S.NO_SHOW}
# What came back that the case manager must act on: the worklist row stays until they acknowledge it.
NEEDS_ATTENTION = frozenset({S.DECLINED, S.NO_SHOW, S.COMPLETED})
# What the receiving side's answer pages may offer.
RECEIVER_MOVES = (S.RECEIVED, S.ACCEPTED, S.DECLINED, S.SCHEDULED, S.COMPLETED, S.NO_SHOW, S.CANCELLED)


def may_move(current: str, to: str, side: Side) -> bool:
    return side in TRANSITIONS.get((S(current), S(to)), frozenset())


def next_statuses(current: str, side: Side) -> list[S]:
    """The statuses `side` may move a referral in `current` to, in the order of the life of a referral."""
    return [to for to in S if may_move(current, to, side)]


def is_terminal(status: str) -> bool:
    return S(status) in TERMINAL


def moves_needing(to: str) -> Set[str]:
    """What the form must carry for a move: a reason to decline, a date to schedule."""
    return {S.DECLINED: {"decline_reason"}, S.SCHEDULED: {"proposed_at"}}.get(S(to), set())


# --- consent and minimum necessary ---------------------------------------------------------------------------------

ALWAYS_SHARED = ("name", "need")


def needs_sharing_consent(recipient_hipaa_covered: bool) -> bool:
    """Sending to an organisation that is not a HIPAA covered entity (a food bank, a church, a housing charity)
    needs the patient's consent first (Gravity step 4, clinical.md §10.1); to a covered entity for treatment it
    does not (45 CFR 164.506)."""
    return not recipient_hipaa_covered


def shared_fields(shared: Iterable[str]) -> list[str]:
    """What the receiving organisation sees: the patient's name and the need always, the rest only as ticked
    (minimum necessary, clinical.md §9.3), in a fixed order."""
    chosen = set(shared)
    return [*ALWAYS_SHARED, *(item.value for item in SharedItem if item.value in chosen)]


def consent_covers(
    *,
    consent_recipient: str,
    consent_active: bool,
    given_on: dt.date,
    expires_on: dt.date | None,
    recipient: str,
    today: dt.date,
) -> bool:
    """A sharing consent covers a referral when it is active today and names the organisation (case and
    spacing aside)."""
    if not consent_active or given_on > today or (expires_on is not None and expires_on < today):
        return False
    return " ".join(consent_recipient.split()).casefold() == " ".join(recipient.split()).casefold()


# --- the clock of an answer ----------------------------------------------------------------------------------------


def answer_due(sent_on: dt.date, business_days: int, holidays: Set[dt.date]) -> dt.date:
    """The last business day the receiving organisation has to answer before the referral becomes work."""
    return add_business_days(sent_on, business_days, holidays)


def unanswered(
    status: str, sent_on: dt.date | None, today: dt.date, business_days: int, holidays: Set[dt.date]
) -> bool:
    """Sent (or only received) and no answer once the business days have passed."""
    if S(status) not in AWAITING_ANSWER or sent_on is None:
        return False
    return today > answer_due(sent_on, business_days, holidays)


# --- FHIR ------------------------------------------------------------------------------------------------------------

# Task.status (task-status) and businessStatus for the programme's own steps.
TASK_STATUS: dict[S, tuple[str, str]] = {
    S.DRAFT: ("draft", ""),
    S.SENT: ("requested", ""),
    S.RECEIVED: ("received", ""),
    S.ACCEPTED: ("accepted", ""),
    S.DECLINED: ("rejected", ""),
    S.SCHEDULED: ("in-progress", "scheduled"),
    S.COMPLETED: ("completed", ""),
    S.NO_SHOW: ("failed", "no-show"),
    S.CANCELLED: ("cancelled", ""),
}

# ServiceRequest.status (request-status).
SERVICE_REQUEST_STATUS: dict[S, str] = {
    S.DRAFT: "draft",
    S.SENT: "active",
    S.RECEIVED: "active",
    S.ACCEPTED: "active",
    S.SCHEDULED: "active",
    S.NO_SHOW: "active",
    S.COMPLETED: "completed",
    S.DECLINED: "revoked",
    S.CANCELLED: "revoked",
}

# What a partner's system may set on the Task (Task.status → our status).
FROM_TASK_STATUS: dict[str, S] = {
    "received": S.RECEIVED,
    "accepted": S.ACCEPTED,
    "rejected": S.DECLINED,
    "in-progress": S.SCHEDULED,
    "completed": S.COMPLETED,
    "failed": S.NO_SHOW,
    "cancelled": S.CANCELLED,
}
