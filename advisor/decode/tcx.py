"""Garmin Training Center (TCX) activities into a `DecodedActivity`, with the standard library's ElementTree.

Why no TCX library: the two maintained ones (python-tcxparser, tcxreader) parse with lxml or plain ElementTree
without entity protection, hand back per-point objects we would convert again, and drop fields we need
(tcxparser has no per-point cadence or speed extension, neither keeps per-lap totals as the device wrote them).
TCX is one small, fixed schema, so walking it over a defusedxml tree (`xml_safe.parse`: no DTD, no entities) is
short, safe and about as fast as XML gets in Python.

What is read, per `<Activity>` (one session each; a multisport file has several): `Sport` (Running, Biking; "Other"
and a missing one give `UNKNOWN_SPORT`, for the import to resolve), `<Id>` as the start (else the first lap's
`StartTime`), the laps' totals summed as the session's own totals (timer time, distance, calories, heart rate,
cadence), and every `<Trackpoint>`: time, position, altitude, the device's own cumulative `DistanceMeters`, heart
rate, `Cadence` and the ActivityExtension `Speed` and `RunCadence` (per foot, like FIT). Elements are matched by
local name, so any namespace prefix works. A `<Courses>`-only file is a planned route and is skipped.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from advisor.decode import xml_safe
from advisor.decode.model import UNKNOWN_SPORT, DecodedActivity, FitDecodeError, RecordStream, SessionTotals
from advisor.decode.sports import sport_from_text

local = xml_safe.local


def decode(data: bytes) -> DecodedActivity:
    """Decode TCX bytes; `FitDecodeError` (one sentence) for malformed XML or a document that is not TCX."""
    root = xml_safe.parse(data)
    return decode_tree(root)


def decode_tree(root: Element) -> DecodedActivity:
    """The activity from a parsed `<TrainingCenterDatabase>` root."""
    if local(root.tag) != "TrainingCenterDatabase":
        raise FitDecodeError(f"not a TCX file (root element <{local(root.tag)}>)")
    out = DecodedActivity(file_type="activity", source_format="tcx")
    activities = root.findall("{*}Activities/{*}Activity") + root.findall(
        "{*}Activities/{*}MultiSportSession//{*}Activity"
    )
    if not activities:
        if root.findall("{*}Courses/{*}Course"):
            out.file_type = "course"
            out.skip_reason = "a course (a planned route), not a recorded activity"
        else:
            out.file_type = "unknown"
            out.skip_reason = "no track points"
        return out
    records = out.records
    lat, lon = records.latitude_deg, records.longitude_deg
    untimed = 0
    for activity in activities:
        laps = activity.findall("{*}Lap")
        start = _time(activity.findtext("{*}Id")) or (_time(laps[0].get("StartTime")) if laps else None)
        first_index = len(records)
        for lap in laps:
            for point in lap.iterfind("{*}Track/{*}Trackpoint"):
                untimed += _trackpoint(point, records, lat, lon)
        if start is None and len(records) > first_index:
            start = datetime.fromtimestamp(records.time_s[first_index], UTC)
        if start is None:
            continue
        sport_text = activity.get("Sport")
        sport = sport_from_text(sport_text)
        if sport is None and sport_text and sport_text.lower() != "other":
            out.notes.append(f"TCX Sport {sport_text!r} is not a sport we know")
        out.sessions.append(_totals(laps, start, sport))
    if out.activity_name is None:
        out.activity_name = next((n.text.strip() for n in root.iter("{*}Notes") if n.text and n.text.strip()), None)
    if not len(records):
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


def _trackpoint(point: Element, records: RecordStream, lat: list[float | None], lon: list[float | None]) -> int:
    """Append one `<Trackpoint>`; returns 1 when it had no usable time (and was left out), else 0."""
    when = distance = altitude = speed = cadence = latitude = longitude = None
    hr: int | None = None
    for child in point:
        name = local(child.tag)
        if name == "Time":
            when = _time(child.text)
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


def _totals(laps: list[Element], start: datetime, sport: tuple[str, str | None] | None) -> SessionTotals:
    """The laps' own totals summed: what the device wrote, kept beside what we compute (as FIT session totals)."""
    timer = _sum(xml_safe.number(lap.findtext("{*}TotalTimeSeconds")) for lap in laps)
    distance = _sum(xml_safe.number(lap.findtext("{*}DistanceMeters")) for lap in laps)
    calories = _sum(xml_safe.number(lap.findtext("{*}Calories")) for lap in laps)
    max_hrs = [h for lap in laps if (h := _int(lap.findtext("{*}MaximumHeartRateBpm/{*}Value"))) is not None]
    weighted = [
        (h, xml_safe.number(lap.findtext("{*}TotalTimeSeconds")) or 0.0)
        for lap in laps
        if (h := _int(lap.findtext("{*}AverageHeartRateBpm/{*}Value"))) is not None
    ]
    weight = sum(w for _, w in weighted)
    avg_hr = round(sum(h * w for h, w in weighted) / weight) if weighted and weight > 0 else None
    return SessionTotals(
        sport=sport[0] if sport else UNKNOWN_SPORT,
        sub_sport=sport[1] if sport else None,
        start_time=start,
        total_timer_time_s=timer,
        total_distance_m=distance,
        avg_heart_rate=avg_hr,
        max_heart_rate=max(max_hrs) if max_hrs else None,
        total_calories=calories,
    )


def _sum(values: object) -> float | None:
    present = [v for v in values if v is not None]  # type: ignore[attr-defined]
    return sum(present) if present else None


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _int(text: str | None) -> int | None:
    number = xml_safe.number(text)
    return int(number) if number is not None and math.isfinite(number) else None


__all__ = ["decode", "decode_tree"]
