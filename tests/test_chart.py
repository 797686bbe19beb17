"""The weekly chart PNG: valid, the requested size, deterministic, fine with missing data — and right.

"Right" is read off the picture: the bars' heights in pixels are in the ratio of the distances (worked out by hand),
a 10-mile week reaches the 10 gridline in a runner's miles, a pain of 2 is a blue circle and a 3 a red diamond, and
every word is legible on a 360 px phone (≥ 11 px there), inside the image and on no other word.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations, pairwise
from pathlib import Path

import pytest
from PIL import Image

from advisor.render.chart import (
    BAR,
    CAP,
    PAIN_HIGH,
    PAIN_OK,
    THRESHOLD,
    WeekPoint,
    chart_layout,
    weekly_chart_png,
)
from advisor.render.chart_paint import _palette, font, raster
from advisor.render.units import METRES_PER_MILE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Walk the chunks and check every CRC, which is what a strict decoder does."""
    assert data[:8] == PNG_SIGNATURE
    chunks: list[tuple[bytes, bytes]] = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def png_size(data: bytes) -> tuple[int, int]:
    _, ihdr = png_chunks(data)[0]
    width, height = struct.unpack(">II", ihdr[:8])
    return width, height


def twelve_weeks() -> list[WeekPoint]:
    distances = [18.0, 20.5, 22.0, 25.3, 12.0, 0.0, 15.0, 18.2, 21.0, 23.4, 26.0, 24.1]
    pain = [[1], [], [0, 2], [3, 5, 3], [2], [], [], [1, 4], [], [0, 0], [], [1]]
    return [
        WeekPoint(
            label=f"W{n + 2:02d}",
            distance_km=d,
            cap_km=None if n < 3 else 24.0 + n / 2,
            threshold_km=None if n < 5 else 27.0,
            pain_scores=p,
        )
        for n, (d, p) in enumerate(zip(distances, pain, strict=True))
    ]


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def columns_of(png: bytes, colour: str) -> dict[int, list[int]]:
    """For each pixel column holding `colour` exactly, the rows where it is."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    want = rgb(colour)
    found: dict[int, list[int]] = {}
    for x in range(width):
        rows = [y for y in range(height) if pixels[x, y] == want]
        if rows:
            found[x] = rows
    return found


def test_valid_png_of_requested_size() -> None:
    png = weekly_chart_png(twelve_weeks())
    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (720, 540)
    assert png_size(weekly_chart_png(twelve_weeks(), width_px=1200, height_px=600)) == (1200, 600)


def test_a_palette_image_whose_white_and_chart_colours_are_exact() -> None:
    """The PNG is 8-bit palette (a third of the RGB one's size in every mail), but mapping to the palette must not
    shift a colour: the background is pure white, and each bar's middle is the bar colour exactly."""
    png = weekly_chart_png(twelve_weeks())
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P"
    pixels = image.convert("RGB")
    assert pixels.getpixel((1, 1)) == (255, 255, 255)
    layout = chart_layout(twelve_weeks())
    for bar in layout.bars:
        assert pixels.getpixel((round((bar.x0 + bar.x1) / 2), round(bar.y1) - 2)) == rgb(BAR)


def test_deterministic_and_free_of_version_or_time() -> None:
    first = weekly_chart_png(twelve_weeks())
    assert weekly_chart_png(twelve_weeks()) == first
    text_chunks = [kind for kind, _ in png_chunks(first) if kind in (b"tEXt", b"iTXt", b"zTXt", b"tIME")]
    assert text_chunks == []


@pytest.mark.parametrize("size", [(720, 540), (1000, 700)])
def test_every_text_is_drawn_as_pillows_own_draw_text_draws_it(size: tuple[int, int]) -> None:
    """The chart's words are painted from kept glyph masks (a round of mails draws the same labels again and
    again): the picture must be, pixel for pixel, what `ImageDraw.text` paints — drawn here on the chart's own
    shapes without its words, twice so the second picture comes from the kept masks."""
    from PIL import ImageDraw

    weeks = twelve_weeks()
    weeks[3] = WeekPoint("W04", 33.3, 31.7, 28.9, [3, 8])
    layout = chart_layout(weeks, width_px=size[0], height_px=size[1])
    for _ in range(2):
        painted = Image.open(io.BytesIO(raster(layout))).convert("RGB")
        texts, layout.texts = layout.texts, []
        bare = Image.open(io.BytesIO(raster(layout))).convert("RGB")
        layout.texts = texts
        draw = ImageDraw.Draw(bare)
        for t in texts:
            draw.text((t.x, t.y), t.text, fill=t.colour, font=font(t.size, t.bold), anchor=t.anchor)
        expected = bare.quantize(palette=_palette(), dither=Image.Dither.NONE).convert("RGB")
        assert texts and painted.tobytes() == expected.tobytes()


def test_different_data_gives_a_different_picture() -> None:
    weeks = twelve_weeks()
    weeks[-1] = WeekPoint("W13", 40.0, 30.0, 27.0, [7])
    assert weekly_chart_png(weeks) != weekly_chart_png(twelve_weeks())


@pytest.mark.parametrize(
    "weeks",
    [
        pytest.param([], id="no weeks at all"),
        pytest.param([WeekPoint("W01", 0.0, None, None, [])] * 12, id="twelve empty weeks"),
        pytest.param([WeekPoint("W13", 5.0, 10.0, None, [])], id="one week, cap only"),
        pytest.param([WeekPoint("W13", 5.0, None, None, [11, -1])], id="out-of-range pain is clamped"),
        pytest.param([WeekPoint("W13", 900.0, 0.4, 1000.0, [])], id="huge and tiny values together"),
        pytest.param([WeekPoint(f"W0{i}", 5.0, 10.0, 12.0, []) for i in range(1, 4)], id="a cap the same every week"),
    ],
)
def test_sparse_input_still_renders(weeks: list[WeekPoint]) -> None:
    assert png_size(weekly_chart_png(weeks)) == (720, 540)


def test_bar_heights_are_in_the_ratio_of_the_distances() -> None:
    """10, 20, 0 and 40 km: the bars are 1 : 2 : (none) : 4 tall, each within a pixel of it, and as wide as each
    other; the empty week has no bar at all."""
    weeks = [WeekPoint(f"W0{i}", d) for i, d in enumerate([10.0, 20.0, 0.0, 40.0], start=1)]
    bars = columns_of(weekly_chart_png(weeks), BAR)
    legend_bottom = min(max(rows) for rows in bars.values())  # the legend's swatch is the shortest blue column
    plot = {x: [y for y in rows if y > legend_bottom] for x, rows in bars.items()}
    heights = {x: len(rows) for x, rows in plot.items() if rows}
    runs: list[list[int]] = []
    for x in sorted(heights):
        if runs and x == runs[-1][-1] + 1 and heights[x] == heights[runs[-1][-1]]:
            runs[-1].append(x)
        else:
            runs.append([x])
    assert len(runs) == 3, "three bars: the week of 0 km draws none"
    ten, twenty, forty = (heights[r[0]] for r in runs)
    assert abs(twenty - 2 * ten) <= 1 and abs(forty - 4 * ten) <= 1
    assert len({len(r) for r in runs}) == 1
    slot = (runs[1][0] - runs[0][0]) / 1  # one week apart
    assert runs[2][0] - runs[1][0] == pytest.approx(2 * slot, abs=1), "the third bar is two weeks on"


def test_in_miles_a_ten_mile_week_reaches_the_ten_gridline() -> None:
    """16.09344 km is 10 miles: with units "mi" its bar's top is at the height of the axis's "10", and no label
    anywhere speaks of kilometres."""
    ten_miles = 10 * METRES_PER_MILE / 1000
    layout = chart_layout([WeekPoint("W01", ten_miles / 2), WeekPoint("W02", ten_miles, ten_miles * 1.1)], units="mi")
    words = " ".join(t.text for t in layout.texts)
    assert "km" not in words and "(mi)" in words
    ten = next(t for t in layout.texts if t.text == "10" and t.x < layout.plot[0])
    tallest = max(layout.bars, key=lambda bar: bar.y1 - bar.y0)
    assert tallest.y0 == pytest.approx(ten.y, abs=1)
    assert layout.bars[0].y1 - layout.bars[0].y0 == pytest.approx((tallest.y1 - tallest.y0) / 2, abs=1)
    km = chart_layout([WeekPoint("W01", ten_miles)], units="km")
    assert "mi" not in " ".join(t.text for t in km.texts).replace("distance", "")


def test_pain_dots_acceptable_blue_circles_painful_red_diamonds() -> None:
    """A 2/10 is within the TREK rule (blue circle), a 3/10 is not (red diamond); higher pain is drawn higher."""
    layout = chart_layout([WeekPoint("W01", 10.0, pain_scores=[2]), WeekPoint("W02", 10.0, pain_scores=[3, 9])])
    plotted = [d for d in layout.dots if d.y > layout.plot[1]]
    assert [(d.marker, d.colour) for d in plotted] == [
        ("circle", PAIN_OK),
        ("diamond", PAIN_HIGH),
        ("diamond", PAIN_HIGH),
    ]
    assert plotted[0].y > plotted[1].y > plotted[2].y
    assert plotted[1].x < plotted[2].x, "two scores in one week are spread apart"
    png = weekly_chart_png([WeekPoint("W01", 10.0, pain_scores=[2]), WeekPoint("W02", 10.0, pain_scores=[3, 9])])
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for dot in plotted:
        assert image.getpixel((round(dot.x), round(dot.y))) == rgb(dot.colour)


def test_cap_and_threshold_lines_are_drawn_where_a_value_exists() -> None:
    """A cap only in the last week is still drawn (across that week); a threshold that never exists is not."""
    weeks = [WeekPoint("W01", 5.0), WeekPoint("W02", 6.0), WeekPoint("W03", 7.0, cap_km=9.0)]
    png = weekly_chart_png(weeks, title=None)
    assert columns_of(png, CAP)
    assert not columns_of(png, THRESHOLD)
    layout = chart_layout(weeks)
    (cap,) = [p for p in layout.paths if p.colour == CAP and p.points[0][1] > layout.plot[1]]
    left, _, right, _ = layout.plot
    assert cap.points[0][0] == pytest.approx(left + 2 * (right - left) / 3) and cap.points[-1][0] == right


@pytest.mark.parametrize("size", [(720, 540), (1200, 600), (360, 300)], ids=["default", "wide", "phone-sized"])
@pytest.mark.parametrize("units", ["km", "mi"])
def test_every_word_legible_on_a_phone_inside_the_image_and_on_no_other(size: tuple[int, int], units: str) -> None:
    """Shown on a 360 px phone (the picture about 330 px wide inside the page's margins), no text is under 11 px;
    the legend is in the picture; no two labels overlap."""
    width, height = size
    layout = chart_layout(
        twelve_weeks(), title="Last 12 weeks to 2026-W48", units=units, width_px=width, height_px=height
    )  # type: ignore[arg-type]
    boxes = []
    for text in layout.texts:
        assert text.size * 330 / width >= 11 - 0.1, text
        x0, y0, x1, y1 = font(text.size, text.bold).getbbox(text.text, anchor=text.anchor)
        box = (text.x + x0, text.y + y0, text.x + x1, text.y + y1)
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height, text
        boxes.append((text.text, box))
    for (a, p), (b, q) in combinations(boxes, 2):
        assert p[2] <= q[0] or q[2] <= p[0] or p[3] <= q[1] or q[3] <= p[1], f"{a!r} overlaps {b!r}"
    assert {"weekly cap", "pain threshold", "pain ≤ 2", "pain ≥ 3"} <= {t.text for t in layout.texts}


@pytest.mark.parametrize("count", [26, 52])
def test_half_a_year_or_a_year_of_weeks_keeps_its_labels_apart(count: int) -> None:
    """The clinician's report can chart up to 52 weeks: fewer week labels then, never one on another, the newest
    week's always there."""
    weeks = [WeekPoint(f"W{i + 1:02d}", 10.0 + i % 5) for i in range(count)]
    layout = chart_layout(weeks)
    labels = [t for t in layout.texts if t.text.startswith("W") and t.y > layout.plot[3]]
    assert labels[-1].text == f"W{count:02d}" and 4 <= len(labels) < count / 2
    boxes = [
        (t.x + font(t.size).getbbox(t.text, anchor=t.anchor)[0], t.x + font(t.size).getbbox(t.text, anchor=t.anchor)[2])
        for t in labels
    ]
    assert all(a[1] <= b[0] for a, b in pairwise(boxes))


def test_charts_drawn_from_many_threads_at_once_are_each_their_own() -> None:
    """The web page draws from a thread pool while the daemon may draw: the fonts are shared, the pictures not."""
    cases = [twelve_weeks()[:n] for n in range(13)] * 2
    expected = [weekly_chart_png(weeks) for weeks in cases]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(weekly_chart_png, cases)) == expected


def test_drawing_a_chart_never_imports_matplotlib() -> None:
    """matplotlib costs a few hundred milliseconds to import: the chart uses only its font files."""
    code = (
        "import sys; from advisor.render.chart import weekly_chart_png, WeekPoint; "
        "weekly_chart_png([WeekPoint('W01', 5.0, 6.0, 7.0, [3])]); print('matplotlib' in sys.modules)"
    )
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"
