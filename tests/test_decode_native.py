"""The fitfast fast path against fitdecode, on every sample file: exactly the same `DecodedActivity`, or a fallback
for a stated reason.

`decode_fast` is the fast path alone (it raises `Fallback` instead of falling back), so these tests see which
files fitfast really reads. The expected fallbacks are listed: a new fitfast that reads more (or fewer) files
fails here on purpose, and whoever bumps the pin re-checks equality on the newly read files.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

import pytest
from corpus import corpus_dir, corpus_file, corpus_rows, requires_corpus
from fit_tool.utils.crc import crc16
from fitgen import track_from_segments, write_activity

from advisor.ingest.decode import decode_fit, fitfast_backend
from advisor.ingest.decode.fitfast_backend import Fallback, decode_fast

ROWS = corpus_rows() if corpus_dir() else []
ZERO_HEADER_CRC = "checksum mismatch"
"""fitfast 0.1.0's false rejection of a 14-byte header whose CRC is 0x0000 (allowed by the spec)."""
EXPECTED_FALLBACKS = {
    "fit-parser-js/example.fit": ZERO_HEADER_CRC,
    "python-fitparse/2013-02-06-12-11-14.fit": ZERO_HEADER_CRC,
    "python-fitparse/2015-10-13-08-43-15.fit": ZERO_HEADER_CRC,
    "python-fitparse/Edge810-Vector-2013-08-16-15-35-10.fit": ZERO_HEADER_CRC,
    "python-fitparse/Settings.fit": ZERO_HEADER_CRC,
    "python-fitparse/sample-activity-indoor-trainer.fit": ZERO_HEADER_CRC,
    "python-fitparse/MonitoringFile.fit": "monitoring messages",
    "python-fitparse/activity-settings.fit": "chained FIT file",
    "python-fitparse/compressed-speed-distance.fit": "compressed speed/distance",
    "python-fitparse/sample_mulitple_header.fit": "sport and session names differ",
    "tormoder-fit/unterminated-strings.fit": "a developer field shadows a native field",
    # broken on purpose: fitdecode fails them too, with its own reason (tests/test_decode.py)
    "python-fitparse/activity-activity-filecrc.fit": "checksum mismatch, found 45525",
    "python-fitparse/activity-filecrc.fit": "checksum mismatch, found 45525",
    "python-fitparse/activity-settings-corruptheader.fit": "not a FIT file",
    "python-fitparse/activity-settings-nodata.fit": "unexpected EOF",
    "python-fitparse/activity-unexpected-eof.fit": "unexpected EOF",
    "python-fitparse/nick.fit": "unexpected EOF",
    "python-fitparse/strava-android-app-201.10-b1218918.fit": "missing message definition",
}


def assert_identical(a: Any, b: Any, path: str = "decoded") -> None:
    """Field by field, floats *exactly* equal (no tolerance: the fast path must not change a single number)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            assert_identical(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


@requires_corpus
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["file"])
def test_fast_path_gives_fitdecodes_result_or_falls_back_for_a_stated_reason(row: dict[str, str]) -> None:
    data = corpus_file(row).read_bytes()
    expected_reason = EXPECTED_FALLBACKS.get(row["file"])
    if expected_reason is not None:
        with pytest.raises(Fallback, match=expected_reason):
            decode_fast(data)
        return
    assert_identical(decode_fast(data), decode_fit(data, "fitdecode"))


@requires_corpus
@pytest.mark.parametrize("file", [f for f, why in EXPECTED_FALLBACKS.items() if why == ZERO_HEADER_CRC])
def test_valid_files_fitfast_rejects_still_decode_through_fitdecode(file: str) -> None:
    data = corpus_file({"file": file}).read_bytes()
    assert_identical(decode_fit(data, "fitfast"), decode_fit(data, "fitdecode"))


def test_zero_header_crc_is_rejected_by_fitfast_and_read_by_the_fallback() -> None:
    good = write_activity(None, track_from_segments([(1000, 0.05)], speed=3.0, noise_m=0.3, seed=2)[:300])
    body = good[12:-2]
    header = struct.pack("<BBHI4s", 14, good[1], struct.unpack("<H", good[2:4])[0], len(body), b".FIT")
    header += struct.pack("<H", 0)
    zero_crc = header + body + struct.pack("<H", crc16(header + body))
    with pytest.raises(Fallback, match=ZERO_HEADER_CRC):
        decode_fast(zero_crc)
    assert_identical(fitfast_backend.decode(zero_crc), decode_fit(zero_crc, "fitdecode"))
    assert len(fitfast_backend.decode(zero_crc).records) == 300


@pytest.mark.parametrize("speed", [4.06, 2.03, 8.024, 3.0])
def test_enhanced_speed_is_the_16_bit_value_not_fitfasts_truncation(speed: float) -> None:
    """fitfast expands speed 4.06 into enhanced_speed 4.059; the fast path must give fitdecode's 4.06."""
    points = [(float(t), speed * t, 100.0 + t % 7 * 0.2, speed, 140, 85.0) for t in range(120)]
    data = write_activity(None, points, enhanced=False)
    fast = decode_fast(data)
    assert_identical(fast, decode_fit(data, "fitdecode"))
    assert set(fast.records.speed_mps) == {speed}
