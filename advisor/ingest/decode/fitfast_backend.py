"""FIT decoding with fitfast (Rust, `[fit] decoder = "fitfast"`), falling back to fitdecode whenever in doubt.

Why: decoding is nearly all of an import's CPU, and fitfast decodes a one-hour run about 30 times faster than
fitdecode (figures in the README). Why the fallback: fitfast 0.1.0 is young and single-maintainer, and it
*rejects valid files* — a 14-byte header whose CRC is 0x0000 ("not computed", which the FIT spec allows; the
Edge 810, Wahoo and older Garmin devices write it) fails with a false "checksum mismatch". So every file fitfast
rejects goes to fitdecode, which either reads it or gives the same one-line reason it always gave: no valid file
is lost and no error message changes.

The result must equal fitdecode's `DecodedActivity` field by field (tests compare them on every sample file), so the
fitfast output goes through the same `Assembler` as the other backends, with fitdecode's own profile deciding what
a value means:
- `parse(enum_names=False)` gives raw enum numbers; names come from fitdecode's profile, so a device or sport the
  newer Rust profile knows and fitdecode's does not is spelled the same way (as its number) by both paths;
- `date_time` fields arrive as POSIX seconds; at or above FIT's 0x10000000 they become aware UTC datetimes, below
  it (seconds since power-on) they go back to the relative FIT number, exactly as fitdecode's processor does;
  `local_date_time` always becomes a datetime (fitdecode's rule too);
- only the fields the assembler reads are kept, subfield names are folded into their parent's name.

`parse` returns messages grouped by kind, not in file order, so files where order matters go to fitdecode (the
backend's own checks, `_needs_fitdecode`): chained files (more than one `file_id`), monitoring files (their
`timestamp_16` resolve against the previous message), and a `sport` name that disagrees with the session's
profile name (the first one in the file wins). So do files with a developer field named like a native field we
read (fitfast merges developer fields into the same dict; we ignore developer fields).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

import fitfast
from fitdecode import profile

from advisor.domain.activity import DecodedActivity
from advisor.ingest.decode import fitdecode_backend
from advisor.ingest.decode._assemble import Assembler
from advisor.ingest.decode._fields import FIT_EPOCH_POSIX, RECORD_FIELDS, Message, check_prefix

PINNED: Final = "0.1.0"
"""The fitfast release the equality tests were run against (pinned exactly in pyproject.toml)."""

_FIT_DATETIME_MIN: Final = 0x10000000
_ABSOLUTE_POSIX_MIN: Final = _FIT_DATETIME_MIN + FIT_EPOCH_POSIX
_WANTED: Final[dict[str, frozenset[str]]] = {
    "file_id": frozenset({"type", "manufacturer", "product", "product_name", "serial_number", "time_created"}),
    "session": frozenset(
        {
            "start_time",
            "timestamp",
            "sport_profile_name",
            "sport",
            "sub_sport",
            "total_elapsed_time",
            "total_timer_time",
            "total_distance",
            "total_ascent",
            "total_fractional_ascent",
            "total_descent",
            "total_fractional_descent",
            "avg_heart_rate",
            "max_heart_rate",
            "avg_cadence",
            "avg_fractional_cadence",
            "total_calories",
        }
    ),
    "sport": frozenset({"name"}),
    "activity": frozenset({"timestamp", "local_timestamp"}),
    "timestamp_correlation": frozenset({"timestamp", "system_timestamp"}),
    "record": RECORD_FIELDS,
}
"""Per message, the fields `Assembler` reads: everything else fitfast decoded is dropped unconverted."""
_ORDER_SENSITIVE: Final = frozenset({"monitoring", "monitoring_info"})


class Fallback(Exception):
    """This file is for fitdecode: fitfast rejected it, or it fails one of this backend's own checks."""


