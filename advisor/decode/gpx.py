"""GPX 1.0 / 1.1 tracks into a `DecodedActivity`, with gpxpy.

Why gpxpy: it is the maintained GPX library for Python (both schema versions, Garmin's and others' extensions kept
as elements, timestamps with time zones), so we do not hand-roll the GPX schema. It parses with the standard
library's ElementTree, which expands entities; the bytes are therefore first checked by `xml_safe.parse`
(defusedxml, no DTD allowed), which also gives malformed XML its one-sentence reason.

What is read: every track point of every track and segment in file order (segments are pauses, not separate runs);
time, position, elevation, GPX 1.0 `<speed>`, and from the extensions (any namespace, matched by local name)
heart rate (`hr`, `heartrate`), cadence (`cad`, `cadence`, `RunCadence`: per foot, as Garmin and Strava write it),
speed and distance. GPX has no distance counter of its own (unless an extension carries one), so distance is left to
the metrics, which compute it from the coordinates. Sport from the first track's `<type>`; without it the sport is
`UNKNOWN_SPORT` and the import decides.

Skipped, not failed: a file with only routes (a planned course), a track without timestamps (a drawn track), and a
file with no track points at all (waypoints only).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import gpxpy
import gpxpy.gpx

from advisor.decode import xml_safe
from advisor.decode.model import UNKNOWN_SPORT, DecodedActivity, FitDecodeError, RecordStream, SessionTotals
from advisor.decode.sports import sport_from_text

_HR = frozenset({"hr", "heartrate", "heart_rate"})
_CADENCE = frozenset({"cad", "cadence", "runcadence"})


def decode(data: bytes, checked: bool = False) -> DecodedActivity:
    """Decode GPX bytes; `FitDecodeError` (one sentence) when they are not a readable GPX document.

    `checked=True` says the bytes already went through `xml_safe.parse` (the format sniffer does that).
    """
    if not checked:
        xml_safe.parse(data)  # refuses DTDs and entity tricks before gpxpy sees the text; reasons for bad XML
    try:
        gpx = gpxpy.parse(xml_safe.text_of(data))
    except gpxpy.gpx.GPXException as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FitDecodeError(f"not a valid GPX file ({reason})") from None
    name = next((t.name for t in gpx.tracks if t.name), None) or gpx.name
    out = DecodedActivity(file_type="activity", source_format="gpx", activity_name=name, time_created=gpx.time)
    points = [p for track in gpx.tracks for segment in track.segments for p in segment.points]
    if not points:
        if any(route.points for route in gpx.routes):
            out.file_type = "route"
            out.skip_reason = "a route (a planned course), not a recorded track"
        else:
            out.file_type = "unknown"
            out.skip_reason = "no track points"
        return out
    records = RecordStream()
    lat, lon = records.latitude_deg, records.longitude_deg
    untimed = 0
    for p in points:
        when = p.time
        if when is None:
            untimed += 1
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        hr = cadence = speed = distance = None
        for extension in p.extensions:
            for element in extension.iter():
                key = xml_safe.local(element.tag).lower()
                if key in _HR:
                    hr = xml_safe.number(element.text)
                elif key in _CADENCE:
                    cadence = xml_safe.number(element.text)
                elif key == "speed":
                    speed = xml_safe.number(element.text)
                elif key == "distance":
                    distance = xml_safe.number(element.text)
        records.append(
            when.timestamp(),
            distance,
            p.elevation,
            p.speed if p.speed is not None else speed,
            None if hr is None or not math.isfinite(hr) else int(hr),
            cadence,
        )
        lat.append(p.latitude)
        lon.append(p.longitude)
    if not len(records):
        out.skip_reason = "a track without timestamps (drawn or converted, not recorded)"
        return out
    if untimed:
        out.notes.append(f"{untimed} track point{'s' * (untimed != 1)} without a time left out")
    track_type = next((t.type for t in gpx.tracks if t.type), None)
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


__all__ = ["decode"]
