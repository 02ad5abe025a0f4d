"""Pure decisions about appointments: which status may follow which, when an outcome may be recorded, when each
reminder is due in the organisation's own time zone (daylight saving included), which reminders a sweep sends
and by which channel. No ORM, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .choices import AppointmentStatus, Channel

S = AppointmentStatus

# Booked appointments end attended, missed or cancelled. A missed one may be corrected to attended (the
# patient came late, or the visit was kept elsewhere); attended and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.BOOKED: frozenset({S.FULFILLED, S.NO_SHOW, S.CANCELLED}),
    S.NO_SHOW: frozenset({S.FULFILLED}),
    S.FULFILLED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Outcomes that say what happened at the time: they wait for the time to come.
AFTER_THE_TIME = frozenset({S.FULFILLED, S.NO_SHOW})
LONGEST_MINUTES = 12 * 60


def may_become(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def change_problem(current: str, new: str, starts_at: dt.datetime, now: dt.datetime) -> str:
    """Why the appointment may not go from `current` to `new` now ("" when it may)."""
    if not may_become(current, new):
        return (
            f"An appointment that is {S(current).label.lower()} cannot become {S(new).label.lower()}."
            if current in S.values and new in S.values
            else "That is not a status an appointment can have."
        )
    if new in AFTER_THE_TIME and now < starts_at:
        return "The appointment has not started yet: record what happened after its time."
    return ""


def times_problem(starts_at: dt.datetime, ends_at: dt.datetime) -> dict[str, str]:
    """The end comes after the start, and an appointment lasts at most LONGEST_MINUTES."""
    if ends_at <= starts_at:
        return {"ends_at": "The appointment ends before it starts."}
    if ends_at - starts_at > dt.timedelta(minutes=LONGEST_MINUTES):
        return {"ends_at": "An appointment lasts at most 12 hours."}
    return {}


# --- reminders -----------------------------------------------------------------------------------------------
_OFFSET = re.compile(r"^(?:(?P<days>\d{1,2})d@(?P<hh>[01]\d|2[0-3]):(?P<mm>[0-5]\d)|(?P<hours>\d{1,3})h)$")
MAX_DAYS = 30
MAX_HOURS = 240


@dataclass(frozen=True)
class Offset:
    """When a reminder goes: `days` before the appointment's day at `at` (wall-clock time in the
    organisation's zone, so 10:00 stays 10:00 across a daylight-saving change), or `hours` before it (elapsed
    time)."""

    days: int = 0
    at: dt.time | None = None
    hours: int = 0

    @property
    def code(self) -> str:
        if self.at is not None:
            return f"{self.days}d@{self.at:%H:%M}"
        return f"{self.hours}h"

    @property
    def sort_key(self) -> tuple[int, int, dt.time]:
        """Earliest first: day offsets by days before, then hour offsets by hours before."""
        if self.at is not None:
            return (0, -self.days, self.at)
        return (1, -self.hours, dt.time())

    @property
    def words(self) -> str:
        if self.at is not None:
            when = {0: "on the day", 1: "the day before"}.get(self.days, f"{self.days} days before")
            return f"{when} at {self.at:%H:%M}"
        return f"{self.hours} hour{'s' if self.hours != 1 else ''} before"


def parse_offset(text: str) -> Offset | None:
    """ "2d@10:00" or "3h" as an Offset; None for anything else (or out of range)."""
    m = _OFFSET.match(text.strip().lower())
    if m is None:
        return None
    if m["hours"] is not None:
        hours = int(m["hours"])
        return Offset(hours=hours) if 1 <= hours <= MAX_HOURS else None
    days = int(m["days"])
    if days > MAX_DAYS:
        return None
    return Offset(days=days, at=dt.time(int(m["hh"]), int(m["mm"])))


def parse_offsets(codes: Iterable[str]) -> tuple[list[Offset], str]:
    """Offsets from their codes, sorted and without repeats; and the problem with them ("" when none)."""
    found: set[Offset] = set()
    for code in codes:
        if not code.strip():
            continue
        offset = parse_offset(code)
        if offset is None:
            return [], (
                f"“{code.strip()}” is not a reminder time: write 2d@10:00 (two days before, at 10:00) "
                f"or 2h (two hours before); up to {MAX_DAYS} days or {MAX_HOURS} hours."
            )
        found.add(offset)
    if len(found) > 5:
        return [], "At most five reminders per appointment."
    return sorted(found, key=lambda o: o.sort_key), ""


def reminder_due(offset: Offset, starts_at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """When the reminder is due (aware, UTC). A day offset is a wall-clock time on a local day: a time that the
    spring change skips is read as the same time on the clock after it (02:30 becomes 03:30), and one the
    autumn change repeats is its first occurrence."""
    if offset.at is None:
        # In UTC: subtracting from a datetime in a ZoneInfo zone counts wall-clock hours, not elapsed ones.
        return starts_at.astimezone(dt.UTC) - dt.timedelta(hours=offset.hours)
    day = starts_at.astimezone(zone).date() - dt.timedelta(days=offset.days)
    # PEP 495: fold=0 reads a skipped time with the offset from before the change (02:30 is 03:30 after it)
    # and a repeated one as its first occurrence.
    return dt.datetime.combine(day, offset.at, tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class Plan:
    """What a sweep does about one appointment's reminders: send one, and record the others it passes over."""

    send: Offset | None
    skip: tuple[Offset, ...]


def reminder_plan(
    offsets: Sequence[Offset],
    *,
    starts_at: dt.datetime,
    booked_at: dt.datetime,
    now: dt.datetime,
    zone: ZoneInfo,
    done: Iterable[str] = (),
) -> Plan:
    """Of the reminders not yet made (`done`: their codes), those due by `now` and before the appointment: the
    latest is sent, the earlier ones skipped (a worker that was down sends one reminder, not three). A reminder
    due before the appointment was booked is skipped too: the patient has just been told."""
    if now >= starts_at:
        return Plan(None, ())
    finished = set(done)
    due: list[tuple[dt.datetime, Offset]] = []
    skip: list[Offset] = []
    for offset in offsets:
        if offset.code in finished:
            continue
        at = reminder_due(offset, starts_at, zone)
        if at > now or at >= starts_at:
            continue
        if at < booked_at:
            skip.append(offset)
        else:
            due.append((at, offset))
    if not due:
        return Plan(None, tuple(skip))
    due.sort()
    return Plan(due[-1][1], tuple(skip + [o for _, o in due[:-1]]))


def horizon(offsets: Sequence[Offset]) -> dt.timedelta:
    """How far ahead a sweep looks: the earliest reminder is due at most this long before the appointment."""
    longest = dt.timedelta(0)
    for o in offsets:
        longest = max(
            longest, dt.timedelta(days=o.days + 1) if o.at is not None else dt.timedelta(hours=o.hours)
        )
    return longest


# The patient's preferred contact method (patients.ContactMethod) and the channel it names; for the others
# (a call, a letter, in person) and when the preferred one cannot reach them, the first that can.
PREFERRED = {"text": Channel.SMS, "email": Channel.EMAIL, "portal": Channel.PORTAL}
FALLBACK = (Channel.PORTAL, Channel.EMAIL, Channel.SMS)


def channel_for(method: str, *, phone: bool, email: bool, portal: bool) -> Channel:
    reachable = {Channel.SMS: phone, Channel.EMAIL: email, Channel.PORTAL: portal}
    preferred = PREFERRED.get(method)
    if preferred is not None and reachable[preferred]:
        return preferred
    for channel in FALLBACK:
        if reachable[channel]:
            return channel
    return Channel.NONE