def decode(data: bytes) -> DecodedActivity:
    """Decode with fitfast; a file fitfast rejects or that `_needs_fitdecode` goes to fitdecode instead.

    So does a file on which the fast path gives up in any other way. fitfast 0.1.0 *panics* on some corrupt files
    (a definition naming an unknown base type: "attempt to calculate the remainder with a divisor of zero"), and a
    PyO3 panic is a `BaseException`, not an `Exception`: caught as `Fallback` only, it went past every handler and
    took the whole import down with it. Odd values can also break our conversion of fitfast's output (a list where
    a scalar was expected: `TypeError`). In every such case fitdecode decides: it reads the file or gives its
    one-line reason, as if fitfast had never seen it.
    """
    try:
        return decode_fast(data)
    except Fallback:
        return fitdecode_backend.decode(data)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a panic, or our conversion choking on odd values: see the docstring
        return fitdecode_backend.decode(data)


def decode_fast(data: bytes) -> DecodedActivity:
    """The fast path alone: raises `Fallback` with the reason instead of falling back (tests and the benchmark
    use it to see which files take which path)."""
    check_prefix(data)
    try:
        parsed = fitfast.parse(data, enum_names=False)
    except fitfast.FitDecodeError as exc:
        raise Fallback(str(exc)) from exc
    reason = _needs_fitdecode(parsed)
    if reason is not None:
        raise Fallback(reason)
    assembler = Assembler()
    for kind in ("file_id", "sport", "session", "activity", "timestamp_correlation"):
        for message in parsed.get(kind, ()):
            assembler.add(_message(kind, message))
    records = parsed.get("record", [])
    rows = _posix_rows(records)
    if rows is not None:
        assembler.add_posix_records(rows)
    else:  # times since power-on: the general path, which anchors them
        for record in records:
            assembler.add(_record(record))
    return assembler.finish()


def _posix_rows(records: list[dict[str | int, Any]]) -> list[tuple[Any, ...]] | None:
    """The records as `Assembler.add_posix_records` rows (the hot loop: one-hour run, 3,600 records), or None
    when a time is relative (below FIT's 0x10000000). Same values and the same speed/altitude repair as
    `_record`; records without a timestamp are dropped, as the assembler drops them."""
    rows = []
    floor = math.floor
    for record in records:
        get = record.get
        ts = get("timestamp")
        if ts is None:
            if "compressed_speed_distance" in record:
                raise Fallback("compressed speed/distance")
            continue
        if ts < _ABSOLUTE_POSIX_MIN:
            return None
        if "compressed_speed_distance" in record:
            raise Fallback("compressed speed/distance")  # fitfast does not expand it
        speed = get("enhanced_speed")
        low = get("speed")
        if speed is None or (type(low) is float and type(speed) is float and speed == floor(low * 1000) / 1000):
            speed = low
        altitude = get("enhanced_altitude")
        low = get("altitude")
        if altitude is None or (
            type(low) is float and type(altitude) is float and altitude == floor((low + 500) * 5) / 5 - 500
        ):
            altitude = low
        rows.append(
            (ts, get("distance"), altitude, speed, get("heart_rate"), get("cadence"), get("fractional_cadence"))
        )
    return rows


def _record(record: dict[str | int, Any]) -> Message:
    """A `record` message: the hot loop (3,600 per one-hour run), so only `RECORD_FIELDS` are looked at.

    fitfast 0.1.0 expands `speed` into `enhanced_speed` (and `altitude` into `enhanced_altitude`) by truncating
    the *scaled* float back to an integer, so 4.06 m/s (raw 4060, 4059.999... after scaling back) comes out as
    4.059. fitdecode expands the raw bits, giving exactly the 16-bit field's value. An enhanced value that is
    precisely that truncation of the 16-bit one is taken to be the expansion and replaced by the 16-bit value.
    """
    if "compressed_speed_distance" in record:
        raise Fallback("compressed speed/distance")  # fitfast does not expand it
    values = {key: value for key, value in record.items() if key in RECORD_FIELDS}
    ts = values.get("timestamp")
    if ts is not None:
        values["timestamp"] = _date_time(ts)
    speed, enhanced = values.get("speed"), values.get("enhanced_speed")
    if type(speed) is float and type(enhanced) is float and enhanced == math.floor(speed * 1000) / 1000:
        values["enhanced_speed"] = speed
    altitude, enhanced = values.get("altitude"), values.get("enhanced_altitude")
    if type(altitude) is float and type(enhanced) is float and enhanced == math.floor((altitude + 500) * 5) / 5 - 500:
        values["enhanced_altitude"] = altitude
    return Message("record", values, {})


