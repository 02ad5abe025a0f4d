"""The yearly CMS-0057-F figures (clinical.md §8: approval and denial rates, approved after appeal, turnaround),
worked out by hand for a small year of requests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from careconductor.um.metrics_rules import Decided, Turnaround, yearly_figures
from careconductor.um.rules import PlanType, Status, Urgency

NY = ZoneInfo("America/New_York")
MA, QHP = PlanType.MEDICARE_ADVANTAGE, PlanType.QHP_EXCHANGE
E, S = Urgency.EXPEDITED, Urgency.STANDARD


def at(month: int, day: int, hour: int = 9, year: int = 2027) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=NY)


def request(urgency: Urgency, hours: float, decision: Status, plan: PlanType = MA, **kw: object) -> Decided:
    received = at(3, 1)
    return Decided(plan, urgency, received, decision, received + dt.timedelta(hours=hours), **kw)  # type: ignore[arg-type]


def test_a_years_figures_for_one_plan_type() -> None:
    year = [
        request(S, 24, Status.APPROVED),
        request(S, 48, Status.APPROVED, extended=True),
        request(S, 120, Status.DENIED, appeal_outcome=Status.APPEAL_APPROVED),
        request(S, 168, Status.PARTIAL),
        request(E, 10, Status.APPROVED),
        request(E, 30, Status.DENIED, appeal_outcome=Status.APPEAL_DENIED),
    ]
    [figures] = yearly_figures(year, NY)
    assert (figures.year, figures.plan_type, figures.decided) == (2027, MA, 6)
    assert figures.approved_share == pytest.approx(4 / 6)  # the partial approval counts as approved
    assert figures.denied_share == pytest.approx(2 / 6)
    assert figures.approved_after_appeal_share == pytest.approx(1 / 6)
    assert figures.approved_after_extension_share == pytest.approx(1 / 6)
    assert figures.standard == Turnaround(4, (24 + 48 + 120 + 168) / 4, (48 + 120) / 2)
    assert figures.expedited == Turnaround(2, 20.0, 20.0)


def test_years_and_plan_types_apart_and_the_year_is_the_first_decisions_on_the_plans_clock() -> None:
    late = Decided(
        MA, S, at(12, 28), Status.APPROVED, dt.datetime(2028, 1, 1, 4, 30, tzinfo=dt.UTC)
    )  # 23:30 NY
    new_year = Decided(MA, S, at(12, 30), Status.DENIED, at(1, 2, year=2028))
    exchange = Decided(QHP, E, at(6, 1), Status.APPROVED, at(6, 2))
    figures = yearly_figures([new_year, exchange, late], NY)
    assert [(f.year, f.plan_type, f.decided) for f in figures] == [
        (2027, MA, 1),
        (2027, QHP, 1),
        (2028, MA, 1),
    ]
    assert figures[0].approved_share == 1.0 and figures[2].denied_share == 1.0
    assert figures[1].standard == Turnaround(0, None, None) and figures[1].expedited.requests == 1
    assert yearly_figures([], NY) == []
