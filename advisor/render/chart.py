"""The weekly chart: 12 weeks of distance against the cap and the pain threshold, with pain scores, as a PNG.

**Drawn with Pillow, not matplotlib.** matplotlib drew this chart in 120–190 ms of CPU (its layout engine, tick
machinery and font lookups), more than everything else in a weekly mail together, and a clinic's round draws one
per athlete. The chart is a dozen rectangles, two step lines, some dots and a few labels: drawn directly with
Pillow (which matplotlib itself installs) it takes about 5 ms, and the layout is
ours to make legible on a phone.

**Phone first.** The image is 720 × 540 by default, twice a 360 px phone column, and everything scales with its
width: text is 24 px at 720 (11 px on a phone, where the picture is about 330 px wide inside the page's margins)
and the title 28 px; the legend is inside the image, above the plot, so a mail client that shows the picture shows
what its colours mean. Distances are in the runner's units: the axis and legend say km or mi.

The drawing is two steps: `chart_layout` turns the weeks into plain shapes and texts at pixel positions (what the
tests read: a label's text and size, a bar's height), and `advisor.render.chart_paint.raster` paints them into an
8-bit palette PNG. Fonts are DejaVu Sans from matplotlib's data (the same face the chart always used; Pillow's
built-in font has no ≤ or ≥). Output is byte for byte deterministic: no timestamp or version in the PNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypedDict, Unpack

from advisor.domain.advice.summary import WeekPoint
from advisor.render.chart_paint import (
    BAR,
    CAP,
    GRID,
    INK,
    MUTED,
    PAIN_HIGH,
    PAIN_OK,
    THRESHOLD,
    ChartLayout,
    Dot,
    Line,
    Marker,
    Rect,
    Text,
    raster,
    text_width,
)
from advisor.render.units import METRES_PER_MILE, Units, distance_unit

__all__ = ["ChartLayout", "ChartOptions", "WeekPoint", "chart_layout", "weekly_chart_png"]

ACCEPTABLE_PAIN = 2  # TREK rule: pain up to 2/10 during or after a run is acceptable
DESIGN_WIDTH = 720
"""Sizes below are in pixels of a 720-wide image and scale with the width asked for."""
TEXT_PX = 24
TITLE_PX = 28
PAIN_AXIS = (-0.3, 10.3)


class ChartOptions(TypedDict, total=False):
    """What `weekly_chart_png` passes on to `chart_layout`: title, units and size."""

    title: str | None
    units: Units
    width_px: int
    height_px: int


def weekly_chart_png(weeks: Sequence[WeekPoint], **options: Unpack[ChartOptions]) -> bytes:
    """The chart as PNG bytes of exactly ``width_px`` × ``height_px`` (720 × 540 unless asked), weeks oldest first.

    Draws whatever it is given, including nothing at all (a new user), in which case the chart says so.
    """
    return raster(chart_layout(weeks, **options))


def chart_layout(
    weeks: Sequence[WeekPoint],
    *,
    title: str | None = "Last 12 weeks",
    units: Units = "km",
    width_px: int = DESIGN_WIDTH,
    height_px: int = 540,
) -> ChartLayout:
    """Place the title, legend, axes, bars, lines and dots of the chart (see the module's docstring)."""
    s = width_px / DESIGN_WIDTH
    text_px, pad = round(TEXT_PX * s), 16 * s
    out = ChartLayout(width_px, height_px)
    per_unit = 1.0 if units == "km" else 1000.0 / METRES_PER_MILE
    distances = [max(0.0, float(w.distance_km)) * per_unit for w in weeks]
    caps = [None if w.cap_km is None else w.cap_km * per_unit for w in weeks]
    thresholds = [None if w.threshold_km is None else w.threshold_km * per_unit for w in weeks]

    y = pad
    if title:
        out.texts.append(Text(pad, y, title, round(TITLE_PX * s), bold=True))
        y += round(TITLE_PX * s) * 1.3
    if weeks:
        y = _legend(out, weeks, caps, thresholds, units, pad, y + 4 * s, text_px, s)
    step, y_max = _distance_scale(max([*distances, *(v for v in caps + thresholds if v is not None), 1.0]) * 1.1)
    out.y_max = y_max
    ticks = [step * k for k in range(round(y_max / step) + 1)]
    tick_width = max(text_width(_number(t), text_px) for t in ticks)
    left = pad + tick_width + 8 * s
    right = width_px - pad - text_width("10", text_px) - 8 * s
    top = y + text_px * 1.4 + 10 * s
    bottom = height_px - pad - text_px * 1.3
    out.plot = (left, top, right, bottom)
    out.texts += [
        Text(left, top - 8 * s - text_px * 1.2, distance_unit(units), text_px, MUTED, "la"),
        Text(right, top - 8 * s - text_px * 1.2, "pain 0–10", text_px, MUTED, "ra"),
    ]

    def at(value: float) -> float:
        return bottom - (bottom - top) * value / y_max

    for t in ticks:
        out.rects.append(Rect(left, round(at(t)), right, round(at(t)) + max(1, round(s)), GRID))
        out.texts.append(Text(left - 8 * s, at(t), _number(t), text_px, MUTED, "rm"))
    for score in range(0, 11, 2):
        out.texts.append(Text(right + 8 * s, _pain_y(score, top, bottom), str(score), text_px, MUTED, "lm"))

    slot = (right - left) / max(len(weeks), 1)
    widest = max((text_width(w.label, text_px) for w in weeks), default=0) + 6 * s
    label_every = max(1, math.ceil(widest / slot))  # every week's label, or every other, or fewer for half a year
    for i, (week, d) in enumerate(zip(weeks, distances, strict=True)):
        centre = left + (i + 0.5) * slot
        if d > 0:
            bar = Rect(round(centre - 0.35 * slot), round(at(d)), round(centre + 0.35 * slot), round(bottom), BAR)
            out.rects.append(bar)
            out.bars.append(bar)
        if (len(weeks) - 1 - i) % label_every == 0:  # the newest week always keeps its label
            out.texts.append(Text(centre, bottom + 6 * s, week.label, text_px, INK, "ma"))
    line = round(4 * s)
    out.paths += _steps(caps, left, slot, at, CAP, line, None)
    out.paths += _steps(thresholds, left, slot, at, THRESHOLD, line, (12 * s, 7 * s))
    out.dots += _pain_dots(weeks, left, slot, top, bottom, s)
    if not weeks:
        out.texts.append(Text((left + right) / 2, (top + bottom) / 2, "No runs recorded yet", text_px, MUTED, "mm"))
    elif not any(distances):
        out.texts.append(Text((left + right) / 2, (top + bottom) / 2, "No runs in these weeks", text_px, MUTED, "mm"))
    return out


def _legend(
    out: ChartLayout,
    weeks: Sequence[WeekPoint],
    caps: list[float | None],
    thresholds: list[float | None],
    units: Units,
    left: float,
    y: float,
    text_px: int,
    s: float,
) -> float:
    """The legend's entries, left to right and wrapped at the image's width; returns the y below it."""
    entries: list[tuple[str, str]] = [("bar", f"distance ({distance_unit(units)})")]
    if any(c is not None for c in caps):
        entries.append(("cap", "weekly cap"))
    if any(t is not None for t in thresholds):
        entries.append(("threshold", "pain threshold"))
    if any(w.pain_scores for w in weeks):
        entries += [("ok", f"pain ≤ {ACCEPTABLE_PAIN}"), ("high", f"pain ≥ {ACCEPTABLE_PAIN + 1}")]
    x, row, swatch = left, y, 28 * s
    for kind, label in entries:
        width = swatch + 10 * s + text_width(label, text_px)
        if x > left and x + width > out.width - left:
            x, row = left, row + text_px * 1.4
        middle = row + text_px * 0.6
        if kind == "bar":
            out.rects.append(Rect(x, middle - 9 * s, x + swatch, middle + 9 * s, BAR))
        elif kind in ("cap", "threshold"):
            dash = (12 * s, 7 * s) if kind == "threshold" else None
            colour = CAP if kind == "cap" else THRESHOLD
            out.paths.append(Line(((x, middle), (x + swatch, middle)), colour, round(4 * s), dash))
        else:
            high = kind == "high"
            marker: Marker = "diamond" if high else "circle"
            out.dots.append(Dot(x + swatch / 2, middle, marker, PAIN_HIGH if high else PAIN_OK, 16 * s))
        out.texts.append(Text(x + swatch + 10 * s, middle, label, text_px, INK, "lm"))
        x += width + 22 * s
    return row + text_px * 1.4


def _distance_scale(top: float) -> tuple[float, float]:
    """The smallest whole tick step of 1, 2, 2.5 or 5 × 10ⁿ giving at most 6 steps up to `top`, and the axis top
    (a whole number of steps)."""
    exponent = 1
    while True:
        for m in (1, 2, 2.5, 5):
            step = m * exponent
            if step == int(step) and math.ceil(top / step - 1e-9) <= 6:
                return step, math.ceil(top / step - 1e-9) * step
        exponent *= 10


def _number(value: float) -> str:
    return f"{value:g}"


def _pain_y(score: float, top: float, bottom: float) -> float:
    low, high = PAIN_AXIS
    return bottom - (bottom - top) * (score - low) / (high - low)


def _steps(
    values: list[float | None],
    left: float,
    slot: float,
    at: Callable[[float], float],
    colour: str,
    width: float,
    dash: tuple[float, float] | None,
) -> list[Line]:
    """A line spanning each week's full slot, joined up and down between neighbouring weeks, broken where a week
    has no value (a cap that exists only for the current week is still drawn, across its own slot)."""
    paths: list[Line] = []
    points: list[tuple[float, float]] = []
    for i, value in enumerate([*values, None]):
        if value is None:
            if points:
                paths.append(Line(tuple(points), colour, width, dash))
            points = []
            continue
        y = round(at(value))
        x0, x1 = left + i * slot, left + (i + 1) * slot
        points += [(x0, y), (x1, y)]  # from the previous week's end: a vertical join
    return paths


def _pain_dots(weeks: Sequence[WeekPoint], left: float, slot: float, top: float, bottom: float, s: float) -> list[Dot]:
    """Each pain score as a dot on the pain scale; several in a week are spread sideways so equal ones show."""
    dots: list[Dot] = []
    for i, week in enumerate(weeks):
        scores = [min(10, max(0, int(score))) for score in week.pain_scores]
        n = len(scores)
        for k, score in enumerate(scores):
            offset = 0.0 if n == 1 else -0.25 + 0.5 * k / (n - 1)
            high = score > ACCEPTABLE_PAIN
            x = left + (i + 0.5 + offset) * slot
            marker: Marker = "diamond" if high else "circle"
            dots.append(Dot(x, _pain_y(score, top, bottom), marker, PAIN_HIGH if high else PAIN_OK, 16 * s))
    return dots
