"""The weekly chart: 12 weeks of distance against the cap and the pain threshold, with pain scores, as a PNG.

**Drawn with Pillow, not matplotlib.** matplotlib drew this chart in 120–190 ms of CPU (its layout engine, tick
machinery and font lookups), more than everything else in a weekly mail together, and a clinic's round draws one
per athlete. The chart is a dozen rectangles, two step lines, some dots and a few labels: drawn directly with
Pillow (which matplotlib itself installs) it takes about 10 ms, most of it the PNG's compression, and the layout is
ours to make legible on a phone.

**Phone first.** The image is 720 × 540 by default, twice a 360 px phone column, and everything scales with its
width: text is 24 px at 720 (11 px on a phone, where the picture is about 330 px wide inside the page's margins)
and the title 28 px; the legend is inside the image, above the plot, so a mail client that shows the picture shows
what its colours mean. Distances are in the runner's units: the axis and legend say km or mi.

The drawing is two steps: `chart_layout` turns the weeks into plain shapes and texts at pixel positions (what the
tests read: a label's text and size, a bar's height), and `_raster` paints them. Fonts are DejaVu Sans from
matplotlib's data (the same face the chart always used; Pillow's built-in font has no ≤ or ≥). Output is byte for
byte deterministic: no timestamp or version in the PNG.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict, Unpack

from PIL import Image, ImageDraw, ImageFont

from advisor.domain.advice.summary import WeekPoint
from advisor.render.units import METRES_PER_MILE, Units, distance_unit

__all__ = ["ChartLayout", "ChartOptions", "WeekPoint", "chart_layout", "weekly_chart_png"]

# Colour-blind-safe (Okabe-Ito); cap and threshold also differ by line style, pain dots by marker.
BAR = "#56B4E9"
CAP = "#009E73"
THRESHOLD = "#D55E00"
PAIN_OK = "#0072B2"
PAIN_HIGH = "#CC0000"
GRID = "#dddddd"
INK = "#222222"
MUTED = "#666666"
ACCEPTABLE_PAIN = 2  # TREK rule: pain up to 2/10 during or after a run is acceptable
DESIGN_WIDTH = 720
"""Sizes below are in pixels of a 720-wide image and scale with the width asked for."""
TEXT_PX = 24
TITLE_PX = 28
PAIN_AXIS = (-0.3, 10.3)

Anchor = Literal["la", "ma", "ra", "lm", "rm", "mm"]
Marker = Literal["circle", "diamond"]


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: int
    colour: str = INK
    anchor: Anchor = "la"
    bold: bool = False


@dataclass(frozen=True)
class Rect:
    """Filled, corners inclusive-exclusive as Pillow draws them: (x0, y0) to (x1, y1)."""

    x0: float
    y0: float
    x1: float
    y1: float
    colour: str


@dataclass(frozen=True)
class Line:
    """An axis-aligned polyline (the step lines), solid or dashed."""

    points: tuple[tuple[float, float], ...]
    colour: str
    width: float
    dash: tuple[float, float] | None = None


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    marker: Marker
    colour: str
    size: float


@dataclass
class ChartLayout:
    """Everything the chart shows, at pixel positions: what `_raster` paints and what the tests read."""

    width: int
    height: int
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)
    """Left, top, right, bottom of the plotting area."""
    y_max: float = 1.0
    """The distance at the plot's top, in the runner's units."""
    rects: list[Rect] = field(default_factory=list)
    paths: list[Line] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    bars: list[Rect] = field(default_factory=list)
    """The distance bars, one per week with any distance, oldest first (also in `rects`)."""


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
    return _raster(chart_layout(weeks, **options))


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
    tick_width = max(_width(_number(t), text_px) for t in ticks)
    left = pad + tick_width + 8 * s
    right = width_px - pad - _width("10", text_px) - 8 * s
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
    label_every = 1 if slot >= max((_width(w.label, text_px) for w in weeks), default=0) + 6 * s else 2
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
        width = swatch + 10 * s + _width(label, text_px)
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


# --------------------------------------------------------------------------------------------------------------
# Painting


def _raster(layout: ChartLayout) -> bytes:
    image = Image.new("RGB", (layout.width, layout.height), "white")
    draw = ImageDraw.Draw(image)
    for r in layout.rects:
        draw.rectangle((round(r.x0), round(r.y0), round(r.x1) - 1, round(r.y1) - 1), fill=r.colour)
    for path in layout.paths:
        _paint_path(draw, path)
    for dot in layout.dots:
        _paint_dot(image, dot)
    for t in layout.texts:
        draw.text((t.x, t.y), t.text, fill=t.colour, font=_font(t.size, t.bold), anchor=t.anchor)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)  # 3: a third of level 6's time, a few kB larger
    return buffer.getvalue()


def _paint_path(draw: ImageDraw.ImageDraw, path: Line) -> None:
    """Axis-aligned segments as filled rectangles (square, joined corners; no anti-aliasing needed), dashed by
    the distance walked along the whole path so a dash continues round a corner."""
    half = path.width / 2
    walked = 0.0
    for (x0, y0), (x1, y1) in zip(path.points, path.points[1:], strict=False):
        length = abs(x1 - x0) + abs(y1 - y0)
        if length == 0:
            continue  # a week ending where the next begins, at the same value
        pieces = [(0.0, length)] if path.dash is None else _dashes(walked, length, *path.dash)
        for a, b in pieces:
            ax, ay = x0 + (x1 - x0) * a / length, y0 + (y1 - y0) * a / length
            bx, by = x0 + (x1 - x0) * b / length, y0 + (y1 - y0) * b / length
            box = (round(min(ax, bx) - half), round(min(ay, by) - half), round(max(ax, bx) + half) - 1)
            draw.rectangle((*box[:3], round(max(ay, by) + half) - 1), fill=path.colour)
        walked += length


def _dashes(walked: float, length: float, on: float, off: float) -> list[tuple[float, float]]:
    """The drawn stretches of a segment `length` long that starts `walked` along a path dashed on/off."""
    pieces: list[tuple[float, float]] = []
    period = on + off
    start = -(walked % period)
    while start < length:
        a, b = max(start, 0.0), min(start + on, length)
        if b > a:
            pieces.append((a, b))
        start += period
    return pieces


def _paint_dot(image: Image.Image, dot: Dot) -> None:
    """A marker with a white rim, anti-aliased from a sprite drawn 4 × larger (cached per shape and size)."""
    size = max(4, round(dot.size))
    rim, body = _sprite(dot.marker, size)
    x, y = round(dot.x - size / 2), round(dot.y - size / 2)
    image.paste("white", (x, y), rim)
    image.paste(dot.colour, (x, y), body)


@functools.lru_cache(maxsize=16)
def _sprite(marker: Marker, size: int) -> tuple[Image.Image, Image.Image]:
    """Masks (rim, body) of one marker at `size` px, drawn at 4 × and shrunk: smooth edges at no per-dot cost."""
    big = size * 4
    masks = []
    for inset in (0, 4 * max(1, round(size / 12))):
        mask = Image.new("L", (big, big), 0)
        draw = ImageDraw.Draw(mask)
        lo, hi = inset, big - 1 - inset
        if marker == "circle":
            draw.ellipse((lo, lo, hi, hi), fill=255)
        else:
            mid = (big - 1) / 2
            draw.polygon([(mid, lo), (hi, mid), (mid, hi), (lo, mid)], fill=255)
        masks.append(mask.resize((size, size), Image.Resampling.LANCZOS))
    return masks[0], masks[1]


@functools.lru_cache(maxsize=8)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_fonts() / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _width(text: str, size: int) -> float:
    return _font(size).getlength(text)


@functools.lru_cache(maxsize=1)
def _fonts() -> Path:
    """matplotlib's bundled DejaVu fonts, found without importing matplotlib (a few hundred ms)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: the chart uses the DejaVu Sans font it ships")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
