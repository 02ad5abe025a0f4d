"""The pure decisions after an assessment: safety rules (clinical.md §1 item 9, §3.1 safety), the suggested
acuity tier and reassessment intervals."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from careconductor.assessments import rules
from careconductor.assessments.choices import Signal
from careconductor.coordination.choices import TaskPriority

TODAY = dt.date(2026, 11, 22)


def test_item_9_goes_to_the_case_manager_and_supervisor_the_same_day_with_a_flag() -> None:
    (action,) = rules.safety_actions({Signal.SELF_HARM_THOUGHTS})
    assert action.recipients == (rules.CASE_MANAGER, rules.SUPERVISOR)
    assert action.same_day and action.flag and action.priority == TaskPriority.URGENT


def test_a_positive_safety_screen_is_an_urgent_task_and_severe_depression_goes_to_the_physician() -> None:
    by_signal = {
        a.signal: a for a in rules.safety_actions({Signal.INTERPERSONAL_SAFETY, Signal.SEVERE_DEPRESSION})
    }
    assert by_signal[Signal.INTERPERSONAL_SAFETY].priority == TaskPriority.URGENT
    assert by_signal[Signal.SEVERE_DEPRESSION].recipients == (rules.PHYSICIAN,)


def test_a_signal_already_acted_on_is_not_acted_on_again() -> None:
    assert rules.safety_actions({Signal.SELF_HARM_THOUGHTS}, [Signal.SELF_HARM_THOUGHTS]) == []


def test_due_time_is_the_end_of_the_local_day() -> None:
    now = dt.datetime(2026, 11, 22, 16, 5, tzinfo=dt.UTC)
    assert rules.due_time(now, same_day=True) == dt.datetime(2026, 11, 22, 23, 59, tzinfo=dt.UTC)
    assert rules.due_time(now, same_day=False).date() == dt.date(2026, 11, 23)


def test_the_grid_total_sets_the_tier_and_complex_starts_above_20() -> None:
    assert rules.suggest_acuity(20, None, None).tier == 2
    assert rules.suggest_acuity(21, None, None).tier == 3
    assert rules.suggest_acuity(31, None, None).tier == 4
    assert rules.suggest_acuity(10, None, None).tier == 1
    assert rules.suggest_acuity(None, None, None).tier is None


def test_readmission_risk_raises_the_floor_and_says_why() -> None:
    s = rules.suggest_acuity(5, 10, None)
    assert s.tier == 3 and any("LACE 10" in r for r in s.reasons)
    assert rules.suggest_acuity(None, None, 5).tier == 2
    assert rules.suggest_acuity(35, 12, 8).tier == 4


@given(
    st.one_of(st.none(), st.integers(0, 60)),
    st.one_of(st.none(), st.integers(0, 19)),
    st.one_of(st.none(), st.integers(0, 13)),
)
def test_a_suggestion_is_a_tier_from_1_to_4_and_never_lower_than_the_grid_alone(
    grid: int | None, lace: int | None, hospital: int | None
) -> None:
    s = rules.suggest_acuity(grid, lace, hospital)
    if grid is None and lace is None and hospital is None:
        assert s.tier is None
        return
    assert s.tier in (1, 2, 3, 4)
    if grid is not None:
        assert s.tier >= rules.suggest_acuity(grid, None, None).tier  # type: ignore[operator]


def test_never_done_is_due_from_the_start_and_phq9_only_with_depression() -> None:
    due = rules.reassessments_due(
        rules.DEFAULT_INTERVALS, {}, today=TODAY, depression_active=False, since=TODAY
    )
    assert [d.slug for d in due] == ["icm-complexity-grid", "ahc-hrsn"]
    due = rules.reassessments_due(
        rules.DEFAULT_INTERVALS, {}, today=TODAY, depression_active=True, since=TODAY
    )
    assert "phq-9" in {d.slug for d in due}


def test_intervals_count_from_the_last_completion() -> None:
    last = {"phq-9": TODAY - dt.timedelta(days=29), "icm-complexity-grid": TODAY - dt.timedelta(days=60),
            "ahc-hrsn": TODAY - dt.timedelta(days=100)}  # fmt: skip
    due = {d.slug: d for d in rules.reassessments_due(
        rules.DEFAULT_INTERVALS, last, today=TODAY, depression_active=True, since=TODAY - dt.timedelta(days=400)
    )}  # fmt: skip
    assert due["phq-9"].overdue and due["phq-9"].due_on == TODAY - dt.timedelta(days=1)
    assert "icm-complexity-grid" not in due  # due in 30 days: beyond the two-week view
    assert "ahc-hrsn" not in due
