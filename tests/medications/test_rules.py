"""The pure medication rules: which doses are due, what adherence is, which dose times are valid, which days a
dose may be reported for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.medications import rules

D = dt.date
MONDAY = D(2026, 11, 16)


# --- dose times -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("times", "problem"),
    [
        ([], None),  # as needed
        (["08:00"], None),
        (["00:00", "23:59"], None),
        ([f"{h:02d}:00" for h in range(8)], None),
        ([f"{h:02d}:00" for h in range(9)], "At most 8"),
        (["24:00"], "24-hour clock"),
        (["8:00"], "24-hour clock"),  # normalised by the form, not by the rule
        (["08:60"], "24-hour clock"),
        (["0800"], "24-hour clock"),
        (["morning"], "not “morning”"),
        (["08:00", "20:00", "08:00"], "08:00 is given twice"),
    ],
)
def test_it_checks_dose_times(times: list[str], problem: str | None) -> None:
    found = rules.times_problem(times)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    ("text", "normal"),
    [("8:00", "08:00"), ("08.30", "08:30"), ("8h15", "08:15"), (" 20:00 ", "20:00"), ("noon", "noon")],
)
def test_it_writes_loose_times_as_hh_mm(text: str, normal: str) -> None:
    assert rules.normalise_time(text) == normal


@given(st.lists(st.times(), max_size=8, unique_by=lambda t: (t.hour, t.minute)))
def test_every_valid_clock_time_passes(times: list[dt.time]) -> None:
    assert rules.times_problem([t.strftime("%H:%M") for t in times]) is None


# --- the schedule -----------------------------------------------------------------------------------------------
def test_it_lists_each_time_of_each_day_in_order() -> None:
    slots = rules.scheduled_slots(["20:00", "08:00"], MONDAY, None, MONDAY, MONDAY + dt.timedelta(days=1))
    assert slots == [
        (MONDAY, "08:00"),
        (MONDAY, "20:00"),
        (D(2026, 11, 17), "08:00"),
        (D(2026, 11, 17), "20:00"),
    ]


@pytest.mark.parametrize(
    ("start", "end", "first", "last", "days"),
    [
        (D(2026, 11, 1), None, D(2026, 11, 10), D(2026, 11, 19), 10),  # running all through the window
        (D(2026, 11, 15), None, D(2026, 11, 10), D(2026, 11, 19), 5),  # started inside it
        (D(2026, 11, 1), D(2026, 11, 12), D(2026, 11, 10), D(2026, 11, 19), 3),  # the end day counts
        (D(2026, 11, 12), D(2026, 11, 12), D(2026, 11, 10), D(2026, 11, 19), 1),  # a one-day course
        (D(2026, 11, 20), None, D(2026, 11, 10), D(2026, 11, 19), 0),  # not started yet
        (D(2026, 11, 1), D(2026, 11, 9), D(2026, 11, 10), D(2026, 11, 19), 0),  # ended before
    ],
)
def test_it_counts_the_days_the_medication_runs(
    start: dt.date, end: dt.date | None, first: dt.date, last: dt.date, days: int
) -> None:
    assert len(rules.scheduled_slots(["09:00"], start, end, first, last)) == days


def test_as_needed_has_no_scheduled_doses() -> None:
    assert rules.scheduled_slots([], MONDAY, None, MONDAY, MONDAY + dt.timedelta(days=29)) == []


def test_the_window_is_thirty_days_ending_today() -> None:
    assert rules.window(D(2026, 11, 30)) == (D(2026, 11, 1), D(2026, 11, 30))
    assert rules.window(D(2026, 11, 30), 7) == (D(2026, 11, 24), D(2026, 11, 30))


days = st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31))
clock_times = st.lists(st.times().map(lambda t: t.strftime("%H:%M")), min_size=0, max_size=8, unique=True)


@given(clock_times, days, st.none() | days, days, days)
def test_scheduled_slots_fall_inside_both_the_course_and_the_window(
    times: list[str], start: dt.date, end: dt.date | None, first: dt.date, last: dt.date
) -> None:
    slots = rules.scheduled_slots(times, start, end, first, last)
    for day, slot in slots:
        assert first <= day <= last
        assert start <= day
        assert end is None or day <= end
        assert slot in times
    assert len(slots) == len(set(slots))
    # Every day of the overlap has every time.
    overlap_last = last if end is None else min(last, end)
    overlap = max(0, (overlap_last - max(first, start)).days + 1)
    assert len(slots) == overlap * len(times)
    assert slots == sorted(slots)


# --- adherence --------------------------------------------------------------------------------------------------
def test_nothing_scheduled_has_no_share() -> None:
    assert rules.adherence([], set()) == rules.Adherence(scheduled=0, taken=0, share=None)
    assert rules.adherence([], {(1, MONDAY, "08:00")}).share is None


@pytest.mark.parametrize(
    ("scheduled", "taken", "expected"),
    [
        ([(1, MONDAY, "08:00"), (1, MONDAY, "20:00")], {(1, MONDAY, "08:00")}, (2, 1, Decimal("0.5"))),
        ([(1, MONDAY, "08:00")], {(1, MONDAY, "08:00")}, (1, 1, Decimal(1))),
        ([(1, MONDAY, "08:00")], set(), (1, 0, Decimal(0))),
        # A dose taken at a time no longer scheduled does not count; nor does another medication's.
        ([(1, MONDAY, "08:00")], {(1, MONDAY, "09:00"), (2, MONDAY, "08:00")}, (1, 0, Decimal(0))),
        # The same dose listed twice is one dose.
        ([(1, MONDAY, "08:00"), (1, MONDAY, "08:00")], {(1, MONDAY, "08:00")}, (1, 1, Decimal(1))),
    ],
)
def test_adherence_is_the_share_of_scheduled_doses_taken(
    scheduled: list[rules.Dose], taken: set[rules.Dose], expected: tuple[int, int, Decimal]
) -> None:
    found = rules.adherence(scheduled, taken)
    assert (found.scheduled, found.taken, found.share) == expected


@pytest.mark.parametrize(
    ("taken", "scheduled", "percent"),
    [(0, 3, 0), (1, 3, 33), (2, 3, 67), (1, 200, 1), (1, 201, 0), (3, 3, 100)],
)
def test_the_percent_is_rounded_half_up(taken: int, scheduled: int, percent: int) -> None:
    due = [(1, MONDAY + dt.timedelta(days=n), "08:00") for n in range(scheduled)]
    assert rules.adherence(due, set(due[:taken])).percent == percent


doses = st.tuples(st.integers(1, 4), days, st.sampled_from(["08:00", "13:00", "20:00"]))


@given(st.lists(doses, max_size=60), st.sets(doses, max_size=60))
def test_adherence_share_is_taken_over_scheduled_and_between_0_and_1(
    scheduled: list[rules.Dose], taken: set[rules.Dose]
) -> None:
    found = rules.adherence(scheduled, taken)
    assert found.scheduled == len(set(scheduled))
    assert 0 <= found.taken <= found.scheduled
    if found.scheduled == 0:
        assert found.share is None
    else:
        assert found.share is not None
        assert Decimal(0) <= found.share <= Decimal(1)
        assert found.share == Decimal(found.taken) / Decimal(found.scheduled)
        assert found.taken == len(set(scheduled) & taken)


# --- reporting ----------------------------------------------------------------------------------------------------
TODAY = D(2026, 11, 20)


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (TODAY, None),
        (TODAY - dt.timedelta(days=7), None),
        (TODAY - dt.timedelta(days=8), "last 7 days"),
        (TODAY + dt.timedelta(days=1), "not come yet"),
    ],
)
def test_doses_are_reported_for_the_past_week_only(day: dt.date, problem: str | None) -> None:
    found = rules.report_day_problem(day, TODAY)
    assert found is None if problem is None else (found is not None and problem in found)


def test_stopping_needs_a_reason_and_an_end_not_before_the_start() -> None:
    assert rules.stop_problem(MONDAY, MONDAY, "Side effects") == {}
    assert set(rules.stop_problem(MONDAY, MONDAY - dt.timedelta(days=1), " ")) == {"reason", "end_date"}
