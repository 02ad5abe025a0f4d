"""The figures CMS-0057-F has impacted payers publish each year about their prior authorisations (clinical.md §8,
"Public PA metrics"), computed from the decided requests: pure, so the report page, its CSV and its JSON file
(to come) all show the same numbers.

Per year and plan type: the share of requests approved, denied, and approved after appeal; the share approved
after the time frame was extended; and the average and median time from receipt to the first decision, for
standard and for expedited requests apart. Conventions (written here, since the rule leaves them to the payer): a
request counts in the year of its first decision, on the plan's clock; the shares are of the requests decided
that year; a partial approval counts as approved (and not also as denied); "approved after appeal" is a first
decision of denial or partial approval that an appeal overturned; withdrawn requests are left out."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from .rules import PlanType, Status, Urgency


@dataclass(frozen=True)
class Decided:
    """One request as the report needs it."""

    plan_type: PlanType
    urgency: Urgency
    received_at: dt.datetime
    first_decision: Status  # APPROVED, PARTIAL or DENIED
    first_decided_at: dt.datetime
    extended: bool = False  # decided after the time frame was extended (with notice)
    appeal_outcome: Status | None = None  # APPEAL_APPROVED or APPEAL_DENIED, when appealed and decided


@dataclass(frozen=True)
class Turnaround:
    requests: int
    average_hours: float | None
    median_hours: float | None


@dataclass(frozen=True)
class Figures:
    year: int
    plan_type: PlanType
    decided: int
    approved_share: float  # 0-1; approved or partially approved at the first decision
    denied_share: float
    approved_after_appeal_share: float
    approved_after_extension_share: float
    standard: Turnaround
    expedited: Turnaround


APPROVING = frozenset({Status.APPROVED, Status.PARTIAL})


def yearly_figures(requests: Iterable[Decided], zone: dt.tzinfo) -> list[Figures]:
    """The figures of each (year, plan type) with at least one decided request, in order; the year is the first
    decision's, on the plan's clock (`zone`)."""
    groups: dict[tuple[int, PlanType], list[Decided]] = {}
    for r in requests:
        groups.setdefault((r.first_decided_at.astimezone(zone).year, r.plan_type), []).append(r)
    return [_figures(year, plan, rows) for (year, plan), rows in sorted(groups.items())]


def _figures(year: int, plan: PlanType, rows: list[Decided]) -> Figures:
    n = len(rows)

    def share(count: int) -> float:
        return count / n

    return Figures(
        year=year,
        plan_type=plan,
        decided=n,
        approved_share=share(sum(r.first_decision in APPROVING for r in rows)),
        denied_share=share(sum(r.first_decision == Status.DENIED for r in rows)),
        approved_after_appeal_share=share(sum(r.appeal_outcome == Status.APPEAL_APPROVED for r in rows)),
        approved_after_extension_share=share(sum(r.extended and r.first_decision in APPROVING for r in rows)),
        standard=_turnaround([r for r in rows if r.urgency == Urgency.STANDARD]),
        expedited=_turnaround([r for r in rows if r.urgency == Urgency.EXPEDITED]),
    )


def _turnaround(rows: list[Decided]) -> Turnaround:
    hours = [(r.first_decided_at - r.received_at).total_seconds() / 3600 for r in rows]
    if not hours:
        return Turnaround(0, None, None)
    return Turnaround(len(hours), statistics.fmean(hours), statistics.median(hours))
