"""What a programme achieved (issue 22 "Show what the programme achieves"): the rules behind the outcomes page.
Pure; tested as tables.

- The funnel: the cases referred in the period; of them, reached (a reached contact with the patient on or after
  the referral, whichever case it was logged on),
  enrolled, and ended (closed with a reason, declined, or found ineligible), with the reasons counted.
- Time to first contact: days from the referral to the first reached contact, the median of the reached.
- Contacts per case per month: the period's contacts with the enrolled patients over the months their cases were
  enrolled in the period (days / 30.44).
- PHQ-9 at 12 weeks: among enrolled patients whose PHQ-9 (clinical.md §1) around enrolment — from 30 days before to
  14 days after — was 10 or more (the usual threshold of clinically significant depression), the score closest to
  12 weeks after that baseline, within 8 to 16 weeks; **response** is a drop of at least 50 %, **remission** a
  score under 5 (the definitions the issue names, as collaborative care programmes report them).
- Goal attainment: of the enrolled patients' goals that were not cancelled, rejected or entered in error, those
  achieved or sustaining.
- CCM: minutes logged on chronic care management cases by month (time entries and contacts' minutes), and the
  patient-months with 20 minutes or more,
  the threshold of CPT 99490 (clinical.md §7)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DAY = 86_400.0
MONTH_DAYS = 30.44
BASELINE_BEFORE = dt.timedelta(days=30)
BASELINE_AFTER = dt.timedelta(days=14)
PHQ9_SIGNIFICANT = 10
FOLLOW_UP = dt.timedelta(weeks=12)
FOLLOW_UP_EARLIEST = dt.timedelta(weeks=8)
FOLLOW_UP_LATEST = dt.timedelta(weeks=16)
REMISSION_BELOW = 5
CCM_MINUTES = 20
ENDED = ("closed", "declined", "ineligible")
GOAL_NOT_COUNTED = ("cancelled", "rejected", "entered-in-error")
GOAL_MET = ("achieved", "sustaining")


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    patient_id: int
    referred_at: dt.datetime
    enrolled_at: dt.datetime | None
    ended_at: dt.datetime | None
    status: str
    closure_reason: str
    first_reached_at: dt.datetime | None  # the first reached contact on or after the referral


@dataclass
class Funnel:
    referred: list[int] = field(default_factory=list)  # patient ids at each stage
    reached: list[int] = field(default_factory=list)
    enrolled: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    reasons: dict[str, list[int]] = field(default_factory=dict)  # why they ended: the reason or the status


def funnel(cases: Iterable[CaseFacts]) -> Funnel:
    found = Funnel()
    for case in cases:
        found.referred.append(case.patient_id)
        if case.first_reached_at is not None:
            found.reached.append(case.patient_id)
        if case.enrolled_at is not None:
            found.enrolled.append(case.patient_id)
        if case.status in ENDED:
            found.ended.append(case.patient_id)
            why = case.closure_reason if case.status == "closed" and case.closure_reason else case.status
            found.reasons.setdefault(why, []).append(case.patient_id)
    return found


def days_to_first_contact(cases: Iterable[CaseFacts]) -> list[float]:
    return [
        round((c.first_reached_at - c.referred_at).total_seconds() / DAY, 1)
        for c in cases
        if c.first_reached_at is not None
    ]


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def enrolled_days(case: CaseFacts, start: dt.datetime, end: dt.datetime) -> float:
    """How many days of the period [start, end) the case was enrolled (from enrolment to its end, or on)."""
    if case.enrolled_at is None:
        return 0.0
    first = max(case.enrolled_at, start)
    last = min(case.ended_at or end, end)
    return max((last - first).total_seconds() / DAY, 0.0)


def per_case_month(contacts: int, days: float) -> float | None:
    return round(contacts / (days / MONTH_DAYS), 1) if days >= 1 else None


@dataclass(frozen=True)
class Phq9:
    baseline: int | None  # None: no PHQ-9 of 10 or more around enrolment
    follow_up: int | None  # None: none between 8 and 16 weeks after the baseline
    response: bool
    remission: bool


def phq9_at_12_weeks(enrolled_at: dt.datetime, scores: Iterable[tuple[dt.datetime, int]]) -> Phq9:
    """The baseline (the first PHQ-9 of 10 or more from 30 days before to 14 days after enrolment) and the score
    closest to 12 weeks after it (8 to 16 weeks; the earlier of two as close), with response and remission."""
    ordered = sorted(scores)
    baseline = next(
        (
            (at, value)
            for at, value in ordered
            if enrolled_at - BASELINE_BEFORE <= at <= enrolled_at + BASELINE_AFTER
            and value >= PHQ9_SIGNIFICANT
        ),
        None,
    )
    if baseline is None:
        return Phq9(None, None, False, False)
    since, first = baseline
    window = [
        (abs((at - since) - FOLLOW_UP), at, value)
        for at, value in ordered
        if since + FOLLOW_UP_EARLIEST <= at <= since + FOLLOW_UP_LATEST
    ]
    if not window:
        return Phq9(first, None, False, False)
    _, _, later = min(window)
    return Phq9(first, later, later * 2 <= first, later < REMISSION_BELOW)


def goal_counts(goals: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """(met, counted) of (lifecycle, achievement) pairs."""
    counted = [(life, achieved) for life, achieved in goals if life not in GOAL_NOT_COUNTED]
    return sum(achieved in GOAL_MET for _, achieved in counted), len(counted)


def billable_months(minutes: dict[tuple[int, dt.date], int]) -> int:
    """Patient-months (patient id, first of month) with CCM_MINUTES or more."""
    return sum(1 for total in minutes.values() if total >= CCM_MINUTES)
