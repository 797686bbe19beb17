"""Turn a stream of FIT data messages (`_fields.Message`) into a `DecodedActivity`, whichever library decoded them.

Why one shared assembler: the backends must give *identical* results, so they differ only in how they read the
file (`_fields` turns each library's fields into the same `Message`), never in how a run is put together.

Rules applied here (documented once, for every backend):
- FIT `date_time` values below 0x10000000 are "seconds since power-on", not wall-clock times; they are anchored
  when the file allows it (see `Assembler`), else such records and sessions are dropped. Records without any
  timestamp are dropped.
- Chained FIT files: every `file_id` message starts a new file; sessions, records and daily climbs accumulate. The
  file-level fields (type, device, ...) come from the first chained file of type `activity`, else the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from advisor.domain.activity import DailyClimb, DecodedActivity, DecodeError, RecordStream, SessionTotals
from advisor.ingest.decode._fields import (
    FIT_EPOCH_POSIX,
    Message,
    as_datetime,
    as_float,
    as_int,
    as_name,
    plus_fraction,
)

_MAX_UTC_OFFSET_S = 15 * 3600
"""Local offsets beyond this are garbage (some devices write a bogus `local_timestamp`) and are ignored."""

_ACTIVITY_TYPE_STEPS = {1: "running", 6: "walking"}
"""monitoring.activity_type values whose `cycles` count steps (raw cycles == steps for these)."""


@dataclass(slots=True)
class _Monitoring:
    """Per-day maxima of the cumulative counters in `monitoring` messages."""

    ascent: dict[date, float] = field(default_factory=dict)
    descent: dict[date, float] = field(default_factory=dict)
    steps: dict[tuple[date, int], int] = field(default_factory=dict)


@dataclass(slots=True)
class Assembler:
    """Feed it `Message`s in file order with `add`, then call `finish`.

    Records and sessions are kept until `finish` because their times may need an anchor that comes later in the
    file: old devices (e.g. Forerunner 70) write times as seconds since power-on (FIT `date_time` below
    0x10000000). Such relative times are made absolute with a `timestamp_correlation` message (exact), else with
    the `activity` message's absolute `local_timestamp` against its relative `timestamp` — which yields local
    time taken as UTC, off by the (unknown) UTC offset, still far better than losing the run. Without an anchor,
    records with relative times are dropped. Resolution is per chained file.
    """

    _file_ids: list[Message] = field(default_factory=list)
    _out: DecodedActivity = field(default_factory=lambda: DecodedActivity(file_type="unknown"))
    _messages: int = 0
    _last_timestamp: Any = None
    _monitor_offset_s: int = 0
    _monitoring: _Monitoring = field(default_factory=_Monitoring)
    _records: list[tuple[Any, ...]] = field(default_factory=list)
    """(chained-file index, timestamp, distance, altitude, speed, heart rate, cadence, fractional cadence) as
    decoded, per record: a tuple, not the message, so a 10-hour run stays a few MiB until `finish`."""
    _posix_records: list[tuple[Any, ...]] = field(default_factory=list)
    """(POSIX seconds, distance, altitude, speed, heart rate, cadence, fractional cadence) from `add_posix_records`:
    a decoder that already gives absolute POSIX times skips the per-record `Message` and datetime."""
    _sessions: list[tuple[int, Message]] = field(default_factory=list)
    _shift: dict[int, int] = field(default_factory=dict)
    """Chained-file index -> seconds to add to a relative FIT time to make it absolute FIT time."""

    @property
    def _file_index(self) -> int:
        return max(len(self._file_ids) - 1, 0)

    def add(self, msg: Message) -> None:
        self._messages += 1
        ts = msg.values.get("timestamp")
        if ts is not None:
            self._last_timestamp = ts
        handler = _HANDLERS.get(msg.name)
        if handler is not None:
            handler(self, msg)

    def add_posix_records(self, rows: list[tuple[Any, ...]]) -> None:
        """Records whose times are already absolute POSIX seconds (see `_posix_records`), as the same values
        `_on_record` keeps (altitude and speed already the enhanced field, else the 16-bit one). Only for a file
        without chained files or monitoring messages: these records skip the bookkeeping `add` does for those."""
        self._messages += len(rows)
        self._posix_records.extend(rows)

    @property
    def _last_fit_ts(self) -> int | None:
        """The FIT time of the last full timestamp seen (what a `timestamp_16` is relative to); computed only when
        a monitoring message needs it, since converting every record's datetime would cost more than it's worth."""
        ts = as_datetime(self._last_timestamp)
        return None if ts is None else int(ts.timestamp()) - FIT_EPOCH_POSIX

    @_last_fit_ts.setter
    def _last_fit_ts(self, fit_ts: int | None) -> None:
        self._last_timestamp = None if fit_ts is None else datetime.fromtimestamp(fit_ts + FIT_EPOCH_POSIX, UTC)

    def _on_file_id(self, msg: Message) -> None:
        self._file_ids.append(msg)
        self._last_fit_ts = None  # a new chained file: timestamp_16 must not resolve against the previous one
        self._monitor_offset_s = 0

    def _on_record(self, msg: Message) -> None:
        v = msg.values
        altitude = v.get("enhanced_altitude")
        speed = v.get("enhanced_speed")
        self._records.append(
            (
                self._file_index,
                v.get("timestamp"),
                v.get("distance"),
                altitude if altitude is not None else v.get("altitude"),
                speed if speed is not None else v.get("speed"),
                v.get("heart_rate"),
                v.get("cadence"),
                v.get("fractional_cadence"),
            )
        )

    def _on_session(self, msg: Message) -> None:
        self._sessions.append((self._file_index, msg))
        if self._out.activity_name is None and isinstance(msg.values.get("sport_profile_name"), str):
            self._out.activity_name = msg.values["sport_profile_name"]

    def _on_sport(self, msg: Message) -> None:
        if self._out.activity_name is None and isinstance(msg.values.get("name"), str):
            self._out.activity_name = msg.values["name"]

    def _on_timestamp_correlation(self, msg: Message) -> None:
        utc, system = msg.values.get("timestamp"), msg.values.get("system_timestamp")
        if isinstance(utc, datetime) and isinstance(system, int | float):
            self._shift[self._file_index] = int(utc.timestamp()) - FIT_EPOCH_POSIX - int(system)

    def _on_activity(self, msg: Message) -> None:
        local, ts = as_datetime(msg.values.get("local_timestamp")), msg.values.get("timestamp")
        if local is None:
            return
        if isinstance(ts, datetime):
            offset = int((local - ts).total_seconds())
            if self._out.local_offset_s is None and abs(offset) <= _MAX_UTC_OFFSET_S:
                self._out.local_offset_s = offset
        elif isinstance(ts, int | float):
            self._shift.setdefault(self._file_index, int(local.timestamp()) - FIT_EPOCH_POSIX - int(ts))

    def _on_monitoring_info(self, msg: Message) -> None:
        local, ts = as_datetime(msg.values.get("local_timestamp")), as_datetime(msg.values.get("timestamp"))
        if local is not None and ts is not None:
            offset = int((local - ts).total_seconds())
            self._monitor_offset_s = offset if abs(offset) <= _MAX_UTC_OFFSET_S else 0

    def _on_monitoring(self, msg: Message) -> None:
        """Cumulative counters reset at local midnight, so a day's total is the largest value seen that day.

        The time is `timestamp`, or `timestamp_16` (low 16 bits of the FIT time) resolved against the last full
        timestamp. The local day is taken one second before the sample time, so the end-of-day summary written at
        00:00 local lands on the day it summarises. Steps are raw `cycles` for walking/running activity types
        (per activity type, summed over types); ascent/descent are metres. Without a `monitoring_info` local
        offset, days are UTC days.
        """
        v, raw = msg.values, msg.raw
        ts = as_datetime(v.get("timestamp"))
        if ts is not None:
            fit_ts: int | None = int(ts.timestamp()) - FIT_EPOCH_POSIX
        elif as_int(v.get("timestamp_16")) is not None and self._last_fit_ts is not None:
            last = self._last_fit_ts
            fit_ts = last + ((int(v["timestamp_16"]) - last) & 0xFFFF)
            self._last_fit_ts = fit_ts
        else:
            fit_ts = None
        if fit_ts is None:
            return
        day = datetime.fromtimestamp(fit_ts + FIT_EPOCH_POSIX + self._monitor_offset_s - 1, UTC).date()
        mon = self._monitoring
        for key, store in (("ascent", mon.ascent), ("descent", mon.descent)):
            metres = as_float(v.get(key))
            if metres is not None:
                store[day] = max(store.get(day, 0.0), metres)
        activity_type = as_int(raw.get("activity_type"))
        steps = as_int(raw.get("cycles"))
        if activity_type in _ACTIVITY_TYPE_STEPS and steps is not None:
            mon.steps[(day, activity_type)] = max(mon.steps.get((day, activity_type), 0), steps)

    def _absolute(self, file_index: int, value: Any) -> datetime | None:
        """A FIT time as an aware UTC datetime, resolving relative (since power-on) times when anchored."""
        if isinstance(value, datetime):
            return value
        shift = self._shift.get(file_index)
        if isinstance(value, int | float) and not isinstance(value, bool) and shift is not None:
            return datetime.fromtimestamp(int(value) + shift + FIT_EPOCH_POSIX, UTC)
        return None

    def finish(self) -> DecodedActivity:
        """The result; a stream in which not one data message decoded is an error, not an empty activity."""
        if self._messages == 0:
            raise DecodeError("no data in file")
        out = self._out
        out.records = self._record_stream()
        for file_index, msg in self._sessions:
            start = self._absolute(file_index, msg.values.get("start_time"))
            self._add_session(start or self._absolute(file_index, msg.values.get("timestamp")), msg.values)
        primary = next((m for m in self._file_ids if m.values.get("type") == "activity"), None)
        if primary is None and self._file_ids:
            primary = self._file_ids[0]
        if primary is not None:
            v = primary.values
            out.file_type = as_name(v.get("type")) or "unknown"
            out.manufacturer = as_name(v.get("manufacturer"))
            out.product = _product(primary)
            out.serial_number = as_int(v.get("serial_number"))
            out.time_created = as_datetime(v.get("time_created"))
        out.daily_climbs = self._daily_climbs()
        return out

    def _record_stream(self) -> RecordStream:
        """The kept records as columns, converted in one pass (the hot loop of a long run: keep it lean)."""
        rows = []
        absolute, num, integer, plus = self._absolute, as_float, as_int, plus_fraction
        for file_index, timestamp, distance, altitude, speed, heart_rate, cadence, fraction in self._records:
            ts = timestamp if type(timestamp) is datetime else absolute(file_index, timestamp)
            if ts is not None:
                rows.append(
                    (
                        ts.timestamp(),
                        num(distance),
                        num(altitude),
                        num(speed),
                        integer(heart_rate),
                        plus(cadence, fraction),
                    )
                )
        for time_s, distance, altitude, speed, heart_rate, cadence, fraction in self._posix_records:
            rows.append(
                (
                    float(time_s),
                    distance if type(distance) is float else num(distance),
                    altitude if type(altitude) is float else num(altitude),
                    speed if type(speed) is float else num(speed),
                    heart_rate if type(heart_rate) is int else integer(heart_rate),
                    plus(cadence, fraction),
                )
            )
        if not rows:
            return RecordStream()
        columns = [list(column) for column in zip(*rows, strict=True)]
        return RecordStream(*columns)

    def _add_session(self, start: datetime | None, v: dict[str, Any]) -> None:
        if start is None:
            return
        self._out.sessions.append(
            SessionTotals(
                sport=as_name(v.get("sport")) or "generic",
                sub_sport=as_name(v.get("sub_sport")),
                start_time=start,
                total_elapsed_time_s=as_float(v.get("total_elapsed_time")),
                total_timer_time_s=as_float(v.get("total_timer_time")),
                total_distance_m=as_float(v.get("total_distance")),
                total_ascent_m=plus_fraction(v.get("total_ascent"), v.get("total_fractional_ascent")),
                total_descent_m=plus_fraction(v.get("total_descent"), v.get("total_fractional_descent")),
                avg_heart_rate=as_int(v.get("avg_heart_rate")),
                max_heart_rate=as_int(v.get("max_heart_rate")),
                # `avg_cadence` is also where avg_running_cadence / avg_swimming_cadence land (parent name)
                avg_cadence=plus_fraction(v.get("avg_cadence"), v.get("avg_fractional_cadence")),
                total_calories=as_float(v.get("total_calories")),
            )
        )

    def _daily_climbs(self) -> list[DailyClimb]:
        mon = self._monitoring
        days = sorted(set(mon.ascent) | set(mon.descent) | {d for d, _ in mon.steps})
        climbs = []
        for day in days:
            steps = [n for (d, _), n in mon.steps.items() if d == day]
            climbs.append(
                DailyClimb(
                    day=day,
                    ascent_m=mon.ascent.get(day),
                    descent_m=mon.descent.get(day),
                    steps=sum(steps) if steps else None,
                )
            )
        return climbs


_HANDLERS = {name.removeprefix("_on_"): method for name, method in vars(Assembler).items() if name.startswith("_on_")}
"""Message name -> handler, looked up once per message instead of building an attribute name each time."""


def _product(file_id: Message) -> str | None:
    """The device's own product name when it writes one, else the numeric product id as text.

    Not the profile's name for the id ("fr935"): each library ships a different profile version and the older
    one lacks newer devices, so names would make the two backends disagree.
    """
    name = file_id.values.get("product_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    product = as_int(file_id.raw.get("product"))
    return None if product is None else str(product)


__all__ = ["Assembler"]
