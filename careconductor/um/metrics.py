"""The yearly prior-authorisation figures CMS-0057-F asks plans to publish (metrics_rules.py has the rules and
their conventions), read from the organisation's requests: one query, counted over every request (the policy's
um_counted_rows: a count names no one), and the list of requests behind a figure, read through um_rows (so a
sensitive request the viewer may not read is counted but never listed). The page, the CSV and the JSON file show
the same Figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.privacy import policy

from . import metrics_rules, rules
from .choices import PLAN_TYPE_LABELS
from .models import AuthRequest

FIRST_DECISIONS = [s.value for s in (rules.Status.APPROVED, rules.Status.PARTIAL, rules.Status.DENIED)]


def _zone(user: User) -> ZoneInfo:
    organization = user.organization
    return ZoneInfo((organization.time_zone if organization else "") or settings.TIME_ZONE)


# A moment as seconds since 1970 (UTC), computed by the database: a million rows then cross into Python as plain
# floats, with no datetime made (17 s through values_list on SQLite, 21 s streamed as datetimes on PostgreSQL).
EPOCH_SQL = {
    "postgresql": 'EXTRACT(EPOCH FROM "um_authrequest"."{}")::float8',
    "sqlite": '((julianday("um_authrequest"."{}") - 2440587.5) * 86400.0)',
}


def figures(user: User) -> list[metrics_rules.Figures]:
    """The figures over every decided request of the organisation: the policy's rows, streamed from the database
    as codes and epoch seconds and tallied as they come (metrics_rules.Tally)."""
    epoch = EPOCH_SQL[connection.vendor]
    rows = (
        policy.um_counted_rows(user)
        .filter(decision__in=FIRST_DECISIONS, decided_at__isnull=False)
        .annotate(
            received_s=RawSQL(epoch.format("received_at"), []),
            decided_s=RawSQL(epoch.format("decided_at"), []),
        )
        .values_list(
            "plan_type", "urgency", "decision", "status", "received_s", "decided_s", "extension_days"
        )
    )
    sql, params = rows.query.sql_with_params()
    local_year = _local_year(_zone(user))
    plans = {p.value: p for p in rules.PlanType}
    urgencies = {u.value: u for u in rules.Urgency}
    statuses = {s.value: s for s in rules.Status}
    tally = metrics_rules.Tally()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            for plan, urgency, decision, status, received, decided, extension_days in batch:
                tally.add(
                    local_year(decided),
                    plans[plan],
                    urgencies[urgency],
                    statuses[decision],
                    (decided - received) / 3600,
                    appeal_outcome=APPEAL_OUTCOMES.get(status),
                    extended=extension_days > 0,
                )
    return tally.figures()


APPEAL_OUTCOMES = {s.value: s for s in (rules.Status.APPEAL_APPROVED, rules.Status.APPEAL_DENIED)}
YEAR_SECONDS = 365.2425 * 86400


def _local_year(zone: ZoneInfo) -> Callable[[float], int]:
    """The year on the plan's clock of a moment given as epoch seconds: estimated from the seconds, then checked
    against the zone's own New Year (cheaper than converting a million moments to datetimes)."""
    starts: dict[int, float] = {}

    def start(year: int) -> float:
        if year not in starts:
            starts[year] = dt.datetime(year, 1, 1, tzinfo=zone).timestamp()
        return starts[year]

    def year_of(seconds: float) -> int:
        year = 1970 + int(seconds // YEAR_SECONDS)
        while seconds < start(year):
            year -= 1
        while seconds >= start(year + 1):
            year += 1
        return year

    return year_of


def breaches(user: User) -> int:
    """How many requests went past their due time (the plan's own count; not one of the published figures)."""
    return policy.um_counted_rows(user).filter(breached_at__isnull=False).count()


FIGURE_FILTERS: dict[str, dict[str, object]] = {
    "decided": {},
    "approved": {"decision__in": [rules.Status.APPROVED.value, rules.Status.PARTIAL.value]},
    "denied": {"decision": rules.Status.DENIED.value},
    "appeal-approved": {"status": rules.Status.APPEAL_APPROVED.value},
    "extension-approved": {
        "decision__in": [rules.Status.APPROVED.value, rules.Status.PARTIAL.value],
        "extension_days__gt": 0,
    },
}


FIGURE_WORDS = {
    "decided": "all decided",
    "approved": "approved in full or in part",
    "denied": "denied",
    "appeal-approved": "approved after appeal",
    "extension-approved": "approved after the time frame was extended",
}


def behind(user: User, year: int, plan_type: str, figure: str) -> QuerySet[AuthRequest]:
    """The requests behind one figure that the viewer may read (um_rows), newest decision first."""
    zone = _zone(user)
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    end = dt.datetime(year + 1, 1, 1, tzinfo=zone)
    return (
        policy.um_rows(user)
        .filter(decision__in=FIRST_DECISIONS, decided_at__gte=start, decided_at__lt=end, plan_type=plan_type)
        .filter(**FIGURE_FILTERS.get(figure, {}))
        .select_related("patient")
        .prefetch_related("lines")
        .order_by("-decided_at", "-pk")
    )


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _share(value: float) -> str:
    return f"{100 * value:.1f}"


HEADER = [
    "year", "plan_type", "requests_decided", "approved_percent", "denied_percent", "approved_after_appeal_percent",
    "approved_after_extension_percent", "standard_requests", "standard_average_hours", "standard_median_hours",
    "expedited_requests", "expedited_average_hours", "expedited_median_hours",
]  # fmt: skip


def as_csv(found: list[metrics_rules.Figures]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for f in found:
        writer.writerow(
            [
                f.year, f.plan_type.value, f.decided, _share(f.approved_share), _share(f.denied_share),
                _share(f.approved_after_appeal_share), _share(f.approved_after_extension_share),
                f.standard.requests, _hours(f.standard.average_hours), _hours(f.standard.median_hours),
                f.expedited.requests, _hours(f.expedited.average_hours), _hours(f.expedited.median_hours),
            ]
        )  # fmt: skip
    return out.getvalue()


def as_json(found: list[metrics_rules.Figures], organisation: str) -> str:
    """The file to publish: the figures with the conventions they follow, no request or member in it."""
    report = {
        "organisation": organisation,
        "rule": "CMS-0057-F (89 FR 8758): prior authorization metrics",
        "generated": clock.now().isoformat(timespec="seconds"),
        "conventions": (metrics_rules.__doc__ or "").split("Conventions", 1)[-1].strip(" (:"),
        "figures": [
            {
                "year": f.year,
                "planType": f.plan_type.value,
                "planTypeName": PLAN_TYPE_LABELS[f.plan_type],
                "requestsDecided": f.decided,
                "approvedPercent": round(100 * f.approved_share, 1),
                "deniedPercent": round(100 * f.denied_share, 1),
                "approvedAfterAppealPercent": round(100 * f.approved_after_appeal_share, 1),
                "approvedAfterExtensionPercent": round(100 * f.approved_after_extension_share, 1),
                "standard": _turnaround(f.standard),
                "expedited": _turnaround(f.expedited),
            }
            for f in found
        ],
    }
    return json.dumps(report, indent=2)


def _turnaround(t: metrics_rules.Turnaround) -> dict[str, object]:
    return {
        "requests": t.requests,
        "averageHoursToDecision": None if t.average_hours is None else round(t.average_hours, 1),
        "medianHoursToDecision": None if t.median_hours is None else round(t.median_hours, 1),
    }
