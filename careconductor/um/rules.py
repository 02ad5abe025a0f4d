"""Pure decisions of utilisation management (issue 21): when a prior-authorisation decision is due under
CMS-0057-F (clinical.md §8), how far along its clock a request is, and which moves a request may make, and who may
make them. No database here: the actions (to come) read a request's facts, ask these rules, and save.

The clock (clinical.md §8, "Timer model"): a decision is due **72 hours** after receipt for an expedited request and
**7 calendar days** after it for a standard one; QHP issuers on the federal exchanges stay on 45 CFR 147.136 (72
hours urgent, 15 days standard). 72 hours are elapsed hours (a change of clock in between moves the local hour);
calendar days are counted on the plan's wall clock (7 days after Friday 16:00 is the next Friday 16:00, whatever
the clocks did), weekends and holidays included. While a request waits for information from the provider, the
regulatory clock runs on (the rule counts from receipt): that is the default; a plan whose own rules stop the clock
while it waits chooses `PendRule.CLOCK_STOPS`, and the time pended is added to the due time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo


class Urgency(StrEnum):
    EXPEDITED = "expedited"
    STANDARD = "standard"


class PlanType(StrEnum):
    MEDICARE_ADVANTAGE = "medicare-advantage"
    MEDICAID_FFS = "medicaid-ffs"
    MEDICAID_MANAGED_CARE = "medicaid-managed-care"
    CHIP = "chip"
    QHP_EXCHANGE = "qhp-exchange"  # a QHP issuer on a federally-facilitated exchange


@dataclass(frozen=True)
class Window:
    expedited_hours: int
    standard_days: int


CMS_0057_F = Window(expedited_hours=72, standard_days=7)
WINDOWS: dict[PlanType, Window] = {
    PlanType.MEDICARE_ADVANTAGE: CMS_0057_F,
    PlanType.MEDICAID_FFS: CMS_0057_F,
    PlanType.MEDICAID_MANAGED_CARE: CMS_0057_F,
    PlanType.CHIP: CMS_0057_F,
    PlanType.QHP_EXCHANGE: Window(expedited_hours=72, standard_days=15),  # 45 CFR 147.136
}


class PendRule(StrEnum):
    CLOCK_RUNS = "clock-runs"  # the regulatory default: the clock counts from receipt
    CLOCK_STOPS = "clock-stops"  # a plan's own rule: the time pended for information is added back


@dataclass(frozen=True)
class Pend:
    """A time the request waited for information; `ended` None while it still waits."""

    started: dt.datetime
    ended: dt.datetime | None = None


def due_at(
    received_at: dt.datetime,
    urgency: Urgency,
    zone: ZoneInfo,
    *,
    plan_type: PlanType = PlanType.MEDICARE_ADVANTAGE,
    pends: Iterable[Pend] = (),
    rule: PendRule = PendRule.CLOCK_RUNS,
    now: dt.datetime | None = None,
    windows: dict[PlanType, Window] = WINDOWS,
    extension_days: int = 0,
) -> dt.datetime:
    """When the decision is due (aware, UTC). Under CLOCK_STOPS a pend still open counts up to `now` (the due
    time moves on while the request waits, so the worklist shows it as it would stand if the answer came now).
    An extension adds calendar days on the plan's clock (the same hour the day it lands, across a DST change)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be aware")
    window = windows[plan_type]
    if urgency == Urgency.EXPEDITED:
        due = received_at.astimezone(dt.UTC) + dt.timedelta(hours=window.expedited_hours)
    else:
        local = received_at.astimezone(zone).replace(tzinfo=None) + dt.timedelta(days=window.standard_days)
        due = local.replace(tzinfo=zone).astimezone(dt.UTC)
    if rule == PendRule.CLOCK_STOPS:
        due += pended_time(pends, now)
    if extension_days:
        local = due.astimezone(zone).replace(tzinfo=None) + dt.timedelta(days=extension_days)
        due = local.replace(tzinfo=zone).astimezone(dt.UTC)
    return due


# A decision's time frame may be extended once, by up to 14 calendar days, when the member asks or the plan needs
# information and the delay is in the member's interest, with a notice to the member (Medicare Advantage: 42 CFR
# 422.568(b)(1) standard, 422.572(b)(1) expedited; not in clinical.md §8, which gives only the clocks). The public
# figures count the approvals made after one (CMS-0057-F).
MAX_EXTENSION_DAYS = 14


# An appeal's own clock (unverified: Medicare Advantage's pre-service reconsideration, 72 hours expedited and 30
# calendar days standard; a plan setting like the windows above).
APPEAL_WINDOW = Window(expedited_hours=72, standard_days=30)
# How long the provider is given to send what a pended request lacks (a plan's practice, not a regulation): an
# expedited request cannot wait long, as its clock runs on.
PEND_REPLY_DAYS = {Urgency.EXPEDITED: 1, Urgency.STANDARD: 3}


def appeal_due_at(filed_at: dt.datetime, urgency: Urgency, zone: ZoneInfo) -> dt.datetime:
    """When the appeal's decision is due: the decision clock's arithmetic with the appeal's window."""
    return due_at(filed_at, urgency, zone, windows={PlanType.MEDICARE_ADVANTAGE: APPEAL_WINDOW})


