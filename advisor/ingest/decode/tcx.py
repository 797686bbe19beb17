"""Garmin Training Center (TCX) activities into a `DecodedActivity`, with the standard library's ElementTree.

Why no TCX library: the two maintained ones (python-tcxparser, tcxreader) parse with lxml or plain ElementTree
without entity protection, hand back per-point objects we would convert again, and drop fields we need
(tcxparser has no per-point cadence or speed extension, neither keeps per-lap totals as the device wrote them).
TCX is one small, fixed schema, so walking it as a stream over defusedxml (`xml_safe.walk`: no DTD, no entities,
depth bounded, one `<Trackpoint>` in memory at a time) is short, safe and about as fast as XML gets in Python.

What is read, per `<Activity>` (one session each; a multisport file has several): `Sport` (Running, Biking; "Other"
and a missing one give `UNKNOWN_SPORT`, for the import to resolve), `<Id>` as the start (else the first lap's
`StartTime`), the laps' totals summed as the session's own totals (timer time, distance, calories, heart rate,
cadence), and every `<Trackpoint>`: time, position, altitude, the device's own cumulative `DistanceMeters`, heart
rate, `Cadence` and the ActivityExtension `Speed` and `RunCadence` (per foot, like FIT). Elements are matched by
local name, so any namespace prefix works. A `<Courses>`-only file is a planned route and is skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from advisor.domain.activity import UNKNOWN_SPORT, DecodedActivity, DecodeError, RecordStream, SessionTotals
from advisor.ingest.decode import xml_safe
from advisor.ingest.decode.sports import sport_from_text

local = xml_safe.local


_LAP_TOTALS = frozenset(
    {"TotalTimeSeconds", "DistanceMeters", "Calories", "AverageHeartRateBpm", "MaximumHeartRateBpm"}
)
_WANTED = frozenset({"Trackpoint", "Id", "Notes", "Course"} | _LAP_TOTALS)
"""What the walk hands us when it ends: points, and each lap's and activity's own fields."""
_OPENED = frozenset({"Activity", "Lap"})
"""What it hands us when it opens: the containers, with their attributes (`Sport`, `StartTime`)."""


@dataclass
class _Activity:
    """What one `<Activity>` has shown so far, while the walk is inside it."""

    sport: str | None
    first_index: int
    start: datetime | None = None
    laps: list[dict[str, object]] = field(default_factory=list)


def decode(data: bytes) -> DecodedActivity:
    """Decode TCX bytes; `DecodeError` (one sentence) for malformed XML or a document that is not TCX."""
    out = DecodedActivity(file_type="activity", source_format="tcx")
    records = out.records
    lat, lon = records.latitude_deg, records.longitude_deg
    untimed = 0
    course = False
    activities: list[_Activity] = []
    for path, element in xml_safe.walk(data, _WANTED, _OPENED):
        if not path or path[0] != "TrainingCenterDatabase":
            raise DecodeError(f"not a TCX file (root element <{path[0] if path else local(element.tag)}>)")
        name = local(element.tag)
        if name == "Notes" and out.activity_name is None and element.text and element.text.strip():
            out.activity_name = element.text.strip()
        if name == "Activity":
            activities.append(_Activity(element.get("Sport"), len(records)))
            continue
        if "Activity" not in path or not activities:
            course = course or name == "Course"
            continue  # a course's laps and points are a planned route, not a recording
        current = activities[-1]
        if name == "Trackpoint":
            untimed += _trackpoint(element, records, lat, lon)
        elif name == "Id" and path[-1] == "Activity":
            current.start = xml_safe.time_of(element.text)
        elif name == "Lap":
            current.laps.append({"StartTime": xml_safe.time_of(element.get("StartTime"))})
        elif name in _LAP_TOTALS and path[-1] == "Lap" and current.laps:
            current.laps[-1][name] = _lap_value(element)
    if not activities:
        out.file_type = "course" if course else "unknown"
        out.skip_reason = "a course (a planned route), not a recorded activity" if course else "no track points"
        return out
    for i, activity in enumerate(activities):
        end = activities[i + 1].first_index if i + 1 < len(activities) else len(records)
        _session(out, activity, end)
    if not len(records) or untimed >= len(records):  # mostly untimed: drawn, not recorded
        out.sessions = []
        if untimed:
            out.skip_reason = "a track without timestamps (drawn or converted, not recorded)"
        else:
            out.file_type = "unknown"
            out.skip_reason = "no track points"
        return out
    if untimed:
        out.notes.append(f"{untimed} track point{'s' * (untimed != 1)} without a time left out")
    if not any(lat):
        records.latitude_deg, records.longitude_deg = [], []
    return out


def _session(out: DecodedActivity, activity: _Activity, end: int) -> None:
    """One session from an `<Activity>`: started at its `<Id>`, else its first lap's `StartTime`, else its first
    point; none when it has no time at all."""
    start = activity.start
    if start is None and activity.laps:
        start = activity.laps[0].get("StartTime")  # type: ignore[assignment]
    if start is None and end > activity.first_index:
        start = datetime.fromtimestamp(out.records.time_s[activity.first_index], UTC)
    if start is None:
        return
    sport = sport_from_text(activity.sport)
    if sport is None and activity.sport and activity.sport.lower() != "other":
        out.notes.append(f"TCX Sport {activity.sport!r} is not a sport we know")
    out.sessions.append(_totals(activity.laps, start, sport))


def _lap_value(element: Element) -> float | None:
    """A lap total: its text, or for the heart-rate ones their `<Value>`."""
    text = element.findtext("{*}Value") if local(element.tag).endswith("HeartRateBpm") else element.text
    return xml_safe.number(text)


def _trackpoint(point: Element, records: RecordStream, lat: list[float | None], lon: list[float | None]) -> int:
    """Append one `<Trackpoint>`; returns 1 when it had no usable time (and was left out), else 0."""
    when = distance = altitude = speed = cadence = latitude = longitude = None
    hr: int | None = None
    for child in point:
        name = local(child.tag)
        if name == "Time":
            when = xml_safe.time_of(child.text)
        elif name == "DistanceMeters":
            distance = xml_safe.number(child.text)
        elif name == "AltitudeMeters":
            altitude = xml_safe.number(child.text)
        elif name == "HeartRateBpm":
            hr = _int(child.findtext("{*}Value"))
        elif name == "Cadence":
            cadence = xml_safe.number(child.text)
        elif name == "Position":
            for part in child:
                if local(part.tag) == "LatitudeDegrees":
                    latitude = xml_safe.number(part.text)
                elif local(part.tag) == "LongitudeDegrees":
                    longitude = xml_safe.number(part.text)
        elif name == "Extensions":
            for element in child.iter():
                key = local(element.tag)
                if key == "Speed":
                    speed = xml_safe.number(element.text)
                elif key == "RunCadence" and cadence is None:
                    cadence = xml_safe.number(element.text)
    if when is None:
        return 1
    records.append(when.timestamp(), distance, altitude, speed, hr, cadence)
    lat.append(latitude)
    lon.append(longitude)
    return 0


def _totals(laps: list[dict[str, object]], start: datetime, sport: tuple[str, str | None] | None) -> SessionTotals:
    """The laps' own totals summed: what the device wrote, kept beside what we compute (as FIT session totals)."""

    def values(key: str) -> list[float]:
        return [v for lap in laps if isinstance(v := lap.get(key), float)]

    weighted = [
        (float(h), float(w) if isinstance(w := lap.get("TotalTimeSeconds"), float) else 0.0)
        for lap in laps
        if isinstance(h := lap.get("AverageHeartRateBpm"), float) and math.isfinite(h)
    ]
    weight = sum(w for _, w in weighted)
    max_hrs = [int(h) for h in values("MaximumHeartRateBpm") if math.isfinite(h)]
    return SessionTotals(
        sport=sport[0] if sport else UNKNOWN_SPORT,
        sub_sport=sport[1] if sport else None,
        start_time=start,
        total_timer_time_s=_sum(values("TotalTimeSeconds")),
        total_distance_m=_sum(values("DistanceMeters")),
        avg_heart_rate=round(sum(int(h) * w for h, w in weighted) / weight) if weighted and weight > 0 else None,
        max_heart_rate=max(max_hrs) if max_hrs else None,
        total_calories=_sum(values("Calories")),
    )


def _sum(values: object) -> float | None:
    present = [v for v in values if v is not None]  # type: ignore[attr-defined]
    return sum(present) if present else None


def _int(text: str | None) -> int | None:
    number = xml_safe.number(text)
    return int(number) if number is not None and math.isfinite(number) else None


__all__ = ["decode"]
