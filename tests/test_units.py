"""advisor.render.units: the same SI number reads right in km and in miles."""

from __future__ import annotations

from advisor.render import units as u


def test_distance_in_km_and_miles() -> None:
    assert u.distance(10_000, "km") == "10.00 km"
    assert u.distance(1609.344 * 26.2, "mi") == "26.20 mi"
    assert u.distance(5000, "mi", unit=False) == "3.11"


def test_pace_per_km_and_per_mile() -> None:
    assert u.pace(1500, 5000, "km") == "5:00 /km"  # 25:00 for 5 km
    assert u.pace(1500, 5000, "mi") == "8:03 /mi"  # 5:00/km × 1.609
    assert u.pace(3 * 3600 + 30, 42_195, "km", unit=False) == "4:17"  # 256.7 s rounds up
    assert u.pace(600, 20, "km") == "-"  # no distance to speak of


def test_speed_in_kmh_and_mph() -> None:
    assert u.speed(3600, 30_000, "km") == "30.0 km/h"
    assert u.speed(3600, 30_000, "mi") == "18.6 mph"
    assert u.speed(0, 30_000, "km") == "-"


def test_elevation_in_metres_and_feet() -> None:
    assert u.elevation(100, "km") == "100 m"
    assert u.elevation(100, "mi") == "328 ft"
    assert u.elevation_unit("mi") == "ft" and u.distance_unit("mi") == "mi"


def test_duration() -> None:
    assert u.duration(59.6) == "1:00"
    assert u.duration(3725) == "1:02:05"
