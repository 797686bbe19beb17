"""GPX 1.0 / 1.1 tracks into a `DecodedActivity`, read as a stream.

Why not gpxpy (which this module used until issue 24): it builds the whole document as an ElementTree and then as
its own objects, about 11 × the file's size in memory — a 24-hour recording needed a quarter of a gigabyte per
pool worker, and a 54 MB file 1.3 GB before it was refused. GPX's track is one small, fixed shape, so
`xml_safe.walk` hands us one `<trkpt>` at a time over defusedxml (no DTD, no entities, depth bounded) and drops it
once read: peak memory is the records we keep (`bench/xml_memory_bench.py`). gpxpy stays in the tests, as the
independent reading our records are checked against.

What is read: every track point of every track and segment in file order (segments are pauses, not separate runs);
time, position, elevation, GPX 1.0 `<speed>`, and from `<extensions>` (any namespace, matched by local name)
heart rate (`hr`, `heartrate`), cadence (`cad`, `cadence`, `RunCadence`: per foot, as Garmin and Strava write it),
speed and distance. GPX has no distance counter of its own (unless an extension carries one), so distance is left to
the metrics, which compute it from the coordinates. Sport from the first track's `<type>`; without it the sport is
`UNKNOWN_SPORT` and the import decides. The name is the first track's, else the file's (`<metadata>` in 1.1, the
root in 1.0).

Skipped, not failed: a file with only routes (a planned course), a track whose points mostly have no time (a drawn
track, perhaps with a few stamped points), and a file with no track points at all (waypoints only).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from advisor.domain.activity import UNKNOWN_SPORT, DecodedActivity, DecodeError, RecordStream, SessionTotals
from advisor.ingest.decode import xml_safe
from advisor.ingest.decode.sports import sport_from_text

_HR = frozenset({"hr", "heartrate", "heart_rate"})
_CADENCE = frozenset({"cad", "cadence", "runcadence"})
_WANTED = frozenset({"trkpt", "rtept", "name", "type", "time"})
"""What the walk hands us: points, and the track's and file's name, type and time (a point's own are inside it)."""


def decode(data: bytes) -> DecodedActivity:
    """Decode GPX bytes; `DecodeError` (one sentence) when they are not a readable GPX document."""
    records = RecordStream()
    lat, lon = records.latitude_deg, records.longitude_deg
    points = untimed = 0
    route = False
    track_names: list[str] = []
    track_types: list[str] = []
    file_name: str | None = None
    file_time: datetime | None = None
    for path, element in xml_safe.walk(data, _WANTED):
        if not path or path[0] != "gpx":
            raise DecodeError(f"not a GPX file (root element <{path[0] if path else xml_safe.local(element.tag)}>)")
        name, parent = xml_safe.local(element.tag), path[-1]
        if name == "trkpt":
            points += 1
            untimed += _point(element, records, lat, lon)
        elif name == "rtept":
            route = True
        elif parent == "trk" and name in ("name", "type") and element.text and element.text.strip():
            (track_names if name == "name" else track_types).append(element.text.strip())
        elif parent in ("metadata", "gpx") and name == "name" and element.text and element.text.strip():
            file_name = file_name or element.text.strip()
        elif parent in ("metadata", "gpx") and name == "time":
            file_time = file_time or xml_safe.time_of(element.text)
    out = DecodedActivity(
        file_type="activity",
        source_format="gpx",
        activity_name=track_names[0] if track_names else file_name,
        time_created=file_time,
    )
    if not points:
        if route:
            out.file_type = "route"
            out.skip_reason = "a route (a planned course), not a recorded track"
        else:
            out.file_type = "unknown"
            out.skip_reason = "no track points"
        return out
    if untimed >= len(records):  # none, or mostly none: a drawn track with a few stamped points is not a recording
        out.skip_reason = "a track without timestamps (drawn or converted, not recorded)"
        return out
    if untimed:
        out.notes.append(f"{untimed} track point{'s' * (untimed != 1)} without a time left out")
    track_type = track_types[0] if track_types else None
    sport = sport_from_text(track_type)
    start = datetime.fromtimestamp(min(records.time_s), UTC)
    out.sessions.append(
        SessionTotals(
            sport=sport[0] if sport else UNKNOWN_SPORT, sub_sport=sport[1] if sport else None, start_time=start
        )
    )
    if sport is None and track_type:
        out.notes.append(f"GPX type {track_type!r} is not a sport we know")
    out.records = records
    return out


def _point(point: Element, records: RecordStream, lat: list[float | None], lon: list[float | None]) -> int:
    """Append one `<trkpt>`; returns 1 when it had no usable time (and was left out), else 0."""
    children = {xml_safe.local(child.tag): child.text for child in point}
    when = xml_safe.time_of(children.get("time"))
    if when is None:
        return 1
    extra = _extensions(point)
    speed = xml_safe.number(children.get("speed"))  # GPX 1.0's own <speed> before an extension's
    hr = extra.get("hr")
    records.append(
        when.timestamp(),
        extra.get("distance"),
        xml_safe.number(children.get("ele")),
        speed if speed is not None else extra.get("speed"),
        None if hr is None or not math.isfinite(hr) else int(hr),
        extra.get("cadence"),
    )
    lat.append(xml_safe.number(point.get("lat")))
    lon.append(xml_safe.number(point.get("lon")))
    return 0


def _extensions(point: Element) -> dict[str, float | None]:
    """Heart rate, cadence, speed and distance from a point's `<extensions>`, any namespace, by local name."""
    found: dict[str, float | None] = {}
    for extensions in point.iterfind("{*}extensions"):
        for element in extensions.iter():
            name = xml_safe.local(element.tag).lower()
            key = "hr" if name in _HR else "cadence" if name in _CADENCE else name
            if key in ("hr", "cadence", "speed", "distance"):
                found[key] = xml_safe.number(element.text)
    return found


__all__ = ["decode"]
