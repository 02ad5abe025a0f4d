"""A goal's values over time, with its baseline and target drawn as lines (the chart of assessments.trend)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from careconductor.assessments.trend import Trend, layout

from .models import Goal


def goal_trend(goal: Goal, values: list[tuple[dt.date, Decimal]]) -> Trend | None:
    if not values or not goal.measure_def.numeric:
        return None
    lines: list[tuple[Decimal, str]] = []
    if goal.target_value is not None:
        lines.append((goal.target_value, "target"))
    if goal.baseline_value is not None:
        lines.append((goal.baseline_value, "baseline"))
    every = [v for _, v in values] + [v for v, _ in lines]
    low, high = min(every), max(every)
    pad = max((high - low) / 10, Decimal(1))
    low = max(Decimal(0), low - pad) if low >= 0 else low - pad
    return layout(
        [
            (
                dt.datetime.combine(day, dt.time()).timestamp(),
                value,
                f"{day:%Y-%m-%d}",
                f"{day:%Y-%m-%d}: {value:f}",
            )
            for day, value in values
        ],
        low=low.quantize(Decimal(1)) if low == low.to_integral() else low,
        high=high + pad,
        bands=lines,
    )
