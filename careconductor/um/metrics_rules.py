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


class Tally:
    """The figures' running counts, one request at a time (a year of a large plan's requests is a million: the
    database streams them in and only the hours are kept, for the medians)."""

    def __init__(self) -> None:
        # (year, plan) -> [decided, approved, denied, after appeal, after extension], and the hours per urgency.
        self.counts: dict[tuple[int, PlanType], list[int]] = {}
        self.hours: dict[tuple[int, PlanType, Urgency], list[float]] = {}

    def add(
        self,
        year: int,
        plan: PlanType,
        urgency: Urgency,
        first_decision: Status,
        hours: float,
        *,
        appeal_outcome: Status | None = None,
        extended: bool = False,
    ) -> None:
        counts = self.counts.setdefault((year, plan), [0, 0, 0, 0, 0])
        approving = first_decision in APPROVING
        counts[0] += 1
        counts[1] += approving
        counts[2] += first_decision == Status.DENIED
        counts[3] += appeal_outcome == Status.APPEAL_APPROVED
        counts[4] += extended and approving
        self.hours.setdefault((year, plan, urgency), []).append(hours)

    def figures(self) -> list[Figures]:
        found = []
        for (year, plan), (n, approved, denied, appealed, extended) in sorted(self.counts.items()):
            found.append(
                Figures(
                    year=year,
                    plan_type=plan,
                    decided=n,
                    approved_share=approved / n,
                    denied_share=denied / n,
                    approved_after_appeal_share=appealed / n,
                    approved_after_extension_share=extended / n,
                    standard=_turnaround(self.hours.get((year, plan, Urgency.STANDARD), [])),
                    expedited=_turnaround(self.hours.get((year, plan, Urgency.EXPEDITED), [])),
                )
            )
        return found


def yearly_figures(requests: Iterable[Decided], zone: dt.tzinfo) -> list[Figures]:
    """The figures of each (year, plan type) with at least one decided request, in order; the year is the first
    decision's, on the plan's clock (`zone`)."""
    tally = Tally()
    for r in requests:
        tally.add(
            r.first_decided_at.astimezone(zone).year,
            r.plan_type,
            r.urgency,
            r.first_decision,
            (r.first_decided_at - r.received_at).total_seconds() / 3600,
            appeal_outcome=r.appeal_outcome,
            extended=r.extended,
        )
    return tally.figures()


def _turnaround(hours: list[float]) -> Turnaround:
    if not hours:
        return Turnaround(0, None, None)
    return Turnaround(len(hours), statistics.fmean(hours), statistics.median(hours))
