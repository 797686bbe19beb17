"""Plain readings of a stored activity row (its local day, what kind of sport it is), shared by the use cases and
the renderers, so neither has to import the other."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from advisor.store.activities import StoredActivity

BIKE_SPORTS = frozenset({"cycling", "e_biking"})
SPORT_WORDS = {
    "hike": "hiking",
    "walk": "walking",
    "ride": "cycling",
    "e_bike": "e_biking",
    "swim": "swimming",
    "trail_run": "trail",
    "gym": "fitness_equipment",
    "stairs": "floor_climbing",
}
"""The short names `advisor activities` prints (advisor.render.tables.SHORT_SPORTS), read back as `--sport`: what
is printed can be typed. (`run` and `bike` are kinds, wider than one sport: see `sport_matches`.)"""


def is_bike(activity: StoredActivity) -> bool:
    """Ridden, not run: shown with a speed instead of a pace."""
    return activity.sport in BIKE_SPORTS


def is_on_foot(activity: StoredActivity) -> bool:
    """Run, walked or hiked (a treadmill too): shown with a pace."""
    from advisor.domain.metrics.run import is_foot_sport
    from advisor.domain.risk.model import activity_kind

    return is_foot_sport(activity.sport, activity.sub_sport) or activity_kind(activity.sport, activity.sub_sport) in (
        "run",
        "on_foot",
    )


def sport_matches(activity: StoredActivity, wanted: str) -> bool:
    """`--sport`: a sport or sub-sport name (`cycling`, `treadmill`), or a kind: `run` (every kind of running,
    treadmill and trail included), `foot` (runs, walks, hikes) or `bike`."""
    from advisor.domain.risk.model import activity_kind

    name = wanted.strip().lower().replace("-", "_").replace(" ", "_")
    if name in (activity.sport, activity.sub_sport):
        return True
    if name in SPORT_WORDS and SPORT_WORDS[name] in (activity.sport, activity.sub_sport):
        return True
    if name == "run":
        return activity_kind(activity.sport, activity.sub_sport) == "run"
    if name == "foot":
        return is_on_foot(activity)
    return name == "bike" and is_bike(activity)


def local_date(activity: StoredActivity, tz: ZoneInfo) -> date:
    """The runner's calendar day of an activity: the file's own offset when it has one, else the profile zone."""
    if activity.utc_offset_s is not None:
        return (activity.start_utc + timedelta(seconds=activity.utc_offset_s)).date()
    return activity.start_utc.astimezone(tz).date()
