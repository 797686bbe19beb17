"""Write real FIT files for tests with fit-tool, so the suite proves the import path without the sample corpus.

Typical use::

    points = track_from_segments([(2000, 0.0), (3000, -0.06), (3000, 0.06)], speed=3.0, noise_m=0.3, seed=1)
    data = write_activity(None, points)            # bytes; or write_activity(tmp_path / "run.fit", points)

Units are the FIT profile's: metres, m/s, bpm; `cadence` is what a running watch stores — per-foot strides/min
(85.5 means 171 steps/min), written as `cadence` + `fractional_cadence`. Written values are quantised by the FIT
scale (altitude 0.2 m, distance 0.01 m, speed 0.001 m/s, cadence 1/128); `quantize` gives the value a decoder
must return. fit-tool takes `date_time` values as POSIX milliseconds and `local_date_time` as FIT seconds.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fit_tool.data_message import DataMessage
from fit_tool.endian import Endian
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages import record_message as rm
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.common_fields import TimestampField
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.monitoring_info_message import MonitoringInfoMessage
from fit_tool.profile.messages.monitoring_message import MonitoringMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.messages.sport_message import SportMessage
from fit_tool.profile.messages.user_profile_message import UserProfileMessage
from fit_tool.profile.messages.workout_message import WorkoutMessage
from fit_tool.profile.profile_type import (
    ActivityType,
    Event,
    EventType,
    FileType,
    Manufacturer,
    Sport,
    SubSport,
)
from fitpatch import Dated

FIT_EPOCH_POSIX = 631065600
DEFAULT_START = datetime(2024, 5, 4, 7, 30, tzinfo=UTC)
SCALES = {"altitude": (5.0, 500.0), "distance": (100.0, 0.0), "speed": (1000.0, 0.0), "cadence": (128.0, 0.0)}
"""FIT (scale, offset) of the record fields we write, for `quantize`."""


@dataclass(frozen=True, slots=True)
class Point:
    """One `record` sample; `t` is seconds after the start. None leaves the field out."""

    t: float
    distance_m: float | None = None
    altitude_m: float | None = None
    speed_mps: float | None = None
    heart_rate: int | None = None
    cadence: float | None = None


@dataclass(frozen=True, slots=True)
class Leg:
    """One session of a multisport file."""

    sport: str
    points: Sequence[Point]
    sub_sport: str = "generic"


@dataclass(frozen=True, slots=True)
class Day:
    """One day of a monitoring file: the day's totals, reached by cumulative samples through the day."""

    day: date
    ascent_m: float
    descent_m: float
    steps: int


def quantize(kind: str, value: float) -> float:
    """What a decoder returns for `value` written into a field of `kind` ('altitude', 'distance', 'speed', ...)."""
    scale, offset = SCALES[kind]
    return float(round((value + offset) * scale)) / scale - offset


def track_from_segments(
    segments: Iterable[tuple[float, float]],
    *,
    speed: float = 3.0,
    start_altitude: float = 100.0,
    noise_m: float = 0.0,
    seed: int = 0,
    interval_s: float = 1.0,
    heart_rate: int | None = 150,
    cadence: float | None = 85.0,
) -> list[Point]:
    """A run at constant `speed` over (length_m, grade) segments, sampled every `interval_s` seconds.

    `noise_m` adds Gaussian noise (sigma, metres) to altitude, like a barometric altimeter; `seed` makes it
    repeatable. The true (noise-free) profile is easy to recompute: climbs are length * grade per segment.
    """
    rng = random.Random(seed)
    segs = list(segments)
    total = sum(length for length, _ in segs)
    points = []
    t, distance = 0.0, 0.0
    while True:
        distance = min(speed * t, total)
        altitude, covered = start_altitude, 0.0
        for length, grade in segs:
            step = min(max(distance - covered, 0.0), length)
            altitude += step * grade
            covered += length
        noisy = altitude + (rng.gauss(0.0, noise_m) if noise_m > 0 else 0.0)
        points.append(Point(t, distance, noisy, speed, heart_rate, cadence))
        if distance >= total:
            return points
        t += interval_s


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _enum(kind: type, name: str) -> object:
    return kind[name.upper()]