def _needs_fitdecode(parsed: dict[str, list[dict[str | int, Any]]]) -> str | None:
    """Why this file must be read in file order (or without developer fields) by fitdecode; None if it need not."""
    if not any(parsed.values()):
        return "no data messages"
    if len(parsed.get("file_id", ())) > 1:
        return "chained FIT file"
    if _ORDER_SENSITIVE & parsed.keys():
        return "monitoring messages"
    sport_names = {m.get("name") for m in parsed.get("sport", ()) if isinstance(m.get("name"), str)}
    profile_names = {
        m.get("sport_profile_name") for m in parsed.get("session", ()) if isinstance(m.get("sport_profile_name"), str)
    }
    if sport_names and profile_names and sport_names != profile_names:
        return "sport and session names differ"
    developer = {m.get("field_name") for m in parsed.get("field_description", ())}
    if any(developer & names for names in _WANTED.values()):
        return "a developer field shadows a native field"
    return None


def _message(kind: str, message: dict[str | int, Any]) -> Message:
    """One fitfast message as the `Message` fitdecode's fields would have given (see the module docstring)."""
    wanted, parents, convert = _WANTED[kind], _parents(kind), _converters(kind)
    values: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for key, value in message.items():
        if not isinstance(key, str) or value is None:
            continue
        name = parents.get(key, key)
        if name not in wanted or name in values:
            continue
        raw[name] = value
        conversion = convert.get(key) or convert.get(name)
        values[name] = conversion(value) if conversion is not None else value
    return Message(kind, values, raw)


@cache
def _parents(kind: str) -> dict[str, str]:
    """Subfield name -> parent field name, from fitdecode's profile."""
    fields = _profile_fields(kind)
    return {sub.name: f.name for f in fields for sub in (f.subfields or ())}


@cache
def _converters(kind: str) -> dict[str, Any]:
    """Field name -> how fitdecode (with our processor) would render fitfast's value of that field."""
    out: dict[str, Any] = {}
    for f in _profile_fields(kind):
        for item in (f, *(f.subfields or ())):
            type_name = getattr(item.type, "name", None)
            enum = getattr(item.type, "enum", None)
            if type_name == "date_time":
                out[item.name] = _date_time
            elif type_name == "local_date_time":
                out[item.name] = _local_date_time
            elif enum:
                out[item.name] = _enum(enum)
    return out


def _profile_fields(kind: str) -> list[Any]:
    for message_type in profile.MESSAGE_TYPES.values():
        if message_type.name == kind:
            return list(message_type.fields.values())
    return []


def _enum(names: dict[int, str]) -> Any:
    def convert(value: Any) -> Any:
        return names.get(value, value) if isinstance(value, int) else value

    return convert


def _date_time(value: Any) -> Any:
    """fitfast gives POSIX seconds; fitdecode gives a datetime from 0x10000000 on, the FIT number below it."""
    if not isinstance(value, int | float):
        return value
    fit = value - FIT_EPOCH_POSIX
    if fit >= _FIT_DATETIME_MIN:
        return datetime.fromtimestamp(value, UTC)
    return int(fit) if fit == int(fit) else fit


def _local_date_time(value: Any) -> Any:
    if not isinstance(value, int | float):
        return value
    return datetime.fromtimestamp(value, UTC)
