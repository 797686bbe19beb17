"""What an activity file decodes to, independent of its format (FIT, GPX, TCX) and of the library that read it.

Both FIT backends (fitdecode, fitparse) must produce exactly these values, and the GPX and TCX readers fill the same
model, so every later step — metrics, storage, risk — never knows which format or library was used. Values are in
SI units as the file scales them; nothing here is derived (no smoothing, no cadence doubling, no distance from
coordinates, no glitch filtering): that belongs to `advisor.domain.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

UNKNOWN_SPORT = "unknown"
"""`SessionTotals.sport` when the file names no sport (a GPX without `<type>`, a TCX `Sport="Other"`): the import
then takes the sport from the export's activities.csv, else assumes running and says so. Never stored."""


class DecodeError(ValueError):
    """A file that cannot be decoded; `str(error)` is one line a user can read (e.g. "bad CRC").

    FIT, GPX and TCX readers all raise it.
    """


class TruncatedFileError(DecodeError):
    """The data ends early: a file cut short, or one still being copied (the inbox waits before failing it)."""


@dataclass(slots=True)
class RecordStream:
    """Columnar `record` samples in file order; `None` where the device wrote no value.

    Columns rather than one object per sample: a 10-hour run has 36,000 samples and this keeps decoding cheap.
    """

    time_s: list[float] = field(default_factory=list)
    """POSIX seconds, UTC (compressed timestamps already resolved)."""
    distance_m: list[float | None] = field(default_factory=list)
    altitude_m: list[float | None] = field(default_factory=list)
    """enhanced_altitude when present, else altitude."""
    speed_mps: list[float | None] = field(default_factory=list)
    """enhanced_speed when present, else speed."""
    heart_rate: list[int | None] = field(default_factory=list)
    cadence: list[float | None] = field(default_factory=list)
    """As the file stores it: cadence + fractional_cadence, i.e. per-foot (strides/min) for running."""
    latitude_deg: list[float | None] = field(default_factory=list)
    """WGS84 degrees per sample, for GPX/TCX tracks (distance from coordinates is a metric, computed later).
    Empty (not a list of None) when the file carries no positions, as every FIT stream here does: FIT files
    have their own distance counter, and collecting positions would slow the hot decode loop for nothing."""
    longitude_deg: list[float | None] = field(default_factory=list)

    @property
    def has_positions(self) -> bool:
        return bool(self.latitude_deg)

    def __len__(self) -> int:
        return len(self.time_s)

    def append(
        self,
        time_s: float,
        distance_m: float | None,
        altitude_m: float | None,
        speed_mps: float | None,
        heart_rate: int | None,
        cadence: float | None,
    ) -> None:
        self.time_s.append(time_s)
        self.distance_m.append(distance_m)
        self.altitude_m.append(altitude_m)
        self.speed_mps.append(speed_mps)
        self.heart_rate.append(heart_rate)
        self.cadence.append(cadence)

    def slice_time(self, start_s: float, end_s: float) -> RecordStream:
        """Samples with start_s <= time_s <= end_s (used to split a multisport file by session)."""
        idx = [i for i, t in enumerate(self.time_s) if start_s <= t <= end_s]
        return self.take(idx)

    def take(self, idx: list[int]) -> RecordStream:
        """The samples at the positions `idx`, in that order (positions only when this stream has them)."""
        positions = self.has_positions
        return RecordStream(
            time_s=[self.time_s[i] for i in idx],
            distance_m=[self.distance_m[i] for i in idx],
            altitude_m=[self.altitude_m[i] for i in idx],
            speed_mps=[self.speed_mps[i] for i in idx],
            heart_rate=[self.heart_rate[i] for i in idx],
            cadence=[self.cadence[i] for i in idx],
            latitude_deg=[self.latitude_deg[i] for i in idx] if positions else [],
            longitude_deg=[self.longitude_deg[i] for i in idx] if positions else [],
        )


@dataclass(frozen=True, slots=True)
class SessionTotals:
    """A `session` message: the device's own totals, kept beside what we compute as a cross-check."""

    sport: str
    sub_sport: str | None
    start_time: datetime
    """UTC, timezone-aware."""
    total_elapsed_time_s: float | None = None
    total_timer_time_s: float | None = None
    total_distance_m: float | None = None
    total_ascent_m: float | None = None
    total_descent_m: float | None = None
    avg_heart_rate: int | None = None
    max_heart_rate: int | None = None
    avg_cadence: float | None = None
    """Per-foot, as stored (avg_running_cadence / avg_cadence + fractional)."""
    total_calories: float | None = None
    listed: bool = False
    """The sport came from an export's listing (Strava's activities.csv), which wins over inferring it."""


@dataclass(frozen=True, slots=True)
class DailyClimb:
    """Daily ascent/descent from a monitoring file (the watch's barometric floor counter)."""

    day: date
    ascent_m: float | None
    descent_m: float | None
    steps: int | None = None


@dataclass(slots=True)
class DecodedActivity:
    """Everything we use from one activity file: a FIT file (all chained files in it, in order), a GPX or a TCX."""

    file_type: str
    """FIT file_id.type name: 'activity', 'monitoring_b', 'settings', 'workout', 'weight'... or 'unknown';
    GPX and TCX files with a recorded track are 'activity', others 'route', 'course' or 'unknown'."""
    manufacturer: str | None = None
    product: str | None = None
    serial_number: int | None = None
    time_created: datetime | None = None
    local_offset_s: int | None = None
    """activity.local_timestamp - activity.timestamp, in seconds, when the file says it."""
    sessions: list[SessionTotals] = field(default_factory=list)
    records: RecordStream = field(default_factory=RecordStream)
    daily_climbs: list[DailyClimb] = field(default_factory=list)
    activity_name: str | None = None
    source_format: str = "fit"
    """'fit', 'gpx' or 'tcx'."""
    skip_reason: str | None = None
    """Why this file holds nothing to measure (a route, a track without timestamps...): it is `skipped` with it."""
    notes: list[str] = field(default_factory=list)
    """Things the runner should know about how the file was read (shown in the import's detail)."""