def _file_id(builder: FitFileBuilder, file_type: FileType, start: datetime, serial_number: int) -> None:
    msg = FileIdMessage()
    msg.type = file_type
    msg.manufacturer = Manufacturer.DEVELOPMENT.value
    msg.product = 1
    msg.serial_number = serial_number
    msg.time_created = _ms(start)
    builder.add(msg)


def _event(builder: FitFileBuilder, when: datetime, event_type: EventType) -> None:
    msg = EventMessage()
    msg.event = Event.TIMER
    msg.event_type = event_type
    msg.timestamp = _ms(when)
    builder.add(msg)


class _LeanRecord(RecordMessage):
    """A `record` message with only the fields we write: fit-tool's own builds all 84 of its fields per sample,
    which made a one-hour run take seconds to write. Same global message number, same field definitions."""

    def __init__(self) -> None:
        DataMessage.__init__(
            self,
            name=RecordMessage.NAME,
            global_id=RecordMessage.ID,
            local_id=0,
            endian=Endian.LITTLE,
            definition_message=None,
            developer_fields=None,
            fields=[
                field(size=0, growable=True)
                for field in (
                    TimestampField,
                    rm.RecordDistanceField,
                    rm.RecordAltitudeField,
                    rm.RecordEnhancedAltitudeField,
                    rm.RecordSpeedField,
                    rm.RecordEnhancedSpeedField,
                    rm.RecordHeartRateField,
                    rm.RecordCadenceField,
                    rm.RecordFractionalCadenceField,
                )
            ],
        )


def _record(builder: FitFileBuilder, start: datetime, p: Point, enhanced: bool) -> None:
    msg = _LeanRecord()
    msg.timestamp = _ms(start + timedelta(seconds=p.t))
    if p.distance_m is not None:
        msg.distance = p.distance_m
    if p.altitude_m is not None:
        if enhanced:
            msg.enhanced_altitude = p.altitude_m
        else:
            msg.altitude = p.altitude_m
    if p.speed_mps is not None:
        if enhanced:
            msg.enhanced_speed = p.speed_mps
        else:
            msg.speed = p.speed_mps
    if p.heart_rate is not None:
        msg.heart_rate = p.heart_rate
    if p.cadence is not None:
        msg.cadence = int(p.cadence)
        msg.fractional_cadence = p.cadence - int(p.cadence)
    builder.add(msg)


def _summary(msg: LapMessage | SessionMessage, start: datetime, leg: Leg, paused_s: float) -> None:
    """Totals as a device would write them, from the points (HR averages rounded like a watch)."""
    pts = leg.points
    first, last = pts[0], pts[-1]
    msg.start_time = _ms(start + timedelta(seconds=first.t))
    msg.timestamp = _ms(start + timedelta(seconds=last.t))
    msg.sport = _enum(Sport, leg.sport)
    msg.sub_sport = _enum(SubSport, leg.sub_sport)
    msg.total_elapsed_time = last.t - first.t
    msg.total_timer_time = last.t - first.t - paused_s
    if first.distance_m is not None and last.distance_m is not None:
        msg.total_distance = last.distance_m - first.distance_m
    alts = [p.altitude_m for p in pts if p.altitude_m is not None]
    msg.total_ascent = round(sum(max(b - a, 0.0) for a, b in itertools.pairwise(alts)))
    msg.total_descent = round(sum(max(a - b, 0.0) for a, b in itertools.pairwise(alts)))
    hrs = [p.heart_rate for p in pts if p.heart_rate is not None]
    if hrs:
        msg.avg_heart_rate = round(sum(hrs) / len(hrs))
        msg.max_heart_rate = max(hrs)
    cads = [p.cadence for p in pts if p.cadence is not None]
    if cads:
        msg.avg_cadence = round(sum(cads) / len(cads))
    msg.total_calories = round((last.t - first.t - paused_s) / 6)  # counted while the timer runs


