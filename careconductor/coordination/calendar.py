"""Business days: the public holidays of the configured country (the `holidays` package, shipped with its
data, nothing fetched) plus the organisation's own days off (coordination.Holiday)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings

from .models import Holiday


@lru_cache(maxsize=64)
def _public(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def public_holidays(start: dt.date, end: dt.date) -> frozenset[dt.date]:
    days: set[dt.date] = set()
    for year in range(start.year, end.year + 1):
        days |= _public(settings.HOLIDAY_COUNTRY, settings.HOLIDAY_SUBDIVISION, year)
    return frozenset(d for d in days if start <= d <= end)


def holiday_set(organization_id: int, start: dt.date, end: dt.date) -> frozenset[dt.date]:
    """Every non-business weekday between start and end (inclusive) for the organisation: one query."""
    own = Holiday.objects.filter(organization_id=organization_id, date__range=(start, end)).values_list(
        "date", flat=True
    )
    return public_holidays(start, end) | frozenset(own)