def reply_due_on(pended_at: dt.datetime, urgency: Urgency, zone: ZoneInfo) -> dt.date:
    """The day the provider's reply to a request for information is due, on the plan's calendar."""
    return pended_at.astimezone(zone).date() + dt.timedelta(days=PEND_REPLY_DAYS[urgency])


def pended_time(pends: Iterable[Pend], now: dt.datetime | None) -> dt.timedelta:
    """The time the request waited, overlapping pends counted once; an open pend up to `now` (none without it)."""
    spans = sorted(
        (p.started, p.ended or now or p.started) for p in pends if (p.ended or now or p.started) > p.started
    )
    total = dt.timedelta()
    reach: dt.datetime | None = None
    for start, end in spans:
        if reach is not None and start < reach:
            start = reach
        if end > start:
            total += end - start
            reach = end
    return total


class Colour(StrEnum):
    ON_TIME = "on-time"  # under half of the clock used
    HALF = "half"  # 50 % of the clock used
    LATE = "late"  # 80 %: escalate in the worklist
    BREACHED = "breached"  # past due: the medical director is told, and it is counted


@dataclass(frozen=True)
class ClockState:
    used: float  # the share of the clock used, 0.0 at receipt, 1.0 at the due time
    colour: Colour
    left: dt.timedelta  # negative once breached


def clock_state(received_at: dt.datetime, due: dt.datetime, now: dt.datetime) -> ClockState:
    length = (due - received_at).total_seconds()
    used = (now - received_at).total_seconds() / length if length > 0 else 1.0
    colour = (
        Colour.BREACHED
        if now >= due
        else Colour.LATE
        if used >= 0.8
        else Colour.HALF
        if used >= 0.5
        else Colour.ON_TIME
    )
    return ClockState(max(used, 0.0), colour, due - now)