def _write(path: str | Path | None, builder: FitFileBuilder) -> bytes:
    data = builder.build().to_bytes()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def write_multisport(
    path: str | Path | None,
    legs: Sequence[Leg],
    *,
    start: datetime = DEFAULT_START,
    serial_number: int = 1234567890,
    utc_offset_s: int | None = 7200,
    pauses: Sequence[tuple[float, float]] = (),
    enhanced: bool = True,
    with_session: bool = True,
    name: str | None = None,
) -> bytes:
    """An activity file with one session (and lap) per leg; point times are seconds from `start`.

    `name` goes into a `sport` message, where watches keep the activity profile's name ("Long run").

    `pauses` are (from_s, to_s): points inside are dropped and timer stop/start events written, as a watch does.
    `utc_offset_s` goes into activity.local_timestamp (None: no activity message local time).

    Each shape (the legs, pauses, offset and flags: everything but `start` and `serial_number`) is encoded once
    per process; the same shape at another start is a dated copy of it (`fitpatch.Dated`), byte for byte the file
    `encode_multisport` writes, because fit-tool takes about a second per hour of 1 s samples and the suite
    writes the same runs on hundreds of days. Times that are not whole seconds are encoded afresh each time
    (fit-tool rounds them, so a shifted copy could differ in the last second).
    """
    frozen_legs = tuple(Leg(leg.sport, tuple(leg.points), leg.sub_sport) for leg in legs)
    frozen_pauses = tuple((float(a), float(b)) for a, b in pauses)
    if not _whole_seconds(start, frozen_legs, frozen_pauses):
        data = encode_multisport(
            frozen_legs,
            start=start,
            serial_number=serial_number,
            utc_offset_s=utc_offset_s,
            pauses=frozen_pauses,
            enhanced=enhanced,
            with_session=with_session,
            name=name,
        )
    else:
        shape = _encoded_shape(frozen_legs, utc_offset_s, frozen_pauses, enhanced, with_session, name)
        shift_s = round((start - DEFAULT_START).total_seconds())
        data = shape.copy(shift_s, serial_number)
    if path is not None:
        Path(path).write_bytes(data)
    return data


_SHAPE_SERIAL_NUMBER = 1234567890
"""The serial number a shape is encoded with (`write_multisport`'s default); each copy is given its own."""


def _whole_seconds(start: datetime, legs: Sequence[Leg], pauses: Sequence[tuple[float, float]]) -> bool:
    """True when every time the file holds is a whole second after the start and the start a whole second, so
    the encoded times move exactly with the start."""
    if start.tzinfo is None or start.microsecond:
        return False
    times = [p.t for leg in legs for p in leg.points] + [t for pause in pauses for t in pause]
    return all(float(t).is_integer() for t in times)


@functools.lru_cache(maxsize=128)
def _encoded_shape(
    legs: tuple[Leg, ...],
    utc_offset_s: int | None,
    pauses: tuple[tuple[float, float], ...],
    enhanced: bool,
    with_session: bool,
    name: str | None,
) -> Dated:
    data = encode_multisport(
        legs,
        start=DEFAULT_START,
        serial_number=_SHAPE_SERIAL_NUMBER,
        utc_offset_s=utc_offset_s,
        pauses=pauses,
        enhanced=enhanced,
        with_session=with_session,
        name=name,
    )
    return Dated.of(data)


