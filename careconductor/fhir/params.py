"""Builders for search parameters of the FHIR types (token, string, date, reference), with the prefixes and
modifiers of the FHIR R4 search specification (http://hl7.org/fhir/R4/search.html)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Q
from django.utils import timezone

from careconductor.core.ids import whole_number

from .auth import Caller
from .errors import bad_request
from .registry import SearchParam

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def split_prefix(value: str) -> tuple[str, str]:
    if len(value) > 2 and value[:2] in PREFIXES and not value[2].isalpha():
        return value[:2], value[2:]
    return "eq", value


def date_range(text: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) a FHIR date(-time) value covers at its own precision."""
    found = DATE.match(text)
    if not found:
        raise bad_request(f"{text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time).")
    year, month, day, hour, minute, second, zone = found.groups()
    try:
        tz: dt.tzinfo = timezone.get_current_timezone()
        if zone:
            tz = dt.UTC if zone == "Z" else dt.datetime.strptime(zone, "%z").tzinfo  # type: ignore[assignment]
        if hour is not None:
            start = dt.datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz
            )
            return start, start + (dt.timedelta(seconds=1) if second else dt.timedelta(minutes=1))
        if day is not None:
            start = dt.datetime(int(year), int(month), int(day), tzinfo=tz)
            return start, start + dt.timedelta(days=1)
        if month is not None:
            start = dt.datetime(int(year), int(month), 1, tzinfo=tz)
            following = dt.datetime(int(year) + (int(month) == 12), int(month) % 12 + 1, 1, tzinfo=tz)
            return start, following
        return dt.datetime(int(year), 1, 1, tzinfo=tz), dt.datetime(int(year) + 1, 1, 1, tzinfo=tz)
    except ValueError as exc:
        raise bad_request(f"{text!r} is not a real date: {exc}.") from exc


def _compare(field: str, prefix: str, low: Any, high: Any) -> Q:
    """FHIR prefix semantics for a stored point value against the range [low, high)."""
    match prefix:
        case "eq" | "ap":
            return Q(**{f"{field}__gte": low, f"{field}__lt": high})
        case "ne":
            return ~Q(**{f"{field}__gte": low, f"{field}__lt": high}) & Q(**{f"{field}__isnull": False})
        case "gt" | "sa":
            return Q(**{f"{field}__gte": high})
        case "ge":
            return Q(**{f"{field}__gte": low})
        case "lt" | "eb":
            return Q(**{f"{field}__lt": low})
        case "le":
            return Q(**{f"{field}__lt": high})
    raise bad_request(f"Unknown prefix {prefix!r}.")


def date(field: str, description: str, *, is_date: bool = False) -> SearchParam:
    """A date parameter over a DateField (is_date) or DateTimeField."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        prefix, text = split_prefix(value)
        low, high = date_range(text)
        if is_date:
            # A date has no time zone: compare calendar days.
            low_day = low.date()
            high_day = high.date() if high.time() == dt.time(0) else high.date() + dt.timedelta(days=1)
            return _compare(field, prefix, low_day, high_day)
        return _compare(field, prefix, low, high)

    return SearchParam("date", description, build)


def string(fields: list[str], description: str) -> SearchParam:
    """Starts-with, case-insensitive, over any of the fields; `:exact` and `:contains` as in the spec."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}[modifier]
        found = Q()
        for name in fields:
            found |= Q(**{f"{name}__{lookup}": value})
        return found

    return SearchParam("string", description, build, modifiers=frozenset({"exact", "contains"}))


def token(
    field: str,
    description: str,
    *,
    system: str | None = None,
    codes: Mapping[str, Any] | None = None,
    transform: Callable[[str], Any] | None = None,
) -> SearchParam:
    """`[system|]code`. `codes` maps FHIR codes to stored values (None: stored as the code itself);
    `system` is the code system the stored values belong to (a different system matches nothing)."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        given_system, bar, code = value.rpartition("|") if "|" in value else ("", "", value)
        if bar and given_system and system and given_system != system:
            return Q(pk__in=[])
        if codes is not None:
            if code not in codes:
                return Q(pk__in=[])
            stored = codes[code]
        else:
            stored = transform(code) if transform else code
        matched = Q(**{f"{field}__in": stored}) if isinstance(stored, list | tuple) else Q(**{field: stored})
        return ~matched if modifier == "not" else matched

    return SearchParam("token", description, build, modifiers=frozenset({"not"}))


def reference(field: str, target: str, description: str) -> SearchParam:
    """`Type/id`, `id` or a full URL ending in Type/id, over the model field holding the referred row's id."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        if modifier and modifier != target:
            return Q(pk__in=[])
        parts = value.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] != target:
            return Q(pk__in=[])
        key = whole_number(parts[-1])
        if key is None:
            return Q(pk__in=[])
        return Q(**{field: key})

    return SearchParam(
        "reference", description, build, target=target, path=field, modifiers=frozenset({target})
    )
