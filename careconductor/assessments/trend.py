"""The geometry of a score-over-time chart, drawn as inline SVG by the template (no script, prints well, and
the same numbers sit in a table beside it for screen readers)."""

from __future__ import annotations

from dataclasses import dataclass

from .queries import HistoryPoint

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 30


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    value: int
    label: str  # date and band, for the tooltip


@dataclass(frozen=True)
class BandLine:
    y: float
    value: int
    name: str


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    dots: tuple[Dot, ...]
    bands: tuple[BandLine, ...]
    ticks: tuple[tuple[float, str], ...]  # x, date label
    polyline: str
    axis_top: tuple[float, int]
    axis_bottom: tuple[float, int]


def build(points: list[HistoryPoint]) -> Trend | None:
    if not points:
        return None
    first = points[0].score
    low, high = first.minimum, first.maximum
    span = max(high - low, 1)
    times = [p.score.effective_at.timestamp() for p in points]
    t0, t1 = min(times), max(times)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_at(t: float) -> float:
        return round(LEFT + (plot_w / 2 if t1 == t0 else (t - t0) / (t1 - t0) * plot_w), 1)

    def y_at(v: float) -> float:
        return round(TOP + (high - v) / span * plot_h, 1)

    dots = tuple(
        Dot(
            x_at(t),
            y_at(p.score.value),
            p.score.value,
            f"{p.score.effective_at:%Y-%m-%d}: {p.score.value}"
            + (f" ({p.score.band})" if p.score.band else ""),
        )
        for t, p in zip(times, points, strict=True)
    )
    bands = tuple(BandLine(y_at(v), int(v), str(name)) for v, name in (first.bands or []) if v > low)
    step = max(1, len(points) // 6)
    ticks = tuple(
        (d.x, f"{p.score.effective_at:%Y-%m-%d}") for d, p in list(zip(dots, points, strict=True))[::step]
    )
    return Trend(
        WIDTH,
        HEIGHT,
        dots,
        bands,
        ticks,
        " ".join(f"{d.x},{d.y}" for d in dots),
        (y_at(high), high),
        (y_at(low), low),
    )