def left_words(left: dt.timedelta) -> str:
    """The time left, short enough for a phone's column: "3 d 4 h", "5 h 58 min", "12 min", "past due"."""
    minutes = int(left.total_seconds() // 60)
    if minutes < 0:
        return "past due"
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


# --- The request's states and moves ---------------------------------------------------------------------------
class Status(StrEnum):
    RECEIVED = "received"
    PENDED = "pended"  # waiting for information from the provider
    IN_REVIEW = "in-review"  # a nurse reviewer answers the criteria
    PHYSICIAN_REVIEW = "physician-review"  # criteria not met, or the nurse asks: only a physician decides now
    APPROVED = "approved"
    PARTIAL = "partially-approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    APPEALED = "appealed"
    APPEAL_APPROVED = "appeal-approved"  # the denial overturned
    APPEAL_DENIED = "appeal-denied"  # the denial upheld


class Move(StrEnum):
    PEND = "pend"
    RESUME = "resume"  # the information came
    REVIEW = "review"
    TO_PHYSICIAN = "to-physician"
    APPROVE = "approve"
    PARTIAL = "partially-approve"
    DENY = "deny"
    WITHDRAW = "withdraw"
    APPEAL = "appeal"
    UPHOLD = "uphold"  # the appeal fails: the denial stands
    OVERTURN = "overturn"  # the appeal succeeds
    EXTEND = "extend"  # the decision's time frame, once (MAX_EXTENSION_DAYS)


OPEN = frozenset({Status.RECEIVED, Status.PENDED, Status.IN_REVIEW, Status.PHYSICIAN_REVIEW})
DECIDED = frozenset({Status.APPROVED, Status.PARTIAL, Status.DENIED})
ADVERSE = frozenset({Status.PARTIAL, Status.DENIED})

# (from, move) → to.
MOVES: dict[tuple[Status, Move], Status] = {
    (Status.RECEIVED, Move.REVIEW): Status.IN_REVIEW,
    (Status.RECEIVED, Move.PEND): Status.PENDED,
    (Status.IN_REVIEW, Move.PEND): Status.PENDED,
    (Status.PHYSICIAN_REVIEW, Move.PEND): Status.PENDED,
    (Status.PENDED, Move.RESUME): Status.IN_REVIEW,
    (Status.IN_REVIEW, Move.TO_PHYSICIAN): Status.PHYSICIAN_REVIEW,
    (Status.IN_REVIEW, Move.APPROVE): Status.APPROVED,
    (Status.IN_REVIEW, Move.PARTIAL): Status.PARTIAL,
    (Status.IN_REVIEW, Move.DENY): Status.DENIED,
    (Status.PHYSICIAN_REVIEW, Move.APPROVE): Status.APPROVED,
    (Status.PHYSICIAN_REVIEW, Move.PARTIAL): Status.PARTIAL,
    (Status.PHYSICIAN_REVIEW, Move.DENY): Status.DENIED,
    **{(s, Move.WITHDRAW): Status.WITHDRAWN for s in OPEN},
    **{(s, Move.EXTEND): s for s in OPEN},
    (Status.PARTIAL, Move.APPEAL): Status.APPEALED,
    (Status.DENIED, Move.APPEAL): Status.APPEALED,
    (Status.APPEALED, Move.UPHOLD): Status.APPEAL_DENIED,
    (Status.APPEALED, Move.OVERTURN): Status.APPEAL_APPROVED,
}


class DenialReason(StrEnum):
    """The coded reasons a denial or partial approval names (CMS-0057-F: a specific reason, always), with words."""

    CRITERIA_NOT_MET = "criteria-not-met"
    INFORMATION_MISSING = "information-missing"
    NOT_A_BENEFIT = "not-a-benefit"
    NOT_ELIGIBLE = "not-eligible"
    OUT_OF_NETWORK = "out-of-network"
    SITE_OF_CARE = "site-of-care"
    EXPERIMENTAL = "experimental"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Actor:
    user_id: int
    physician: bool  # a medical director or a physician reviewer


@dataclass(frozen=True)
class Facts:
    """What the rules need to know of a request."""

    status: Status
    criteria_met: bool | None = None  # the nurse reviewer's answer to the criteria; None before
    decided_by: int | None = None  # who made the first decision (an appeal goes to someone else)
    decided_at: dt.datetime | None = None
    reviewer: int | None = None  # the reviewer the request is with
    extended: bool = False  # its time frame was extended (once only)


REASONS = frozenset(r.value for r in DenialReason)
APPEAL_DAYS = (
    65  # Medicare Advantage reconsideration window (unverified: a plan setting, as the clock's windows)
)


def move_problems(
    facts: Facts,
    move: Move,
    actor: Actor,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    appeal_days: int = APPEAL_DAYS,
) -> dict[str, str]:
    """Why the move may not be made, field by field ({} when it may)."""
    if (facts.status, move) not in MOVES:
        return {"move": f"A {facts.status.value} request cannot be {_done(move)}."}
    problems: dict[str, str] = {}
    deciding = move in (Move.APPROVE, Move.PARTIAL, Move.DENY, Move.UPHOLD, Move.OVERTURN)
    if (deciding or move == Move.TO_PHYSICIAN) and facts.status in OPEN and facts.reviewer is None:
        problems["reviewer"] = "The request has no reviewer yet: start the review first."
    if deciding and facts.status == Status.PHYSICIAN_REVIEW and not actor.physician:
        problems["move"] = "The request is with a physician: only a physician decides it now."
    adverse = move in (Move.PARTIAL, Move.DENY, Move.UPHOLD)
    if adverse and not actor.physician:
        problems["move"] = "Only a physician or the medical director may deny or partly approve a request."
    nurse_approves = move == Move.APPROVE and facts.status == Status.IN_REVIEW and not actor.physician
    if nurse_approves and facts.criteria_met is not True:
        problems["move"] = "The criteria are not met: a physician decides this request."
    if adverse and reason not in REASONS:
        problems["reason"] = "Choose the specific reason for the denial."
    if move in (Move.UPHOLD, Move.OVERTURN):
        if not actor.physician:
            problems["move"] = "Only a physician or the medical director decides an appeal."
        elif actor.user_id == facts.decided_by:
            problems["move"] = (
                "Someone other than the physician who made the first decision decides the appeal."
            )
    late = (
        now is not None
        and facts.decided_at is not None
        and now > facts.decided_at + dt.timedelta(days=appeal_days)
    )
    if move == Move.APPEAL and late:
        problems["move"] = f"The {appeal_days} days to appeal have passed."
    if move == Move.EXTEND and facts.extended:
        problems["move"] = "The time frame was extended once already: decide the request now."
    return problems


def stay_review_problems(asked: int, granted: int, actor: Actor, reason: str) -> dict[str, str]:
    """Concurrent review: granting fewer days than the hospital asked for is a partial denial of those days, so
    it is a physician's, with a coded reason (as any adverse decision)."""
    if granted > asked:
        return {"extra_days": "Grant at most the days the hospital asked for."}
    problems: dict[str, str] = {}
    if granted < asked and not actor.physician:
        problems["extra_days"] = (
            "Granting fewer days than the hospital asked for is a partial denial: only a physician decides it."
        )
    if granted < asked and reason not in REASONS:
        problems["reason"] = "Choose the specific reason for the days not granted."
    return problems


def next_status(facts: Facts, move: Move) -> Status:
    """Where the move leads; information that comes for a request nobody had taken up yet puts it back to be
    taken up (received), not into a review without a reviewer."""
    if move == Move.RESUME and facts.reviewer is None:
        return Status.RECEIVED
    return MOVES[(facts.status, move)]


def _done(move: Move) -> str:
    return {
        Move.PEND: "pended",
        Move.RESUME: "resumed",
        Move.REVIEW: "taken into review",
        Move.TO_PHYSICIAN: "sent to a physician",
        Move.APPROVE: "approved",
        Move.PARTIAL: "partly approved",
        Move.DENY: "denied",
        Move.WITHDRAW: "withdrawn",
        Move.APPEAL: "appealed",
        Move.UPHOLD: "upheld on appeal",
        Move.OVERTURN: "overturned on appeal",
        Move.EXTEND: "extended",
    }[move]
