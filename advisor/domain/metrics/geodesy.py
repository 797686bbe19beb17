"""Distance between two GPS fixes on the WGS84 ellipsoid (for GPX/TCX tracks without a distance counter).

Why geographiclib: it is Karney's reference implementation of the geodesic on the ellipsoid (accurate to
nanometres), pure Python and maintained, so the distance of a GPX run does not depend on a flat-earth shortcut
(gpxpy's default `length_2d` uses an equirectangular approximation for short steps, which ignores the ellipsoid's
flattening: about 0.3 % short or long depending on latitude and heading — on a 40 km long run, 100 m). Only the
distance is asked for (`Geodesic.DISTANCE`), which skips the azimuth and area work. Pure function, no I/O.
"""

from __future__ import annotations

from typing import Final

from geographiclib.geodesic import Geodesic

_WGS84: Final = Geodesic.WGS84
_DISTANCE: Final = Geodesic.DISTANCE


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres along the shortest path on the WGS84 ellipsoid between two points given in degrees."""
    if lat1 == lat2 and lon1 == lon2:
        return 0.0
    return float(_WGS84.Inverse(lat1, lon1, lat2, lon2, _DISTANCE)["s12"])


__all__ = ["geodesic_m"]
