"""The pure rules of appointments, as tables: status changes (and a hypothesis walk of the table), reminder
offsets, when each reminder is due across daylight-saving changes, which reminders a sweep sends, and the channel."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.appointments import rules
from careconductor.appointments.choices import AppointmentStatus as S
from careconductor.appointments.choices import Channel

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC


def at(*args: int, zone: ZoneInfo = CHICAGO) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


NOW = at(2027, 3, 10, 12, 0)


@pytest.mark.parametrize(
    ("current", "new", "starts", "problem"),
    [
        (S.BOOKED, S.FULFILLED, NOW - dt.timedelta(hours=1), ""),
        (S.BOOKED, S.NO_SHOW, NOW - dt.timedelta(minutes=1), ""),
        (S.BOOKED, S.FULFILLED, NOW + dt.timedelta(hours=1), "has not started yet"),
        (S.BOOKED, S.NO_SHOW, NOW + dt.timedelta(hours=1), "has not started yet"),
        (S.BOOKED, S.CANCELLED, NOW + dt.timedelta(hours=1), ""),
        (S.BOOKED, S.CANCELLED, NOW - dt.timedelta(hours=1), ""),
        (S.NO_SHOW, S.FULFILLED, NOW - dt.timedelta(hours=1), ""),
        (S.NO_SHOW, S.CANCELLED, NOW - dt.timedelta(hours=1), "cannot become cancelled"),
        (S.FULFILLED, S.NO_SHOW, NOW - dt.timedelta(hours=1), "cannot become did not attend"),
        (S.CANCELLED, S.BOOKED, NOW + dt.timedelta(hours=1), "cannot become booked"),
        (S.CANCELLED, S.FULFILLED, NOW - dt.timedelta(hours=1), "cannot become attended"),
        (S.BOOKED, "arrived", NOW - dt.timedelta(hours=1), "not a status"),
    ],
)
def test_status_changes(current: str, new: str, starts: dt.datetime, problem: str) -> None:
    found = rules.change_problem(current, new, starts, NOW)
    assert (problem in found) if problem else found == ""


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # a busy machine is no failure
@given(st.lists(st.sampled_from(S.values), max_size=8))
def test_any_walk_of_the_table_stays_in_it_and_ends_are_final(steps: list[str]) -> None:
    status = S.BOOKED.value
    seen = [status]
    for new in steps:
        if rules.may_become(status, new):
            status = new
            seen.append(status)
    # Never back to booked, nothing after attended or cancelled, and a cancelled one was never attended.
    assert S.BOOKED not in seen[1:]
    for final in (S.FULFILLED, S.CANCELLED):
        if final in seen:
            assert seen[-1] == final and seen.count(final) == 1
    assert not (S.CANCELLED in seen and S.FULFILLED in seen)
    assert len(seen) <= 3


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        (NOW, NOW + dt.timedelta(minutes=30), None),
        (NOW, NOW, "ends_at"),
        (NOW, NOW - dt.timedelta(minutes=1), "ends_at"),
        (NOW, NOW + dt.timedelta(hours=13), "ends_at"),
    ],
)
def test_times(starts: dt.datetime, ends: dt.datetime, field: str | None) -> None:
    assert list(rules.times_problem(starts, ends)) == ([field] if field else [])


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("2d@10:00", "2d@10:00", "2 days before at 10:00"),
        (" 1D@18:30 ", "1d@18:30", "the day before at 18:30"),
        ("0d@07:00", "0d@07:00", "on the day at 07:00"),
        ("2h", "2h", "2 hours before"),
        ("1h", "1h", "1 hour before"),
        ("0h", None, None),
        ("241h", None, None),
        ("31d@10:00", None, None),
        ("2d@24:00", None, None),
        ("2d", None, None),
        ("tomorrow", None, None),
    ],
)
def test_offsets(text: str, code: str | None, words: str | None) -> None:
    offset = rules.parse_offset(text)
    assert (offset.code if offset else None) == code
    assert (offset.words if offset else None) == words


def test_offsets_are_sorted_earliest_first_without_repeats_and_refused_whole() -> None:
    offsets, problem = rules.parse_offsets(["2h", "1d@18:00", "2d@10:00", "2h", ""])
    assert problem == "" and [o.code for o in offsets] == ["2d@10:00", "1d@18:00", "2h"]
    assert rules.parse_offsets(["2h", "soon"]) == ([], rules.parse_offsets(["soon"])[1])
    assert "five" in rules.parse_offsets(["1h", "2h", "3h", "4h", "5h", "6h"])[1]


# Chicago moves its clocks forward on 14 March 2027 at 02:00 and back on 7 November 2027 at 02:00.
@pytest.mark.parametrize(
    ("code", "starts", "due"),
    [
        # Two days before at 10:00, local: the same 10:00 either side of the spring change (UTC moves).
        ("2d@10:00", at(2027, 3, 15, 9, 0), at(2027, 3, 13, 10, 0)),  # due in CST, appointment in CDT
        ("2d@10:00", at(2027, 3, 15, 9, 0), dt.datetime(2027, 3, 13, 16, 0, tzinfo=UTC)),
        ("1d@10:00", at(2027, 3, 15, 9, 0), dt.datetime(2027, 3, 14, 15, 0, tzinfo=UTC)),  # the change day
        ("1d@10:00", at(2027, 11, 8, 9, 0), dt.datetime(2027, 11, 7, 16, 0, tzinfo=UTC)),  # autumn
        ("2d@10:00", at(2027, 11, 8, 9, 0), dt.datetime(2027, 11, 6, 15, 0, tzinfo=UTC)),
        # A time the spring change skips is the same time on the clock after it; a repeated one its first.
        ("1d@02:30", at(2027, 3, 15, 9, 0), at(2027, 3, 14, 3, 30)),
        ("1d@01:30", at(2027, 11, 8, 9, 0), dt.datetime(2027, 11, 7, 6, 30, tzinfo=UTC)),
        # Hours before are elapsed hours: across the change the clock shows an hour more or less.
        ("24h", at(2027, 3, 14, 9, 0), at(2027, 3, 13, 8, 0)),
        ("24h", at(2027, 11, 7, 9, 0), at(2027, 11, 6, 10, 0)),
        # The appointment's day is its local day, not its UTC day (19:00 in Chicago is 01:00 UTC next day).
        ("0d@08:00", at(2027, 6, 1, 19, 0), at(2027, 6, 1, 8, 0)),
    ],
)
def test_reminder_due_in_local_time_across_daylight_saving(
    code: str, starts: dt.datetime, due: dt.datetime
) -> None:
    offset = rules.parse_offset(code)
    assert offset is not None
    assert rules.reminder_due(offset, starts, CHICAGO) == due


OFFSETS, _ = rules.parse_offsets(["2d@10:00", "1d@18:00", "2h"])
STARTS = at(2027, 3, 15, 9, 0)  # Monday, the day after the spring change
BOOKED = at(2027, 3, 1, 9, 0)


@pytest.mark.parametrize(
    ("now", "done", "send", "skip"),
    [
        (at(2027, 3, 13, 9, 59), (), None, ()),
        (at(2027, 3, 13, 10, 0), (), "2d@10:00", ()),
        (at(2027, 3, 13, 10, 5), ("2d@10:00",), None, ()),
        (at(2027, 3, 14, 18, 0), ("2d@10:00",), "1d@18:00", ()),
        # A worker down all weekend sends the latest due reminder once and passes over the earlier ones.
        (at(2027, 3, 15, 7, 0), (), "2h", ("2d@10:00", "1d@18:00")),
        (at(2027, 3, 15, 7, 0), ("2d@10:00", "1d@18:00", "2h"), None, ()),
        # Never at or after the appointment's time.
        (at(2027, 3, 15, 9, 0), (), None, ()),
    ],
)
def test_which_reminder_a_sweep_sends(
    now: dt.datetime, done: tuple[str, ...], send: str | None, skip: tuple[str, ...]
) -> None:
    plan = rules.reminder_plan(OFFSETS, starts_at=STARTS, booked_at=BOOKED, now=now, zone=CHICAGO, done=done)
    assert (plan.send.code if plan.send else None) == send
    assert tuple(o.code for o in plan.skip) == skip


def test_a_reminder_due_before_the_booking_is_passed_over() -> None:
    booked = at(2027, 3, 14, 12, 0)  # after the two-day reminder, before the evening one
    plan = rules.reminder_plan(
        OFFSETS, starts_at=STARTS, booked_at=booked, now=at(2027, 3, 14, 12, 5), zone=CHICAGO
    )
    assert plan.send is None and [o.code for o in plan.skip] == ["2d@10:00"]


def test_horizon_reaches_the_earliest_reminder() -> None:
    assert rules.horizon(OFFSETS) == dt.timedelta(days=3)
    assert rules.horizon(rules.parse_offsets(["48h"])[0]) == dt.timedelta(hours=48)
    assert rules.horizon([]) == dt.timedelta(0)


@pytest.mark.parametrize(
    ("method", "phone", "email", "portal", "channel"),
    [
        ("text", True, True, True, Channel.SMS),
        ("email", True, True, True, Channel.EMAIL),
        ("portal", True, True, True, Channel.PORTAL),
        ("text", False, True, True, Channel.PORTAL),
        ("email", True, False, False, Channel.SMS),
        ("phone", True, True, False, Channel.EMAIL),
        ("mail", True, False, False, Channel.SMS),
        ("in_person", False, False, False, Channel.NONE),
    ],
)
def test_channel(method: str, phone: bool, email: bool, portal: bool, channel: Channel) -> None:
    assert rules.channel_for(method, phone=phone, email=email, portal=portal) == channel
