"""The one clock. Every rule and action reads time from here so tests can move it (time-machine)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


def localdate(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day that many years earlier; 29 February becomes the 28th in a year without one."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def local_midnight(day: dt.date) -> dt.datetime:
    """The moment a day begins in the current (the organisation's) time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
