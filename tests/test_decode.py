"""The FIT decoding layer: both backends, on the real sample corpus and on files fit-tool writes for us.

What the corpus taught us (INDEX.tsv's `fitparse_status` is python-fitparse 1.2.0's verdict, not ours):
- coros-pace-2-cycling-misaligned-fields.fit is marked FAIL but is a good file: fields whose size is not a
  multiple of their type are read as bytes by both current libraries (fitdecode needs ErrorHandling.IGNORE/WARN).
  It has 11,272 records; INDEX's 1,785 is where 1.2.0 gave up.
- nick.fit fails with both libraries: every message is there but the 2-byte CRC at the end is missing, i.e. the
  file is truncated; an unverifiable file is refused like any other truncated one.
- strava-android-app-201.10-b1218918.fit fails with both: a recording app crash left a data message with an
  undefined local message type; other decoders' suites also treat it as invalid.
- DeveloperData.fit's 3 records carry no timestamp at all, so they are skipped (INDEX counts them).
- antfs-dump.63.fit and compressed-speed-distance.fit (Forerunner 70) use times relative to power-on; they are
  anchored with the activity message's local time, so their records are kept.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import pytest
from corpus import corpus_dir, corpus_file, corpus_rows, requires_corpus
from fit_tool.utils.crc import crc16
from fitgen import (
    Day,
    Leg,
    Point,
    quantize,
    track_from_segments,
    write_activity,
    write_monitoring,
    write_multisport,
    write_non_activity,
)

from advisor.ingest.decode import BACKENDS, DecodedActivity, DecodeError, decode_fit

BROKEN_ON_PURPOSE = {
    "python-fitparse/activity-activity-filecrc.fit": "bad CRC",
    "python-fitparse/activity-filecrc.fit": "bad CRC",
    "python-fitparse/activity-settings-corruptheader.fit": "not a FIT file (corrupt header)",
    "python-fitparse/activity-settings-nodata.fit": "truncated file (unexpected end of data)",
    "python-fitparse/activity-unexpected-eof.fit": "truncated file (unexpected end of data)",
    "python-fitparse/nick.fit": "truncated file (unexpected end of data)",
    "python-fitparse/strava-android-app-201.10-b1218918.fit": "invalid local message type",
}
RECORD_COUNT_EXCEPTIONS = {
    "python-fitparse/coros-pace-2-cycling-misaligned-fields.fit": 11272,
    "python-fitparse/DeveloperData.fit": 0,
}
NUMERIC_SPORTS = {"53": "diving", "82": "snorkeling"}
"""INDEX sport values fitparse 1.2.0's profile did not know; today's profiles name them."""

ROWS = corpus_rows() if corpus_dir() else []


@cache
def _decoded(file: str, backend: str) -> DecodedActivity | DecodeError:
    data = corpus_file({"file": file}).read_bytes()
    try:
        return decode_fit(data, backend)
    except DecodeError as error:
        return error


def assert_same(a: Any, b: Any, path: str = "decoded") -> None:
    """Field-by-field equality, floats within 1e-9, with the path of the first difference in the message."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=0, abs_tol=1e-9), f"{path}: {a!r} != {b!r}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


# --- the sample corpus --------------------------------------------------------------------------------------


@requires_corpus
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["file"])
def test_corpus_file_decodes_or_fails_as_expected(row: dict[str, str], backend: str) -> None:
    result = _decoded(row["file"], backend)
    expected_failure = BROKEN_ON_PURPOSE.get(row["file"])
    if expected_failure is None:
        assert isinstance(result, DecodedActivity), f"{row['file']} failed: {result}"
    else:
        assert isinstance(result, DecodeError), f"{row['file']} should fail with {expected_failure!r}"
        assert str(result) == expected_failure
        assert "\n" not in str(result)


@requires_corpus
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["file"])
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "fitdecode"])
def test_backends_agree(row: dict[str, str], backend: str) -> None:
    a, b = _decoded(row["file"], "fitdecode"), _decoded(row["file"], backend)
    if isinstance(a, DecodeError) or isinstance(b, DecodeError):
        assert (type(a), str(a)) == (type(b), str(b))
    else:
        assert_same(a, b)


@requires_corpus
@pytest.mark.parametrize("row", [r for r in ROWS if r["file"] not in BROKEN_ON_PURPOSE], ids=lambda r: r["file"])
def test_corpus_matches_index(row: dict[str, str]) -> None:
    decoded = _decoded(row["file"], "fitdecode")
    assert isinstance(decoded, DecodedActivity)
    assert decoded.file_type == row["file_type"].split("+")[0]  # chained activity+settings: the activity wins
    expected_records = RECORD_COUNT_EXCEPTIONS.get(row["file"], int(row["n_record"]))
    assert len(decoded.records) == expected_records
    if row["sport"]:
        sports = list(dict.fromkeys(s.sport for s in decoded.sessions))
        assert sports == [NUMERIC_SPORTS.get(s, s) for s in row["sport"].split("+")]
    times = decoded.records.time_s
    assert all(t > 946684800 for t in times), "record times are absolute POSIX seconds after 2000"
    for session in decoded.sessions:
        assert session.start_time.tzinfo is not None


