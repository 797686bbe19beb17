"""The weekly chart PNG: valid, the requested size, deterministic, and fine with missing data."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from advisor.render.chart import WeekPoint, weekly_chart_png

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


def test_valid_png_of_requested_size() -> None:
    png = weekly_chart_png(twelve_weeks())
    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (1200, 600)
    assert png_size(weekly_chart_png(twelve_weeks(), width_px=640, height_px=320, dpi=80)) == (640, 320)


def test_deterministic_and_free_of_version_or_time() -> None:
    first = weekly_chart_png(twelve_weeks())
    assert weekly_chart_png(twelve_weeks()) == first
    text_chunks = [kind for kind, _ in png_chunks(first) if kind in (b"tEXt", b"iTXt", b"zTXt", b"tIME")]
    assert text_chunks == []


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
    ],
)
def test_sparse_input_still_renders(weeks: list[WeekPoint]) -> None:
    assert png_size(weekly_chart_png(weeks)) == (1200, 600)


def test_importing_the_module_does_not_import_matplotlib() -> None:
    """The CLI imports outputs modules on start; matplotlib must only load when a chart is drawn."""
    code = "import sys, advisor.render.chart; print('matplotlib' in sys.modules)"
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"
