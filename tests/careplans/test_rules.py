"""The pure care-plan rules, table by table: plan and goal lifecycles (FHIR R4 CarePlan.status and
Goal.lifecycleStatus, clinical.md §10), achievement codes (goal-achievement: in-progress › improving · worsening ·
no-change; achieved › sustaining; not-achieved › no-progress · not-attainable), what readings suggest, when a
review is due, and what makes an agreement valid."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.careplans import rules
from careconductor.careplans.choices import (
    Achievement,
    AgreedBy,
    GoalAgreement,
    GoalLifecycle,
    PlanStatus,
    Proposer,
)
from careconductor.careplans.measures import MEASURES, Measure
from careconductor.cases.programs import default_rules

G = GoalLifecycle
A = Achievement
P = PlanStatus

# clinical.md §10: the R4 goal-status codes and the goal-achievement codes, in full.
FHIR_GOAL_LIFECYCLE = {
    "proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled", "entered-in-error",
    "rejected",
}  # fmt: skip
FHIR_ACHIEVEMENT = {
    "in-progress", "improving", "worsening", "no-change", "achieved", "sustaining", "not-achieved",
    "no-progress", "not-attainable",
}  # fmt: skip
# How a goal ended: "achieved" and "not-achieved" and their children.
ENDINGS = {A.ACHIEVED, A.SUSTAINING, A.NOT_ACHIEVED, A.NO_PROGRESS, A.NOT_ATTAINABLE}
# Still under way: "in-progress" and its children.
UNDER_WAY = {A.IN_PROGRESS, A.IMPROVING, A.WORSENING, A.NO_CHANGE}

PHQ9 = MEASURES["phq9"]  # lower is better, step 5
STEPS = MEASURES["steps"]  # higher is better, step 500
NUMERIC = [m for m in MEASURES.values() if m.numeric]
STATES = [m for m in MEASURES.values() if not m.numeric]
DAY = dt.date(2026, 3, 2)


def test_the_code_lists_are_the_fhir_ones() -> None:
    assert set(GoalLifecycle.values) == FHIR_GOAL_LIFECYCLE
    assert set(Achievement.values) == FHIR_ACHIEVEMENT
    assert set(rules.GOAL_TRANSITIONS) == set(GoalLifecycle)
    assert set(rules.PLAN_TRANSITIONS) == set(PlanStatus)


# --- the plan -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (P.DRAFT, P.ACTIVE, True),
        (P.DRAFT, P.REVOKED, True),
        (P.DRAFT, P.COMPLETED, False),  # a plan never in force cannot have been completed
        (P.ACTIVE, P.COMPLETED, True),
        (P.ACTIVE, P.REVOKED, True),
        (P.ACTIVE, P.DRAFT, False),
        (P.COMPLETED, P.ACTIVE, False),
        (P.COMPLETED, P.REVOKED, False),
        (P.REVOKED, P.ACTIVE, False),
        (P.REVOKED, P.DRAFT, False),
    ],
)
def test_plan_moves(current: PlanStatus, target: PlanStatus, allowed: bool) -> None:
    assert rules.can_move_plan(current, target) is allowed


def test_an_ended_plan_goes_nowhere() -> None:
    for ended in (P.COMPLETED, P.REVOKED):
        assert not any(rules.can_move_plan(ended, t) for t in PlanStatus)


@pytest.mark.parametrize(
    ("programs", "program", "required"),
    [
        (frozenset({"complex_cm"}), "complex_cm", True),
        (frozenset({"complex_cm"}), "ccm", False),
        (frozenset(), "complex_cm", False),
        (frozenset({"ccm", "tcm"}), "tcm", True),
    ],
)
def test_approval_follows_the_setting(
    settings, programs: frozenset[str], program: str, required: bool
) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = programs
    # The installation's default (CARECONDUCTOR_PLAN_APPROVAL), until an organisation sets its own.
    assert default_rules(program).plan_approval is required


# --- goal lifecycle -------------------------------------------------------------------------------------------
GOAL_MOVES = [
    (G.PROPOSED, G.ACTIVE, True),
    (G.PROPOSED, G.ACCEPTED, True),
    (G.PROPOSED, G.PLANNED, True),
    (G.PROPOSED, G.REJECTED, True),
    (G.PROPOSED, G.COMPLETED, False),  # never worked on
    (G.PROPOSED, G.ON_HOLD, False),
    (G.PLANNED, G.REJECTED, True),  # a planned goal the patient turns down
    (G.PLANNED, G.ACTIVE, True),
    (G.ACCEPTED, G.ACTIVE, True),
    (G.ACCEPTED, G.PROPOSED, False),
    (G.ACTIVE, G.ON_HOLD, True),
    (G.ACTIVE, G.COMPLETED, True),
    (G.ACTIVE, G.CANCELLED, True),
    (G.ACTIVE, G.REJECTED, False),
    (G.ACTIVE, G.PROPOSED, False),
    (G.ON_HOLD, G.ACTIVE, True),
    (G.ON_HOLD, G.COMPLETED, False),  # taken up again first
    (G.COMPLETED, G.ACTIVE, True),  # a relapse
    (G.COMPLETED, G.CANCELLED, False),
    (G.CANCELLED, G.ACTIVE, False),
    (G.REJECTED, G.ACTIVE, False),
    (G.ENTERED_IN_ERROR, G.PROPOSED, False),
]


@pytest.mark.parametrize(("current", "target", "allowed"), GOAL_MOVES)
def test_goal_moves(current: GoalLifecycle, target: GoalLifecycle, allowed: bool) -> None:
    assert rules.can_move_goal(current, target) is allowed
    problem = rules.goal_move_problem(current, target, A.ACHIEVED)
    assert (problem is None) is allowed
    if not allowed:
        assert current.label.lower() in problem and target.label.lower() in problem


def test_a_mistake_can_be_marked_from_every_state_but_the_final_ones() -> None:
    for state in set(G) - {G.CANCELLED, G.REJECTED, G.ENTERED_IN_ERROR}:
        assert rules.can_move_goal(state, G.ENTERED_IN_ERROR), state
    assert {G.CANCELLED, G.REJECTED, G.ENTERED_IN_ERROR} == rules.GOAL_TERMINAL


def test_no_goal_moves_to_itself() -> None:
    assert not any(rules.can_move_goal(s, s) for s in G)


@pytest.mark.parametrize("achievement", [*list(A), None])
def test_completing_a_goal_needs_how_it_ended(achievement: Achievement | None) -> None:
    problem = rules.goal_move_problem(G.ACTIVE, G.COMPLETED, achievement)
    if achievement in ENDINGS:
        assert problem is None
    else:
        assert problem is not None and "before completing" in problem


def test_other_moves_do_not_ask_for_an_outcome() -> None:
    assert rules.goal_move_problem(G.ACTIVE, G.ON_HOLD, None) is None
    assert rules.goal_move_problem(G.ACTIVE, G.CANCELLED, A.WORSENING) is None


@given(st.lists(st.sampled_from(list(G)), max_size=40), st.sampled_from(list(G)))
def test_a_random_walk_never_leaves_a_final_state(moves: list[GoalLifecycle], start: GoalLifecycle) -> None:
    state = start
    for target in moves:
        assert state in rules.GOAL_TRANSITIONS  # every reachable state has a row
        if rules.can_move_goal(state, target):
            assert state not in rules.GOAL_TERMINAL
            assert target in rules.GOAL_TRANSITIONS
            state = target
    if start in rules.GOAL_TERMINAL:
        assert state == start
    assert state in set(G)


@given(st.lists(st.sampled_from(list(G)), max_size=40))
def test_a_walk_from_proposed_reaches_only_states_in_the_table(moves: list[GoalLifecycle]) -> None:
    state, seen = G.PROPOSED, {G.PROPOSED}
    finished = False
    for target in moves:
        if rules.can_move_goal(state, target):
            assert not finished
            state = target
            seen.add(state)
            finished = state in rules.GOAL_TERMINAL
    assert seen <= set(rules.GOAL_TRANSITIONS)


# --- achievement ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lifecycle", [G.ACCEPTED, G.ACTIVE, G.ON_HOLD])
@pytest.mark.parametrize("achievement", list(A))
def test_any_status_on_a_goal_being_worked_on(lifecycle: GoalLifecycle, achievement: Achievement) -> None:
    assert rules.achievement_problem(lifecycle, achievement) is None


@pytest.mark.parametrize("achievement", list(A))
def test_a_completed_goal_keeps_only_an_outcome(achievement: Achievement) -> None:
    problem = rules.achievement_problem(G.COMPLETED, achievement)
    assert (problem is None) is (achievement in ENDINGS)


@pytest.mark.parametrize("lifecycle", [G.PROPOSED, G.PLANNED, G.CANCELLED, G.REJECTED, G.ENTERED_IN_ERROR])
@pytest.mark.parametrize("achievement", [A.IMPROVING, A.ACHIEVED])
def test_no_progress_on_goals_not_being_worked_on(lifecycle: GoalLifecycle, achievement: Achievement) -> None:
    problem = rules.achievement_problem(lifecycle, achievement)
    assert problem is not None and lifecycle.label.lower() in problem


def test_the_outcomes_are_the_two_ending_branches() -> None:
    assert rules.OUTCOMES == ENDINGS
    assert not rules.OUTCOMES & UNDER_WAY


# --- publishing -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lifecycle", "agreement", "proposer", "after"),
    [
        (G.PROPOSED, GoalAgreement.AGREED, Proposer.TEAM, G.ACTIVE),
        (G.PROPOSED, GoalAgreement.NOT_ASKED, Proposer.PATIENT, G.ACTIVE),
        (G.PROPOSED, GoalAgreement.NOT_ASKED, Proposer.TEAM, G.PROPOSED),  # not asked yet
        (G.PROPOSED, GoalAgreement.NOT_ASKED, Proposer.CAREGIVER, G.PROPOSED),
        (G.PROPOSED, GoalAgreement.DECLINED, Proposer.TEAM, G.REJECTED),
        (G.PROPOSED, GoalAgreement.DECLINED, Proposer.PATIENT, G.REJECTED),  # the patient changed their mind
        (G.PLANNED, GoalAgreement.AGREED, Proposer.TEAM, G.ACTIVE),
        (G.ON_HOLD, GoalAgreement.AGREED, Proposer.PATIENT, G.ON_HOLD),  # already under way: untouched
        (G.COMPLETED, GoalAgreement.DECLINED, Proposer.TEAM, G.COMPLETED),
        (G.CANCELLED, GoalAgreement.AGREED, Proposer.PATIENT, G.CANCELLED),
    ],
)
def test_what_publishing_does_to_a_goal(
    lifecycle: GoalLifecycle, agreement: GoalAgreement, proposer: Proposer, after: GoalLifecycle
) -> None:
    assert rules.lifecycle_on_publish(lifecycle, agreement, proposer) == after


def test_publishing_moves_a_goal_only_along_the_table() -> None:
    for lifecycle, agreement, proposer in itertools.product(G, GoalAgreement, Proposer):
        after = rules.lifecycle_on_publish(lifecycle, agreement, proposer)
        assert after == lifecycle or rules.can_move_goal(lifecycle, after), (lifecycle, agreement, proposer)


# --- what the readings suggest --------------------------------------------------------------------------------
def d(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def vals(*numbers: str | int) -> list[tuple[dt.date, Decimal]]:
    return [(d(i), Decimal(str(n))) for i, n in enumerate(numbers)]


@pytest.mark.parametrize(
    ("measure", "baseline", "target", "values", "expected"),
    [
        # PHQ-9: lower is better, 5 points is a change
        (PHQ9, "19", "10", vals(14), A.IMPROVING),  # 5 down from the baseline
        (PHQ9, "19", "10", vals(15), A.NO_CHANGE),  # 4 down is not enough
        (PHQ9, "19", "10", vals(24), A.WORSENING),
        (PHQ9, "19", "10", vals(23), A.NO_CHANGE),
        (PHQ9, "19", "10", vals(19), A.NO_CHANGE),
        (PHQ9, "19", "10", vals(10), A.ACHIEVED),  # at the target counts (≤)
        (PHQ9, "19", "10", vals(9), A.ACHIEVED),
        (PHQ9, "19", "10", vals(14, 9), A.ACHIEVED),
        (PHQ9, "19", "10", vals(14, 9, 8), A.SUSTAINING),
        (PHQ9, "19", "10", vals(9, 8), A.SUSTAINING),
        (PHQ9, "19", "10", vals(9, 14), A.WORSENING),  # compared with the reading before, not the baseline
        (PHQ9, "19", "10", vals(14, 18), A.NO_CHANGE),
        (PHQ9, None, "10", vals(14), A.IN_PROGRESS),  # nothing to compare with
        (PHQ9, None, None, vals(20, 14), A.IMPROVING),
        (PHQ9, "19", None, vals(4), A.IMPROVING),  # no target: never achieved
        # HbA1c: step 0.5
        (MEASURES["hba1c"], "9.6", "8", vals("9.1"), A.IMPROVING),
        (MEASURES["hba1c"], "9.6", "8", vals("9.2"), A.NO_CHANGE),
        (MEASURES["hba1c"], "9.6", "8", vals("7.9"), A.ACHIEVED),
        # steps a day: higher is better
        (STEPS, "2000", "6000", vals(2500), A.IMPROVING),
        (STEPS, "2000", "6000", vals(1500), A.WORSENING),
        (STEPS, "2000", "6000", vals(2499), A.NO_CHANGE),
        (STEPS, "2000", "6000", vals(6000), A.ACHIEVED),
        (STEPS, "2000", "6000", vals(7000, 6500), A.SUSTAINING),
    ],
)
def test_suggestions(
    measure: Measure, baseline: str | None, target: str | None, values: list, expected: Achievement
) -> None:
    found = rules.suggest_achievement(
        measure,
        Decimal(baseline) if baseline is not None else None,
        Decimal(target) if target is not None else None,
        values,
    )
    assert found is not None
    assert found.achievement == expected
    assert str(values[-1][0]) in found.reason


def test_no_suggestion_without_values_or_for_a_yes_no_measure() -> None:
    assert rules.suggest_achievement(PHQ9, Decimal(19), Decimal(10), []) is None
    for m in STATES:
        assert rules.suggest_achievement(m, Decimal(0), Decimal(1), vals(1, 2)) is None


@pytest.mark.parametrize(
    ("measure", "value", "target", "meets"),
    [(PHQ9, 10, 10, True), (PHQ9, 11, 10, False), (STEPS, 5999, 6000, False), (STEPS, 6000, 6000, True)],
)
def test_meeting_a_target(measure: Measure, value: int, target: int, meets: bool) -> None:
    assert rules.meets(measure, Decimal(value), Decimal(target)) is meets


amounts = st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False, allow_infinity=False)


@given(
    st.sampled_from(list(MEASURES.values())),
    st.none() | amounts,
    st.none() | amounts,
    st.lists(amounts, max_size=6),
)
def test_suggestions_follow_the_readings(
    measure: Measure, baseline: Decimal | None, target: Decimal | None, numbers: list[Decimal]
) -> None:
    values = [(d(i), v) for i, v in enumerate(numbers)]
    found = rules.suggest_achievement(measure, baseline, target, values)  # never raises
    if not measure.numeric or not values:
        assert found is None
        return
    assert found is not None
    last = values[-1][1]

    def good(value: Decimal) -> bool:
        return target is not None and (value <= target if measure.better == "lower" else value >= target)

    if found.achievement in (A.ACHIEVED, A.SUSTAINING):
        assert good(last)
    if found.achievement == A.SUSTAINING:
        assert len(values) >= 2 and good(values[-2][1])
    if good(last):
        assert found.achievement in (A.ACHIEVED, A.SUSTAINING)
    before = values[-2][1] if len(values) >= 2 else baseline
    if found.achievement in (A.IMPROVING, A.WORSENING):
        assert before is not None
        better = before - last if measure.better == "lower" else last - before
        if found.achievement == A.IMPROVING:
            assert better >= measure.step and better > 0
        else:
            assert -better >= measure.step and better < 0
    if found.achievement == A.NO_CHANGE:
        assert before is not None and abs(last - before) < measure.step
    if found.achievement == A.IN_PROGRESS:
        assert before is None
    assert found.achievement not in (
        A.NOT_ACHIEVED,
        A.NO_PROGRESS,
        A.NOT_ATTAINABLE,
    )  # a person decides those


# --- review ---------------------------------------------------------------------------------------------------
def test_the_next_review_is_ninety_days_on() -> None:
    assert rules.next_review(dt.date(2026, 1, 1)) == dt.date(2026, 4, 1)
    assert rules.next_review(dt.date(2026, 1, 1), 14) == dt.date(2026, 1, 15)


LAST = dt.date(2026, 1, 1)
DUE = dt.date(2026, 4, 1)


@pytest.mark.parametrize(
    ("discharges", "today", "due_on", "overdue"),
    [
        ([], dt.date(2026, 2, 1), DUE, False),
        ([], DUE, DUE, False),  # due today is not yet overdue
        ([], DUE + dt.timedelta(days=1), DUE, True),
        ([dt.date(2026, 2, 10)], dt.date(2026, 2, 12), dt.date(2026, 2, 10), True),
        ([dt.date(2026, 3, 5), dt.date(2026, 2, 10)], dt.date(2026, 3, 6), dt.date(2026, 2, 10), True),
        ([dt.date(2025, 12, 20)], dt.date(2026, 2, 1), DUE, False),  # before the last review
        ([LAST], dt.date(2026, 2, 1), DUE, False),  # the day of the review: it was seen then
        ([DUE + dt.timedelta(days=3)], DUE + dt.timedelta(days=5), DUE, True),  # the date came first
    ],
)
def test_review_state(discharges: list[dt.date], today: dt.date, due_on: dt.date, overdue: bool) -> None:
    state = rules.review_state(DUE, LAST, discharges, today)
    assert (state.due_on, state.overdue) == (due_on, overdue)
    if discharges and due_on != DUE:
        assert "discharged" in state.reason


days = st.integers(min_value=-200, max_value=400)


@given(st.integers(min_value=1, max_value=365), st.lists(days, max_size=5), days)
def test_review_is_never_due_later_than_its_date(
    interval: int, discharge_offsets: list[int], today_n: int
) -> None:
    due = LAST + dt.timedelta(days=interval)
    discharges = [LAST + dt.timedelta(days=n) for n in discharge_offsets]
    today = LAST + dt.timedelta(days=today_n)
    state = rules.review_state(due, LAST, discharges, today)
    assert state.due_on <= due
    between = sorted(
        x for x in discharges if LAST < x < due and x <= today
    )  # a discharge still to come waits
    if between:
        assert state.due_on == between[0]
        assert state.overdue
    else:
        assert state.due_on == due
        assert state.overdue is (today > due)


def test_a_discharge_still_to_come_does_not_make_the_review_overdue_yet() -> None:
    state = rules.review_state(DUE, LAST, [dt.date(2026, 2, 20)], dt.date(2026, 2, 10))
    assert state.due_on == DUE  # not an event until it has happened
    assert not state.overdue


# --- agreement ------------------------------------------------------------------------------------------------
TODAY = dt.date(2026, 3, 10)
MADE = dt.date(2026, 3, 5)


def problems(**overrides: object) -> dict[str, str]:
    fields: dict = {
        "agreed_on": TODAY,
        "today": TODAY,
        "version_made_on": MADE,
        "agreed_by": AgreedBy.PATIENT,
        "proxy_name": "",
        "proxy_relationship": "",
    }
    fields.update(overrides)
    return rules.agreement_problems(**fields)


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({}, set()),
        ({"agreed_on": MADE}, set()),  # the day it was made
        ({"agreed_on": TODAY + dt.timedelta(days=1)}, {"agreed_on"}),
        ({"agreed_on": MADE - dt.timedelta(days=1)}, {"agreed_on"}),
        ({"agreed_by": AgreedBy.PROXY}, {"proxy_name", "proxy_relationship"}),
        ({"agreed_by": AgreedBy.PROXY, "proxy_name": "Rosa Reyes"}, {"proxy_relationship"}),
        ({"agreed_by": AgreedBy.PROXY, "proxy_name": "  ", "proxy_relationship": "daughter"}, {"proxy_name"}),
        ({"agreed_by": AgreedBy.PROXY, "proxy_name": "Rosa Reyes", "proxy_relationship": "daughter"}, set()),
        ({"proxy_name": "Rosa Reyes"}, set()),  # a name given for the patient's own agreement is ignored
        (
            {"agreed_by": AgreedBy.PROXY, "agreed_on": TODAY + dt.timedelta(days=2)},
            {"agreed_on", "proxy_name", "proxy_relationship"},
        ),
    ],
)
def test_agreement_problems(overrides: dict, fields: set[str]) -> None:
    assert set(problems(**overrides)) == fields


def test_a_future_agreement_is_called_future_even_before_the_version_date() -> None:
    # a version dated tomorrow (clock skew): the one message says the date is in the future
    found = problems(agreed_on=TODAY + dt.timedelta(days=1), version_made_on=TODAY + dt.timedelta(days=2))
    assert "future" in found["agreed_on"]
