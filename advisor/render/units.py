"""Numbers as a runner reads them, in `profile.units` (`km` or `mi`): distance, pace, speed, elevation, duration.

Pure functions over SI values (metres, seconds), so every text output — the terminal, the weekly email, the web
page — shows the same number the same way, and `--json` stays SI (plus km) whatever the runner chose.
"""

from __future__ import annotations

from typing import Literal

Units = Literal["km", "mi"]

METRES_PER_MILE = 1609.344
METRES_PER_FOOT = 0.3048


def distance_unit(units: Units) -> str:
    """The distance unit's short name: `km` or `mi`."""
    return "mi" if units == "mi" else "km"


def elevation_unit(units: Units) -> str:
    """Climb and descent are in metres with km, in feet with miles (how runners of each habit talk about hills)."""
    return "ft" if units == "mi" else "m"


def distance_value(metres: float, units: Units) -> float:
    """Metres in kilometres or miles."""
    return metres / (METRES_PER_MILE if units == "mi" else 1000.0)


def distance(metres: float, units: Units, digits: int = 2, unit: bool = True) -> str:
    """`12.34 km` / `7.67 mi`; `unit=False` leaves the unit to a column header."""
    text = f"{distance_value(metres, units):.{digits}f}"
    return f"{text} {distance_unit(units)}" if unit else text


def elevation(metres: float, units: Units, unit: bool = True) -> str:
    """`123 m` / `404 ft`, whole numbers: altitude from a watch is not better than a metre."""
    value = metres / METRES_PER_FOOT if units == "mi" else metres
    text = f"{value:.0f}"
    return f"{text} {elevation_unit(units)}" if unit else text


def duration(seconds: float) -> str:
    """`42:05` under an hour, `1:02:05` from an hour on."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def pace(seconds: float, metres: float, units: Units, unit: bool = True) -> str:
    """Time per kilometre or mile (`5:12 /km`), the way runners think; `-` when there is no distance to speak of."""
    if metres <= 50 or seconds <= 0:
        return "-"
    text = duration(seconds / distance_value(metres, units))
    return f"{text} /{distance_unit(units)}" if unit else text


def speed(seconds: float, metres: float, units: Units, unit: bool = True) -> str:
    """Kilometres or miles per hour (`24.3 km/h`, `15.1 mph`): a bike's pace per km says nothing to a cyclist."""
    if metres <= 50 or seconds <= 0:
        return "-"
    text = f"{distance_value(metres, units) / (seconds / 3600):.1f}"
    return f"{text} {'mph' if units == 'mi' else 'km/h'}" if unit else text