@requires_corpus
def test_monitoring_file_gives_daily_steps() -> None:
    """vívofit daily file: local day 2014-12-27 (UTC-6); its end-of-day summary says 3142 walking + 31 running."""
    decoded = _decoded("python-fitparse/MonitoringFile.fit", "fitdecode")
    assert isinstance(decoded, DecodedActivity)
    assert decoded.file_type == "monitoring_b"
    assert [(c.day, c.steps, c.ascent_m) for c in decoded.daily_climbs] == [(date(2014, 12, 27), 3173, None)]


@requires_corpus
def test_relative_timestamps_are_anchored() -> None:
    decoded = _decoded("python-fitparse/antfs-dump.63.fit", "fitparse")
    assert isinstance(decoded, DecodedActivity)
    assert decoded.sessions[0].start_time.date() == date(2012, 2, 13)
    assert decoded.records.time_s == sorted(decoded.records.time_s)


# --- files we write -----------------------------------------------------------------------------------------

HILLY = track_from_segments([(2000, 0.0), (3000, -0.06), (3000, 0.06)], speed=3.0, noise_m=0.3, seed=1)


ROUND_TRIP_POINTS = [*HILLY[:-1], dataclasses.replace(HILLY[-1], cadence=86.5, heart_rate=171)]


@cache
def _written(kind: str) -> bytes:
    """fit-tool needs seconds to write an 8 km run, so each generated file is written once per session."""
    if kind == "pause":
        return write_activity(None, HILLY, pauses=[(600, 900)])
    return write_activity(None, ROUND_TRIP_POINTS, enhanced=kind == "enhanced")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("enhanced", [True, False], ids=["enhanced", "legacy"])
def test_generated_run_round_trips(backend: str, enhanced: bool) -> None:
    points = ROUND_TRIP_POINTS
    decoded = decode_fit(_written("enhanced" if enhanced else "legacy"), backend)
    rec = decoded.records
    assert len(rec) == len(points)
    start = datetime(2024, 5, 4, 7, 30, tzinfo=UTC).timestamp()
    assert rec.time_s == [start + p.t for p in points]
    assert rec.distance_m == [quantize("distance", p.distance_m) for p in points]
    assert rec.altitude_m == [quantize("altitude", p.altitude_m) for p in points]
    assert rec.speed_mps == [quantize("speed", p.speed_mps) for p in points]
    assert rec.heart_rate == [p.heart_rate for p in points]
    assert rec.cadence == [quantize("cadence", p.cadence) for p in points]
    assert rec.cadence[-1] == 86.5
    (session,) = decoded.sessions
    assert (session.sport, session.sub_sport) == ("running", "generic")
    assert session.total_distance_m == 8000.0
    assert session.total_elapsed_time_s == points[-1].t
    assert session.avg_cadence == 85.0
    assert decoded.file_type == "activity"
    assert decoded.local_offset_s == 7200
    assert decoded.serial_number == 1234567890


def test_generated_hill_profile_is_the_one_asked_for() -> None:
    """Noise-free, the track descends 180 m then climbs 180 m (to within one 3 m sample step at 6 %, 0.18 m);
    with noise each sample stays within 5 sigma."""
    clean = track_from_segments([(2000, 0.0), (3000, -0.06), (3000, 0.06)], speed=3.0)
    assert min(p.altitude_m for p in clean) == pytest.approx(100.0 - 180.0, abs=0.2)
    assert clean[-1].altitude_m == pytest.approx(100.0)
    assert all(abs(n.altitude_m - c.altitude_m) < 1.5 for n, c in zip(HILLY, clean, strict=True))
    assert track_from_segments([(100, 0.1)], noise_m=0.3, seed=1) == track_from_segments(
        [(100, 0.1)], noise_m=0.3, seed=1
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_pause_leaves_a_gap_and_shorter_timer_time(backend: str) -> None:
    decoded = decode_fit(_written("pause"), backend)
    assert not any(600 < t - decoded.records.time_s[0] < 900 for t in decoded.records.time_s)
    session = decoded.sessions[0]
    assert session.total_timer_time_s == session.total_elapsed_time_s - 300


def test_points_may_be_plain_tuples() -> None:
    """(t, distance, altitude, speed, heart_rate, cadence); None leaves a field out of the record."""
    rows = [(0, 0.0, 10.0, 2.5, 140, 80.0), (1, 2.5, None, 2.5, None, None)]
    decoded = decode_fit(write_activity(None, rows))
    assert decoded.records.altitude_m == [10.0, None]
    assert decoded.records.heart_rate == [140, None]
    assert write_activity(None, rows) == write_activity(None, [Point(*r) for r in rows])


@pytest.mark.parametrize("backend", BACKENDS)
def test_activity_without_session_still_decodes(backend: str) -> None:
    decoded = decode_fit(write_activity(None, HILLY[:50], with_session=False), backend)
    assert decoded.sessions == [] and len(decoded.records) == 50


@pytest.mark.parametrize("backend", BACKENDS)
def test_chained_files_accumulate_sessions_and_records(backend: str) -> None:
    first = write_activity(None, HILLY[:100], sport="running", sub_sport="trail")
    second = write_activity(None, HILLY[:60], sport="walking", start=datetime(2024, 5, 5, 8, 0, tzinfo=UTC))
    decoded = decode_fit(first + second + write_non_activity(None, "settings"), backend)
    assert [(s.sport, s.sub_sport) for s in decoded.sessions] == [("running", "trail"), ("walking", "generic")]
    assert len(decoded.records) == 160
    assert decoded.file_type == "activity"


@pytest.mark.parametrize("backend", BACKENDS)
def test_multisport_file_has_one_session_per_leg(backend: str) -> None:
    bike = track_from_segments([(4000, 0.01)], speed=8.0)
    run = [dataclasses.replace(p, t=p.t + 600) for p in track_from_segments([(1500, 0.0)], speed=3.0)]
    decoded = decode_fit(write_multisport(None, [Leg("cycling", bike, "road"), Leg("running", run)]), backend)
    assert [s.sport for s in decoded.sessions] == ["cycling", "running"]
    second = decoded.sessions[1]
    leg = decoded.records.slice_time(second.start_time.timestamp(), second.start_time.timestamp() + 1e6)
    assert len(leg) == len(run)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["workout", "settings"])
