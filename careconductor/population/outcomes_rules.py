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
  the threshold of CPT 99490 (clinical.md §7).
- Hospital use per 1,000 member-months (not annualised): hospital admissions (inpatient encounters), 30-day
  readmissions (an admission that began 0 to 30 days after the end of the patient's previous inpatient stay) and
  emergency department visits that began in a member's window, over the member-months of the windows (days / 30.44),
  × 1,000. The windows: the 365 days before enrolment; from enrolment to the case's end or now, at most 365 days;
  for a comparison group, the 365 days up to a given end. A readmission counts in the window its own admission
  began in, wherever the stay it follows was."""

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
INPATIENT, EMERGENCY = "IMP", "EMER"  # Encounter.encounter_class (patients.choices.EncounterClass)
USE_WINDOW = dt.timedelta(days=365)  # "12 months" before and after enrolment
READMISSION_WITHIN = dt.timedelta(days=30)
# Stays are read from this long before the earliest window, so the stay a readmission follows is seen (a stay longer
# than 90 days that began before that is not: the same bound as population.stratify).
STAY_LOOKBACK = READMISSION_WITHIN + dt.timedelta(days=90)
PER_MEMBER_MONTHS = 1_000


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


# --- hospital use before and after enrolment ----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A member's time counted in a group: from start, up to but not including end."""

    patient_id: int
    start: dt.datetime
    end: dt.datetime

    @property
    def days(self) -> float:
        return max((self.end - self.start).total_seconds() / DAY, 0.0)

    def holds(self, at: dt.datetime) -> bool:
        return self.start <= at < self.end


def windows_around_enrolment(
    patient_id: int, enrolled_at: dt.datetime, ended_at: dt.datetime | None, now: dt.datetime
) -> tuple[Window, Window]:
    """(before, after): the 365 days before enrolment; from enrolment to the case's end or now, whichever is first,
    at most 365 days."""
    last = min(ended_at or now, now, enrolled_at + USE_WINDOW)
    return (
        Window(patient_id, enrolled_at - USE_WINDOW, enrolled_at),
        Window(patient_id, enrolled_at, max(last, enrolled_at)),
    )


def window_before(patient_id: int, end: dt.datetime) -> Window:
    """A comparison member's 365 days up to end."""
    return Window(patient_id, end - USE_WINDOW, end)


@dataclass(frozen=True)
class Visit:
    patient_id: int
    encounter_class: str
    start: dt.datetime
    end: dt.datetime | None


def readmissions(stays: Iterable[tuple[dt.datetime, dt.datetime | None]]) -> list[dt.datetime]:
    """The starts of one patient's inpatient stays (start, end) that are 30-day readmissions: in order of start, an
    admission that began 0 to 30 days after the previous stay ended. After a stay without an end, or one the
    admission began inside, the admission is not a readmission."""
    found = []
    previous_end: dt.datetime | None = None
    for start, end in sorted(stays, key=lambda stay: stay[0]):
        if previous_end is not None and dt.timedelta(0) <= start - previous_end <= READMISSION_WITHIN:
            found.append(start)
        previous_end = end
    return found


@dataclass
class Utilisation:
    """A group's hospital use: its members, their member-days and, for each event, the patient's id (a patient with
    two admissions is there twice)."""

    members: list[int] = field(default_factory=list)
    member_days: float = 0.0
    admissions: list[int] = field(default_factory=list)
    readmissions: list[int] = field(default_factory=list)
    ed_visits: list[int] = field(default_factory=list)

    @property
    def member_months(self) -> float:
        return round(self.member_days / MONTH_DAYS, 1)

    @property
    def admissions_rate(self) -> float | None:
        return per_thousand_member_months(len(self.admissions), self.member_days)

    @property
    def readmissions_rate(self) -> float | None:
        return per_thousand_member_months(len(self.readmissions), self.member_days)

    @property
    def ed_visits_rate(self) -> float | None:
        return per_thousand_member_months(len(self.ed_visits), self.member_days)


def per_thousand_member_months(events: int, days: float) -> float | None:
    """Events per 1,000 member-months (a month is 30.44 days); None under one member-day."""
    return round(events / (days / MONTH_DAYS) * PER_MEMBER_MONTHS, 1) if days >= 1 else None


def utilisation(windows: Iterable[Window], visits: Iterable[Visit]) -> Utilisation:
    """The admissions, readmissions and ED visits that began in the windows (one window a member). `visits` are the
    members' inpatient and emergency encounters, with the stays before the windows that a readmission may follow."""
    by_patient: dict[int, list[Visit]] = {}
    for visit in visits:
        by_patient.setdefault(visit.patient_id, []).append(visit)
    found = Utilisation()
    for window in windows:
        found.members.append(window.patient_id)
        found.member_days += window.days
        own = by_patient.get(window.patient_id, [])
        stays = [(v.start, v.end) for v in own if v.encounter_class == INPATIENT]
        found.admissions += [window.patient_id for start, _ in stays if window.holds(start)]
        found.readmissions += [window.patient_id for start in readmissions(stays) if window.holds(start)]
        found.ed_visits += [
            window.patient_id for v in own if v.encounter_class == EMERGENCY and window.holds(v.start)
        ]
    return found
