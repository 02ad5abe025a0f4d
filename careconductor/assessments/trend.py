"""The geometry of a score-over-time chart, drawn as inline SVG by the template (no script, prints well, and
the same numbers sit in a table beside it for screen readers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .queries import HistoryPoint

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 30


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    value: Any
    label: str  # date and band, for the tooltip


@dataclass(frozen=True)
class BandLine:
    y: float
    value: Any
    name: str


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    dots: tuple[Dot, ...]
    bands: tuple[BandLine, ...]
    ticks: tuple[tuple[float, str], ...]  # x, date label
    polyline: str
    axis_top: tuple[float, Any]
    axis_bottom: tuple[float, Any]


def build(points: list[HistoryPoint]) -> Trend | None:
    if not points:
        return None
    first = points[0].score
    return layout(
        [
            (
                p.score.effective_at.timestamp(),
                p.score.value,
                f"{p.score.effective_at:%Y-%m-%d}",
                f"{p.score.effective_at:%Y-%m-%d}: {p.score.value}"
                + (f" ({p.score.band})" if p.score.band else ""),
            )
            for p in points
        ],
        low=first.minimum,
        high=first.maximum,
        bands=[(v, str(name)) for v, name in (first.bands or []) if v > first.minimum],
    )


def layout(
    points: list[tuple[float, Any, str, str]], *, low: Any, high: Any, bands: list[tuple[Any, str]]
) -> Trend:
    """Place (time stamp, value, tick label, tooltip) points, oldest first, between `low` and `high`, with
    labelled horizontal lines at `bands` (score bands, a goal's baseline and target)."""
    span = max(float(high) - float(low), 1.0)
    times = [t for t, _, _, _ in points]
    t0, t1 = min(times), max(times)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_at(t: float) -> float:
        return round(LEFT + (plot_w / 2 if t1 == t0 else (t - t0) / (t1 - t0) * plot_w), 1)

    def y_at(v: Any) -> float:
        return round(TOP + (float(high) - float(v)) / span * plot_h, 1)

    dots = tuple(Dot(x_at(t), y_at(v), v, tip) for t, v, _, tip in points)
    step = max(1, len(points) // 6)
    ticks = tuple((d.x, p[2]) for d, p in list(zip(dots, points, strict=True))[::step])
    return Trend(
        WIDTH,
        HEIGHT,
        dots,
        tuple(BandLine(y_at(v), v, name) for v, name in bands),
        ticks,
        " ".join(f"{d.x},{d.y}" for d in dots),
        (y_at(high), high),
        (y_at(low), low),
    )