def encode_multisport(
    legs: Sequence[Leg],
    *,
    start: datetime = DEFAULT_START,
    serial_number: int = _SHAPE_SERIAL_NUMBER,
    utc_offset_s: int | None = 7200,
    pauses: Sequence[tuple[float, float]] = (),
    enhanced: bool = True,
    with_session: bool = True,
    name: str | None = None,
) -> bytes:
    """`write_multisport`'s bytes, encoded by fit-tool every time (no dated copy): what the copies are checked
    against."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    _file_id(builder, FileType.ACTIVITY, start, serial_number)
    if name is not None:
        sport_message = SportMessage()
        sport_message.sport = _enum(Sport, legs[0].sport)
        sport_message.sport_name = name
        builder.add(sport_message)
    all_points = [p for leg in legs for p in leg.points]
    _event(builder, start + timedelta(seconds=all_points[0].t), EventType.START)
    for leg in legs:
        paused_s = 0.0
        for p in leg.points:
            if any(a < p.t < b for a, b in pauses):
                continue
            _record(builder, start, p, enhanced)
            for a, b in pauses:
                if p.t == a:
                    _event(builder, start + timedelta(seconds=a), EventType.STOP_ALL)
                    _event(builder, start + timedelta(seconds=b), EventType.START)
                    paused_s += b - a
        if with_session:
            lap = LapMessage()
            _summary(lap, start, leg, paused_s)
            builder.add(lap)
            session = SessionMessage()
            _summary(session, start, leg, paused_s)
            builder.add(session)
    end = start + timedelta(seconds=all_points[-1].t)
    _event(builder, end, EventType.STOP_ALL)
    activity = ActivityMessage()
    activity.timestamp = _ms(end)
    activity.num_sessions = len(legs) if with_session else 0
    activity.total_timer_time = all_points[-1].t - all_points[0].t
    if utc_offset_s is not None:
        activity.local_timestamp = round(end.timestamp()) - FIT_EPOCH_POSIX + utc_offset_s
    builder.add(activity)
    return builder.build().to_bytes()


def write_activity(
    path: str | Path | None = None,
    points: Sequence[Point] | Sequence[tuple[float, ...]] | None = None,
    *,
    sport: str = "running",
    sub_sport: str = "generic",
    start: datetime = DEFAULT_START,
    serial_number: int = 1234567890,
    with_session: bool = True,
    utc_offset_s: int | None = 7200,
    pauses: Sequence[tuple[float, float]] = (),
    enhanced: bool = True,
    name: str | None = None,
) -> bytes:
    """A one-session activity. `points` are `Point`s or tuples (t, distance, altitude, speed, heart_rate, cadence);
    without them, a flat 5 km at 3 m/s with light altimeter noise.

    `enhanced=False` writes the legacy 16-bit `altitude`/`speed` fields instead of `enhanced_*`.
    """
    if points is None:
        points = track_from_segments([(5000.0, 0.0)], speed=3.0, noise_m=0.2, seed=7)
    pts = [p if isinstance(p, Point) else Point(*p) for p in points]
    return write_multisport(
        path,
        [Leg(sport, pts, sub_sport)],
        start=start,
        serial_number=serial_number,
        utc_offset_s=utc_offset_s,
        pauses=pauses,
        enhanced=enhanced,
        with_session=with_session,
        name=name,
    )


def write_non_activity(
    path: str | Path | None, file_type: str = "workout", *, start: datetime = DEFAULT_START
) -> bytes:
    """A 'workout' (one workout message) or 'settings' (one user profile) file: recognised, never imported."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    if file_type == "workout":
        _file_id(builder, FileType.WORKOUT, start, 1)
        workout = WorkoutMessage()
        workout.workout_name = "Easy 5k"
        workout.sport = Sport.RUNNING
        workout.num_valid_steps = 0
        builder.add(workout)
    elif file_type == "settings":
        _file_id(builder, FileType.SETTINGS, start, 1)
        profile = UserProfileMessage()
        profile.friendly_name = "Runner"
        profile.weight = 61.5
        builder.add(profile)
    else:
        raise ValueError(f"unsupported non-activity file type {file_type!r}")
    return _write(path, builder)


def write_monitoring(
    path: str | Path | None, days: Sequence[Day], *, utc_offset_s: int = 3600, serial_number: int = 42
) -> bytes:
    """A `monitoring_b` file like a Garmin watch's daily file: monitoring_info with the local offset, then
    cumulative walking steps and ascent/descent at 06:00, 12:00 and 23:00 local, reaching each day's totals."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    first = datetime.combine(days[0].day, datetime.min.time(), UTC) - timedelta(seconds=utc_offset_s)
    _file_id(builder, FileType.MONITORING_B, first, serial_number)
    info = MonitoringInfoMessage()
    info.timestamp = _ms(first)
    info.local_timestamp = round(first.timestamp()) - FIT_EPOCH_POSIX + utc_offset_s
    builder.add(info)
    for d in days:
        midnight_utc = datetime.combine(d.day, datetime.min.time(), UTC) - timedelta(seconds=utc_offset_s)
        for hour, share in ((6, 0.2), (12, 0.6), (23, 1.0)):
            msg = MonitoringMessage()
            msg.timestamp = _ms(midnight_utc + timedelta(hours=hour))
            msg.activity_type = ActivityType.WALKING
            msg.steps = round(d.steps * share)
            msg.ascent = d.ascent_m * share
            msg.descent = d.descent_m * share
            builder.add(msg)
    return _write(path, builder)
