"""Pure decisions that follow an assessment: the safety rules, the suggested acuity tier and which
reassessments are due. No ORM, no I/O; actions.py applies them inside the transaction that records the
assessment (ARCHITECTURE.md §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from careconductor.coordination.choices import TaskKind, TaskPriority

from .choices import Signal

# --- safety rules (clinical.md §1 item-9 rule, §3.1 interpersonal safety) --------------------------------------

CASE_MANAGER = "case manager"
SUPERVISOR = "supervisor"
PHYSICIAN = "physician"


@dataclass(frozen=True)
class SafetyAction:
    signal: str
    flag: str  # the Flag's text; "" for no flag
    task_title: str
    task_kind: TaskKind
    priority: TaskPriority
    recipients: tuple[str, ...]  # CASE_MANAGER, SUPERVISOR, PHYSICIAN
    same_day: bool  # due by the end of today, else by the end of the next day


SAFETY_RULES: dict[str, SafetyAction] = {
    Signal.SELF_HARM_THOUGHTS: SafetyAction(
        signal=Signal.SELF_HARM_THOUGHTS,
        flag="Thoughts of death or self-harm reported (PHQ-9 item 9): same-day safety follow-up",
        task_title="Same-day suicide risk follow-up: PHQ-9 item 9 answered above 0",
        task_kind=TaskKind.SAFETY_CHECK,
        priority=TaskPriority.URGENT,
        recipients=(CASE_MANAGER, SUPERVISOR),
        same_day=True,
    ),
    Signal.INTERPERSONAL_SAFETY: SafetyAction(
        signal=Signal.INTERPERSONAL_SAFETY,
        flag="",
        task_title="Interpersonal safety screen positive: follow up on the patient's safety",
        task_kind=TaskKind.SAFETY_PLANNING,
        priority=TaskPriority.URGENT,
        recipients=(CASE_MANAGER,),
        same_day=True,
    ),
    Signal.SEVERE_DEPRESSION: SafetyAction(
        signal=Signal.SEVERE_DEPRESSION,
        flag="",
        task_title="Physician review: PHQ-9 total in the severe range (20 or more)",
        task_kind=TaskKind.PHYSICIAN_REVIEW,
        priority=TaskPriority.URGENT,
        recipients=(PHYSICIAN,),
        same_day=False,
    ),
}


def safety_actions(signals: Iterable[str], already_acted: Iterable[str] = ()) -> list[SafetyAction]:
    """What to raise for a result's signals, once per assessment: a signal acted on at an earlier save of the
    same response is not acted on again."""
    done = set(already_acted)
    return [SAFETY_RULES[s] for s in sorted(set(signals)) if s in SAFETY_RULES and s not in done]


def due_time(now: dt.datetime, *, same_day: bool) -> dt.datetime:
    """The end of today (or tomorrow) in the local time zone of `now`."""
    day = now.date() + dt.timedelta(days=0 if same_day else 1)
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=now.tzinfo)


# --- suggested acuity -----------------------------------------------------------------------------------------

# Programme defaults (ours, not from a published source): the complexity grid total sets the tier; readmission
# risk can raise it. INTERMED's "complex" line (total > 20, clinical.md §5) is where tier 3 starts.
GRID_TIERS = ((0, 1), (11, 2), (21, 3), (31, 4))  # (lowest grid total, tier)
LACE_FLOOR = ((10, 3), (5, 2))  # LACE high (≥10) → at least tier 3; moderate (5–9) → at least tier 2
HOSPITAL_FLOOR = ((7, 3), (5, 2))  # HOSPITAL high (≥7) → at least 3; intermediate (5–6) → at least 2


@dataclass(frozen=True)
class AcuitySuggestion:
    tier: int | None  # None when there is nothing to suggest from
    reasons: tuple[str, ...]


def suggest_acuity(grid_total: int | None, lace: int | None, hospital: int | None) -> AcuitySuggestion:
    tier: int | None = None
    reasons: list[str] = []
    if grid_total is not None:
        tier = max(t for low, t in GRID_TIERS if grid_total >= low)
        complex_note = ", above 20: complex" if grid_total > 20 else ""
        reasons.append(f"Complexity grid total {grid_total}{complex_note} → tier {tier}")
    for name, value, floors in (("LACE", lace, LACE_FLOOR), ("HOSPITAL", hospital, HOSPITAL_FLOOR)):
        if value is None:
            continue
        floor = next((t for low, t in floors if value >= low), 1)
        if tier is None or floor > tier:
            reasons.append(f"{name} {value} → at least tier {floor}")
            tier = floor
        else:
            reasons.append(f"{name} {value} (no change)")
    return AcuitySuggestion(tier, tuple(reasons))


# --- reassessment ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    slug: str  # the Questionnaire id
    days: int
    only_with_depression: bool = False  # PHQ-9: while depression is on the plan


DEFAULT_INTERVALS = (
    Interval("phq-9", 28, only_with_depression=True),
    Interval("icm-complexity-grid", 90),
    Interval("ahc-hrsn", 365),
)
# Programmes that set their own intervals (by cases.choices.Program value); others use the defaults.
PROGRAM_INTERVALS: dict[str, tuple[Interval, ...]] = {}


def intervals_for(program: str, days: Mapping[str, int] | None = None) -> tuple[Interval, ...]:
    """The programme's intervals, with the days an organisation set for it (cases.programs) in place."""
    intervals = PROGRAM_INTERVALS.get(program, DEFAULT_INTERVALS)
    if not days:
        return intervals
    return tuple(replace(i, days=days.get(i.slug, i.days)) for i in intervals)


@dataclass(frozen=True)
class Due:
    slug: str
    last_done: dt.date | None
    due_on: dt.date
    overdue: bool


def reassessments_due(
    intervals: Iterable[Interval],
    last_done: Mapping[str, dt.date],
    *,
    today: dt.date,
    depression_active: bool,
    since: dt.date,
    horizon_days: int = 14,
) -> list[Due]:
    """Instruments due within `horizon_days` (or overdue), soonest first. An instrument never done is due from
    `since` (the case's start). PHQ-9 repeats only while depression is on the plan."""
    found = []
    for interval in intervals:
        if interval.only_with_depression and not depression_active:
            continue
        last = last_done.get(interval.slug)
        due_on = last + dt.timedelta(days=interval.days) if last else since
        if due_on <= today + dt.timedelta(days=horizon_days):
            found.append(Due(interval.slug, last, due_on, overdue=due_on < today))
    return sorted(found, key=lambda d: d.due_on)
