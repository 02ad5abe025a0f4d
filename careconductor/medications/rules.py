"""Pure decisions about medications: which doses are due, what adherence is, what makes a list of dose times
valid. No database here; actions and queries apply these.

Adherence is the share of scheduled doses reported taken over a window of days ending today (30 by default):
every dose time of every day in the window on which the medication was active counts, today's included; a dose
nobody reported counts as not taken. Medications taken as needed (no dose times) never count."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ADHERENCE_DAYS = 30
MAX_DOSES_A_DAY = 8
# How far back a patient may still answer for a dose: memory fades, and staff read adherence week by week.
REPORT_DAYS_BACK = 7

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOOSE_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")

Dose = tuple[int, dt.date, str]  # (medication id, day, "HH:MM")


# --- dose times -------------------------------------------------------------------------------------------------
def normalise_time(text: str) -> str:
    """ "8:00", "08.00" and "8h00" as "08:00"; anything else comes back stripped, for times_problem to name."""
    text = text.strip()
    match = _LOOSE_TIME.match(text)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else text


def times_problem(times: Sequence[str]) -> str | None:
    """What is wrong with a list of daily dose times (None when it may be kept). Empty means as needed."""
    bad = [t for t in times if not _TIME.match(t)]
    if bad:
        return f"Write each time as HH:MM on the 24-hour clock, from 00:00 to 23:59 (not “{bad[0]}”)."
    if len(set(times)) != len(times):
        repeated = sorted({t for t in times if list(times).count(t) > 1})
        return f"{repeated[0]} is given twice; list each time once."
    if len(times) > MAX_DOSES_A_DAY:
        return f"At most {MAX_DOSES_A_DAY} dose times a day."
    return None


# --- the schedule -----------------------------------------------------------------------------------------------
def scheduled_slots(
    times: Sequence[str],
    start_date: dt.date,
    end_date: dt.date | None,
    first_day: dt.date,
    last_day: dt.date,
) -> list[tuple[dt.date, str]]:
    """Every (day, time) a dose is due between first_day and last_day (both included), on the days the
    medication runs (start_date to end_date, both included; no end_date: it goes on). Day by day, in time
    order."""
    first = max(first_day, start_date)
    last = last_day if end_date is None else min(last_day, end_date)
    slots = sorted(times)
    return [(first + dt.timedelta(days=n), slot) for n in range((last - first).days + 1) for slot in slots]


def window(today: dt.date, days: int = ADHERENCE_DAYS) -> tuple[dt.date, dt.date]:
    """The days adherence looks at: the `days` days ending today, today included."""
    return today - dt.timedelta(days=days - 1), today


# --- adherence --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Adherence:
    scheduled: int
    taken: int
    share: Decimal | None  # taken / scheduled, 0 to 1; None when nothing was due

    @property
    def percent(self) -> int | None:
        """Rounded to a whole percent, for people."""
        if self.share is None:
            return None
        return int((self.share * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def adherence(scheduled: Iterable[Dose], taken: set[Dose]) -> Adherence:
    """The share of the scheduled doses that are in `taken`. Doses taken but not scheduled (an old answer for a
    time since changed) do not count; a scheduled dose listed twice counts once."""
    due = set(scheduled)
    count = len(due & taken)
    share = Decimal(count) / Decimal(len(due)) if due else None
    return Adherence(scheduled=len(due), taken=count, share=share)


# --- reports ----------------------------------------------------------------------------------------------------
def report_day_problem(day: dt.date, today: dt.date) -> str | None:
    """Doses are reported for today or the past week, never ahead."""
    if day > today:
        return "Doses cannot be reported for a day that has not come yet."
    if day < today - dt.timedelta(days=REPORT_DAYS_BACK):
        return f"Doses can be reported for the last {REPORT_DAYS_BACK} days only."
    return None


def stop_problem(start_date: dt.date, end_date: dt.date, reason: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not reason.strip():
        problems["reason"] = "Say why the medication stops."
    if end_date < start_date:
        problems["end_date"] = f"It started on {start_date}; it cannot stop before then."
    return problems
