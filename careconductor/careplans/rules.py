"""Pure decisions about care plans and goals: the state tables, what a trend suggests, when a review is due,
what a valid agreement is. No database here; actions apply these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from .choices import Achievement, AgreedBy, GoalAgreement, GoalLifecycle, PlanStatus, Proposer
from .measures import Measure

REVIEW_INTERVAL_DAYS = 90

# --- the plan ---------------------------------------------------------------------------------------------------
PLAN_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.ACTIVE, PlanStatus.REVOKED}),
    PlanStatus.ACTIVE: frozenset({PlanStatus.COMPLETED, PlanStatus.REVOKED}),
    PlanStatus.COMPLETED: frozenset(),
    PlanStatus.REVOKED: frozenset(),
}


def can_move_plan(current: PlanStatus, target: PlanStatus) -> bool:
    return target in PLAN_TRANSITIONS[current]


# --- goals ------------------------------------------------------------------------------------------------------
G = GoalLifecycle
GOAL_TRANSITIONS: dict[GoalLifecycle, frozenset[GoalLifecycle]] = {
    G.PROPOSED: frozenset({G.PLANNED, G.ACCEPTED, G.ACTIVE, G.REJECTED, G.CANCELLED, G.ENTERED_IN_ERROR}),
    G.PLANNED: frozenset({G.ACCEPTED, G.ACTIVE, G.ON_HOLD, G.REJECTED, G.CANCELLED, G.ENTERED_IN_ERROR}),
    G.ACCEPTED: frozenset({G.ACTIVE, G.ON_HOLD, G.CANCELLED, G.ENTERED_IN_ERROR}),
    G.ACTIVE: frozenset({G.ON_HOLD, G.COMPLETED, G.CANCELLED, G.ENTERED_IN_ERROR}),
    G.ON_HOLD: frozenset({G.ACTIVE, G.CANCELLED, G.ENTERED_IN_ERROR}),
    # A completed goal can be taken up again (a relapse); the others are final.
    G.COMPLETED: frozenset({G.ACTIVE, G.ENTERED_IN_ERROR}),
    G.CANCELLED: frozenset(),
    G.REJECTED: frozenset(),
    G.ENTERED_IN_ERROR: frozenset(),
}
GOAL_TERMINAL = frozenset(k for k, v in GOAL_TRANSITIONS.items() if not v)
# Goals that are being worked on: progress is tracked and shown to the patient.
GOAL_WORKING = frozenset({G.ACCEPTED, G.ACTIVE, G.ON_HOLD})
# Goals that count as part of the plan (not dropped, not a mistake).
GOAL_IN_PLAN = frozenset({G.PROPOSED, G.PLANNED, G.ACCEPTED, G.ACTIVE, G.ON_HOLD, G.COMPLETED})

A = Achievement
OUTCOMES = frozenset({A.ACHIEVED, A.SUSTAINING, A.NOT_ACHIEVED, A.NO_PROGRESS, A.NOT_ATTAINABLE})


def can_move_goal(current: GoalLifecycle, target: GoalLifecycle) -> bool:
    return target in GOAL_TRANSITIONS[current]


def goal_move_problem(
    current: GoalLifecycle, target: GoalLifecycle, achievement: Achievement | None
) -> str | None:
    """Why the goal cannot move (None when it can). Completing a goal needs its outcome."""
    if not can_move_goal(current, target):
        return f"A goal that is {current.label.lower()} cannot become {target.label.lower()}."
    if target == G.COMPLETED and achievement not in OUTCOMES:
        return "Say how the goal ended (achieved, sustaining, not achieved …) before completing it."
    return None


def achievement_problem(lifecycle: GoalLifecycle, achievement: Achievement) -> str | None:
    """Achievement is tracked on goals being worked on; a completed goal keeps an outcome."""
    if lifecycle in GOAL_WORKING:
        return None
    if lifecycle == G.COMPLETED:
        return None if achievement in OUTCOMES else "A completed goal's status must be an outcome."
    return f"Progress is not tracked on a {lifecycle.label.lower()} goal."


def lifecycle_on_publish(
    lifecycle: GoalLifecycle, agreement: GoalAgreement, proposer: Proposer
) -> GoalLifecycle:
    """When a version comes into force its proposed goals start: those the patient proposed or agreed to become
    active; those the patient turned down are rejected; the rest stay proposed until asked."""
    if lifecycle not in (G.PROPOSED, G.PLANNED):
        return lifecycle
    if agreement == GoalAgreement.DECLINED:
        return G.REJECTED
    if agreement == GoalAgreement.AGREED or proposer == Proposer.PATIENT:
        return G.ACTIVE
    return lifecycle


@dataclass(frozen=True)
class Suggestion:
    achievement: Achievement
    reason: str


def _fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def meets(measure: Measure, value: Decimal, target: Decimal) -> bool:
    return value <= target if measure.better == "lower" else value >= target


def suggest_achievement(
    measure: Measure,
    baseline: Decimal | None,
    target: Decimal | None,
    values: list[tuple[dt.date, Decimal]],
) -> Suggestion | None:
    """What the readings since the goal was set suggest, oldest first in `values`. The target met at the last
    two readings is sustaining, at the last one achieved; otherwise the last reading against the one before it
    (or the baseline) by at least the measure's step is improving or worsening, and less is no change."""
    if not measure.numeric or not values:
        return None
    last_day, last = values[-1]
    if target is not None and meets(measure, last, target):
        if len(values) >= 2 and meets(measure, values[-2][1], target):
            return Suggestion(A.SUSTAINING, f"{_fmt(last)} on {last_day}, at target for two readings running")
        return Suggestion(A.ACHIEVED, f"{_fmt(last)} on {last_day} meets the target {_fmt(target)}")
    if len(values) >= 2:
        before, label = values[-2][1], f"{_fmt(values[-2][1])} on {values[-2][0]}"
    elif baseline is not None:
        before, label = baseline, f"the baseline {_fmt(baseline)}"
    else:
        return Suggestion(A.IN_PROGRESS, f"first reading {_fmt(last)} on {last_day}; no baseline to compare")
    change = last - before
    gain = -change if measure.better == "lower" else change
    if gain >= measure.step and gain > 0:
        return Suggestion(A.IMPROVING, f"{_fmt(last)} on {last_day}, better than {label}")
    if -gain >= measure.step and gain < 0:
        return Suggestion(A.WORSENING, f"{_fmt(last)} on {last_day}, worse than {label}")
    return Suggestion(A.NO_CHANGE, f"{_fmt(last)} on {last_day}, about the same as {label}")


