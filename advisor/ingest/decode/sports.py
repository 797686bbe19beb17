"""Sport names from GPX `<type>`, TCX `Sport` and Strava's activities.csv, mapped to the FIT profile's names.

Why FIT names: everything downstream (metrics' foot-sport test, the risk model's run / on-foot / stairs classes) is
written against FIT's `sport` and `sub_sport` enums, so a run from a GPX file must say "running" exactly like one
from a watch. Free text is matched case-insensitively with '-', ' ' read as '_'. Unknown text gives None: the
caller decides (the next source of a sport, or running with a note).
"""

from __future__ import annotations

from typing import Final

_SPORTS: Final[dict[str, tuple[str, str | None]]] = {
    # running
    "run": ("running", None),
    "running": ("running", None),
    "trail_run": ("running", "trail"),
    "trail_running": ("running", "trail"),
    "virtual_run": ("running", "virtual_activity"),
    "treadmill": ("running", "treadmill"),
    "treadmill_running": ("running", "treadmill"),
    "track_running": ("running", "track"),
    "street_running": ("running", "street"),
    "indoor_running": ("running", "indoor_running"),
    # on foot
    "walk": ("walking", None),
    "walking": ("walking", None),
    "hike": ("hiking", None),
    "hiking": ("hiking", None),
    "mountaineering": ("mountaineering", None),
    "snowshoe": ("snowshoeing", None),
    "snowshoeing": ("snowshoeing", None),
    # wheels
    "ride": ("cycling", None),
    "biking": ("cycling", None),
    "cycling": ("cycling", None),
    "bike": ("cycling", None),
    "road_biking": ("cycling", "road"),
    "mountain_bike_ride": ("cycling", "mountain"),
    "mountain_biking": ("cycling", "mountain"),
    "gravel_ride": ("cycling", "gravel_cycling"),
    "e_bike_ride": ("e_biking", None),
    "e_mountain_bike_ride": ("e_biking", None),
    "virtual_ride": ("cycling", "virtual_activity"),
    "velomobile": ("cycling", None),
    "handcycle": ("cycling", "hand_cycling"),
    # other
    "swim": ("swimming", None),
    "swimming": ("swimming", None),
    "rowing": ("rowing", None),
    "kayaking": ("kayaking", None),
    "canoeing": ("paddling", None),
    "stand_up_paddling": ("stand_up_paddleboarding", None),
    "elliptical": ("fitness_equipment", "elliptical"),
    "stairstepper": ("fitness_equipment", "stair_climbing"),
    "stair_stepper": ("fitness_equipment", "stair_climbing"),
    "weight_training": ("training", "strength_training"),
    "workout": ("training", None),
    "crossfit": ("training", "cardio_training"),
    "yoga": ("training", "yoga"),
    "alpine_ski": ("alpine_skiing", None),
    "backcountry_ski": ("alpine_skiing", "backcountry"),
    "nordic_ski": ("cross_country_skiing", None),
    "cross_country_skiing": ("cross_country_skiing", None),
    "snowboard": ("snowboarding", None),
    "ice_skate": ("ice_skating", None),
    "inline_skate": ("inline_skating", None),
    "rock_climbing": ("rock_climbing", None),
}

STRAVA_GPX_CODES: Final[dict[str, str]] = {"1": "ride", "4": "hike", "9": "run", "10": "walk", "16": "swim"}
"""Older Strava GPX exports write `<type>` as a number (Strava's activity type code)."""


def sport_from_text(text: str | None) -> tuple[str, str | None] | None:
    """(sport, sub_sport) in FIT names for a sport written as free text, or None when unknown or absent."""
    if text is None:
        return None
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    key = STRAVA_GPX_CODES.get(key, key)
    return _SPORTS.get(key)


def known_sport_words() -> frozenset[str]:
    """Every word a sport can be named by: the FIT profile's sport and sub-sport names (fitdecode's), and the free
    text this module maps (`hike`, `ride`, `trail run`), with '_' as the separator."""
    from fitdecode.profile import FIELD_TYPES

    fit = {name for field in ("sport", "sub_sport") for name in (FIELD_TYPES[field].enum or {}).values()}
    return frozenset(fit | set(_SPORTS))


__all__ = ["STRAVA_GPX_CODES", "known_sport_words", "sport_from_text"]
