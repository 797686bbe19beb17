"""Write GPX and TCX runs for tests from `fitgen.Point`s, the same samples `fitgen.write_activity` writes as FIT.

Positions are laid out along a fixed bearing with geographiclib's *direct* geodesic problem (a point `distance_m`
metres along the ellipsoid from the start), so the truth of a track's length is the points' own `distance_m`,
independently of the inverse computation the import uses. Heart rate and cadence go where Garmin writes them:
GPX `gpxtpx:TrackPointExtension` (`hr`, `cad`), TCX `HeartRateBpm` and the ActivityExtension `RunCadence`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from fitgen import DEFAULT_START, Point
from geographiclib.geodesic import Geodesic

START_LAT, START_LON, BEARING_DEG = 46.05, 14.50, 37.0


def position(distance_m: float) -> tuple[float, float]:
    """(lat, lon) `distance_m` metres from the start along the bearing, on the WGS84 ellipsoid."""
    line = Geodesic.WGS84.Direct(START_LAT, START_LON, BEARING_DEG, distance_m)
    return line["lat2"], line["lon2"]


def _iso(start: datetime, t: float) -> str:
    return (start + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def gpx(
    points: Sequence[Point],
    *,
    start: datetime = DEFAULT_START,
    sport: str | None = "running",
    name: str = "Morning Run",
    with_time: bool = True,
    version: str = "1.1",
) -> bytes:
    """A GPX track (1.1 with Garmin's TrackPointExtension, or 1.0) of the points."""
    ns = "http://www.topografix.com/GPX/1/1" if version == "1.1" else "http://www.topografix.com/GPX/1/0"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<gpx version="{version}" creator="advisor tests" xmlns="{ns}"'
        ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">',
        f"<trk><name>{name}</name>" + (f"<type>{sport}</type>" if sport else "") + "<trkseg>",
    ]
    for p in points:
        lat, lon = position(p.distance_m or 0.0)
        parts = [f'<trkpt lat="{lat:.8f}" lon="{lon:.8f}">']
        if p.altitude_m is not None:
            parts.append(f"<ele>{p.altitude_m:.2f}</ele>")
        if with_time:
            parts.append(f"<time>{_iso(start, p.t)}</time>")
        if version == "1.1" and (p.heart_rate is not None or p.cadence is not None):
            ext = "".join(
                [
                    f"<gpxtpx:hr>{p.heart_rate}</gpxtpx:hr>" if p.heart_rate is not None else "",
                    f"<gpxtpx:cad>{int(p.cadence)}</gpxtpx:cad>" if p.cadence is not None else "",
                ]
            )
            parts.append(f"<extensions><gpxtpx:TrackPointExtension>{ext}</gpxtpx:TrackPointExtension></extensions>")
        parts.append("</trkpt>")
        out.append("".join(parts))
    out.append("</trkseg></trk></gpx>")
    return "\n".join(out).encode()


def tcx(
    points: Sequence[Point],
    *,
    start: datetime = DEFAULT_START,
    sport: str = "Running",
    with_distance: bool = True,
    leading_space: bool = False,
) -> bytes:
    """A one-lap TCX activity of the points, with the lap's totals as a device writes them."""
    first, last = points[0], points[-1]
    hrs = [p.heart_rate for p in points if p.heart_rate is not None]
    out = [
        ("          " if leading_space else "") + '<?xml version="1.0" encoding="UTF-8"?>',
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
        ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">',
        f'<Activities><Activity Sport="{sport}"><Id>{_iso(start, first.t)}</Id>',
        f'<Lap StartTime="{_iso(start, first.t)}">',
        f"<TotalTimeSeconds>{last.t - first.t:.1f}</TotalTimeSeconds>",
        f"<DistanceMeters>{(last.distance_m or 0.0) - (first.distance_m or 0.0):.2f}</DistanceMeters>",
        "<Calories>300</Calories>",
    ]
    if hrs:
        out.append(f"<AverageHeartRateBpm><Value>{round(sum(hrs) / len(hrs))}</Value></AverageHeartRateBpm>")
        out.append(f"<MaximumHeartRateBpm><Value>{max(hrs)}</Value></MaximumHeartRateBpm>")
    out.append("<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>")
    for p in points:
        lat, lon = position(p.distance_m or 0.0)
        parts = [f"<Trackpoint><Time>{_iso(start, p.t)}</Time>"]
        parts.append(f"<Position><LatitudeDegrees>{lat:.8f}</LatitudeDegrees>")
        parts.append(f"<LongitudeDegrees>{lon:.8f}</LongitudeDegrees></Position>")
        if p.altitude_m is not None:
            parts.append(f"<AltitudeMeters>{p.altitude_m:.2f}</AltitudeMeters>")
        if with_distance and p.distance_m is not None:
            parts.append(f"<DistanceMeters>{p.distance_m:.2f}</DistanceMeters>")
        if p.heart_rate is not None:
            parts.append(f"<HeartRateBpm><Value>{p.heart_rate}</Value></HeartRateBpm>")
        ext = f"<ns3:Speed>{p.speed_mps:.3f}</ns3:Speed>" if p.speed_mps is not None else ""
        if p.cadence is not None:
            ext += f"<ns3:RunCadence>{int(p.cadence)}</ns3:RunCadence>"
        if ext:
            parts.append(f"<Extensions><ns3:TPX>{ext}</ns3:TPX></Extensions>")
        parts.append("</Trackpoint>")
        out.append("".join(parts))
    out.append("</Track></Lap></Activity></Activities></TrainingCenterDatabase>")
    return "\n".join(out).encode()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
