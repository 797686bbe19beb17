"""The chart's shapes and their painting: plain shapes at pixel positions (what `advisor.render.chart` lays out and
the tests read) painted with Pillow into a PNG, and the DejaVu fonts both measure and draw text with."""

from __future__ import annotations

import functools
import importlib.util
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageDraw, ImageFont

# Colour-blind-safe (Okabe-Ito); cap and threshold also differ by line style, pain dots by marker.
BAR = "#56B4E9"
CAP = "#009E73"
THRESHOLD = "#D55E00"
PAIN_OK = "#0072B2"
PAIN_HIGH = "#CC0000"
GRID = "#dddddd"
INK = "#222222"
MUTED = "#666666"

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


# --------------------------------------------------------------------------------------------------------------
# Painting


def raster(layout: ChartLayout) -> bytes:
    image = Image.new("RGB", (layout.width, layout.height), "white")
    draw = ImageDraw.Draw(image)
    for r in layout.rects:
        draw.rectangle((round(r.x0), round(r.y0), round(r.x1) - 1, round(r.y1) - 1), fill=r.colour)
    for path in layout.paths:
        _paint_path(draw, path)
    for dot in layout.dots:
        _paint_dot(image, dot)
    for t in layout.texts:
        _paint_text(draw, t)
    buffer = io.BytesIO()
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def _paint_text(draw: ImageDraw.ImageDraw, t: Text) -> None:
    """`draw.text` of one line, with the glyphs' mask kept: a round of a clinic's mails draws the same week labels,
    ticks and legend again and again, and rasterising them was a third of painting a chart.

    What `ImageDraw.text` does for one line of an anti-aliased font, in its own calls: the mask of the text at the
    position's fraction of a pixel (FreeType places glyphs to 1/64 px), drawn in the colour at the integer part
    plus the mask's offset (tests/test_chart.py holds the picture to `draw.text`'s, pixel for pixel)."""
    fraction_x, whole_x = math.modf(t.x)
    fraction_y, whole_y = math.modf(t.y)
    mask, (dx, dy) = _text_mask(t.text, t.size, t.bold, t.anchor, fraction_x, fraction_y)
    ink = draw._getink(t.colour)[0]
    draw.draw.draw_bitmap((int(whole_x) + dx, int(whole_y) + dy), mask, ink)


@functools.lru_cache(maxsize=2048)
def _text_mask(
    text: str, size: int, bold: bool, anchor: Anchor, fraction_x: float, fraction_y: float
) -> tuple[Any, tuple[int, int]]:
    """The anti-aliased mask of `text` drawn at that fraction of a pixel, and where it goes from the position."""
    return font(size, bold).getmask2(text, "L", anchor=anchor, start=(fraction_x, fraction_y))


BLEND_STEPS = 8
NEAR = 8
"""Pillow maps a pixel to its palette through a cache of coarsened colours, so two entries closer than this in
every channel could swap (white drawn as 251, 251, 251): a blend that near an entry already listed is left out."""


@functools.lru_cache(maxsize=1)
def _palette() -> Image.Image:
    """The chart's colours exactly, white, and the steps between them that anti-aliasing paints (text and markers
    on white, a marker's rim over a bar or a line), the chart's own first: every pixel is mapped to the nearest of
    these, so the PNG is an 8-bit palette image. Writing it takes a third of the time of the RGB image's (whose
    rows PNG filters and compresses three bytes a pixel), and it is a third of the size, which every mail carries
    base64-encoded."""
    solid = [_rgb(c) for c in (BAR, CAP, THRESHOLD, PAIN_OK, PAIN_HIGH, GRID, INK, MUTED)]
    white = (255, 255, 255)
    colours = [white, *solid]
    for a, b in [(c, white) for c in solid] + [(x, y) for i, x in enumerate(solid) for y in solid[i + 1 :]]:
        for step in range(1, BLEND_STEPS):
            blend = tuple(round(p + (q - p) * step / BLEND_STEPS) for p, q in zip(a, b, strict=True))
            if all(max(abs(p - q) for p, q in zip(blend, c, strict=True)) >= NEAR for c in colours):
                colours.append(blend)
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours[:256] for channel in colour])
    return palette


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


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
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_fonts() / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def text_width(text: str, size: int) -> float:
    return font(size).getlength(text)


@functools.lru_cache(maxsize=1)
def _fonts() -> Path:
    """matplotlib's bundled DejaVu fonts, found without importing matplotlib (a few hundred ms)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: the chart uses the DejaVu Sans font it ships")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