def test_non_activity_files_are_recognised(backend: str, kind: str) -> None:
    decoded = decode_fit(write_non_activity(None, kind), backend)
    assert decoded.file_type == kind
    assert decoded.sessions == [] and len(decoded.records) == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_monitoring_file_gives_daily_climbs(backend: str) -> None:
    days = [Day(date(2024, 5, 1), 120.5, 98.25, 8000), Day(date(2024, 5, 2), 31.0, 42.0, 12345)]
    decoded = decode_fit(write_monitoring(None, days, utc_offset_s=-5 * 3600), backend)
    assert decoded.file_type == "monitoring_b"
    assert [(c.day, c.ascent_m, c.descent_m, c.steps) for c in decoded.daily_climbs] == [
        (d.day, d.ascent_m, d.descent_m, d.steps) for d in days
    ]


@pytest.mark.parametrize("kind", ["enhanced", "legacy", "pause"])
def test_generated_files_decode_identically(kind: str) -> None:
    assert_same(decode_fit(_written(kind), "fitparse"), decode_fit(_written(kind), "fitdecode"))


# --- broken files -------------------------------------------------------------------------------------------


def _with_14_byte_header(data: bytes, *, header_crc: bool = True) -> bytes:
    """fit-tool writes 12-byte headers; real devices mostly write 14 bytes, the last two a header CRC (or zero)."""
    body = data[12:-2]
    header = struct.pack("<BBHI4s", 14, data[1], struct.unpack("<H", data[2:4])[0], len(body), b".FIT")
    header += struct.pack("<H", crc16(header) if header_crc else 0)
    return header + body + struct.pack("<H", crc16(header + body))


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


GOOD = write_activity(None, HILLY[:200])
BROKEN = {
    "payload byte changed": (_flip(GOOD, len(GOOD) - 3), "bad CRC"),
    "file CRC changed": (_flip(GOOD, len(GOOD) - 1), "bad CRC"),
    "header CRC changed": (_flip(_with_14_byte_header(GOOD), 12), "bad CRC"),
    "cut in half": (GOOD[: len(GOOD) // 2], "truncated file (unexpected end of data)"),
    "CRC missing": (GOOD[:-2], "truncated file (unexpected end of data)"),
    "chained file cut short": (GOOD + GOOD[:20], "truncated file (unexpected end of data)"),
    "empty": (b"", "empty file"),
    "garbage": (b"this is not a FIT file, honestly" * 4, "not a FIT file (corrupt header)"),
    "a few bytes": (b"\x0e\x10", "not a FIT file (corrupt header)"),
    "header but no data": (_with_14_byte_header(GOOD[:12] + GOOD[-2:]), "no data in file"),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", BROKEN, ids=str)
def test_broken_files_fail_with_a_one_line_reason(case: str, backend: str) -> None:
    data, reason = BROKEN[case]
    with pytest.raises(DecodeError) as caught:
        decode_fit(data, backend)
    assert str(caught.value) == reason


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("header_crc", [True, False], ids=["header-crc", "zero-header-crc"])
def test_14_byte_headers_with_or_without_header_crc(backend: str, header_crc: bool) -> None:
    decoded = decode_fit(_with_14_byte_header(GOOD, header_crc=header_crc), backend)
    assert_same(decoded, decode_fit(GOOD, backend))


def test_unknown_backend_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown FIT decoder"):
        decode_fit(GOOD, "garmin-sdk")