# --- review -----------------------------------------------------------------------------------------------------
def next_review(reviewed_on: dt.date, interval_days: int = REVIEW_INTERVAL_DAYS) -> dt.date:
    return reviewed_on + dt.timedelta(days=interval_days)


@dataclass(frozen=True)
class ReviewState:
    due_on: dt.date
    overdue: bool
    reason: str


def review_state(
    review_due: dt.date, last_reviewed: dt.date, discharges: list[dt.date], today: dt.date
) -> ReviewState:
    """A plan is reviewed by its date, or at once after a significant event: a discharge after the last review
    brings the review forward to the day of the discharge."""
    # A discharge still to come (a planned end entered ahead) is not yet an event.
    later = sorted(d for d in discharges if last_reviewed < d <= today)
    if later and later[0] < review_due:
        return ReviewState(later[0], True, f"discharged from hospital on {later[0]}")
    return ReviewState(
        review_due, review_due < today, "review date passed" if review_due < today else "scheduled review"
    )


# --- agreement --------------------------------------------------------------------------------------------------
def agreement_problems(
    *,
    agreed_on: dt.date,
    today: dt.date,
    version_made_on: dt.date,
    agreed_by: AgreedBy,
    proxy_name: str,
    proxy_relationship: str,
) -> dict[str, str]:
    """What is wrong with an agreement as entered (empty when it may be recorded)."""
    problems: dict[str, str] = {}
    if agreed_on > today:
        problems["agreed_on"] = "The agreement cannot be dated in the future."
    elif agreed_on < version_made_on:
        problems["agreed_on"] = (
            f"This version was made on {version_made_on}; the patient cannot have agreed to it before then."
        )
    if agreed_by == AgreedBy.PROXY:
        if not proxy_name.strip():
            problems["proxy_name"] = "Name the person who agreed for the patient."
        if not proxy_relationship.strip():
            problems["proxy_relationship"] = (
                "Say how they are related to the patient (e.g. daughter, guardian)."
            )
    return problems


def goal_sensitivity(problem_labels: Collection[str]) -> str:
    """The label a goal carries, from the labels of the problems it is for: a goal only for sensitive problems
    names them, so it (and work made from it) is labelled, Part 2 before psychotherapy; a goal for no problem, or
    for at least one normal problem, is normal (careplans.queries.visible_goals hides it on the same rule)."""
    labels = set(problem_labels)
    if not labels or "" in labels:
        return ""
    return "part2" if "part2" in labels else "psychotherapy"
