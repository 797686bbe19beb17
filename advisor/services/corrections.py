"""The runner's corrections to a stored activity: exclude it, include it again, or give it another sport.

Corrections change the stored row in place, so every reader (the knee engine, the weekly summary, the listings)
sees the effective values without knowing corrections exist: `sport`/`sub_sport` hold what the runner said, the
file's own values are kept in `file_sport`/`file_sub_sport` (None: never corrected), and `excluded` takes the row
out of every count. An excluded activity stays stored on purpose: re-importing its file must stay a `duplicate`,
not bring the run back.

    from advisor.services.corrections import exclude_activity, set_sport
    set_sport(db, athlete_id, 42, "cycling")
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any

from advisor.domain.metrics.run import is_foot_sport
from advisor.domain.risk.model import ON_FOOT_SPORTS, RUN_SPORTS, STAIR_SPORTS
from advisor.errors import CorrectionError
from advisor.store.activities import (
    StoredActivity,
    StoredSource,
    correct_activity,
    read_activity,
    read_sources,
)
from advisor.store.db import Database

__all__ = [
    "CorrectionError",
    "activity_sources",
    "exclude_activity",
    "get_activity",
    "include_activity",
    "known_sports",
    "set_sport",
]


@cache
def known_sports() -> frozenset[str]:
    """Sport names a correction may use: the FIT profile's, plus the Garmin Connect type keys the engine knows.

    Checked so that a typo ("runing") is refused instead of silently turning a run into an activity nobody counts.
    """
    from fitdecode import profile

    fit = {str(name) for name in profile.FIELD_TYPES["sport"].enum.values() if name != "all"}
    return frozenset(fit | RUN_SPORTS | ON_FOOT_SPORTS | STAIR_SPORTS)


@cache
def _known_sub_sports() -> frozenset[str]:
    from fitdecode import profile

    return frozenset(str(name) for name in profile.FIELD_TYPES["sub_sport"].enum.values() if name != "all")


def get_activity(db: Database, athlete_id: int, activity_id: int) -> StoredActivity:
    """One stored activity of this athlete, excluded or not; `CorrectionError` when there is none."""
    return _found(read_activity(db, athlete_id, activity_id), activity_id)


def activity_sources(db: Database, athlete_id: int, activity: StoredActivity) -> list[StoredSource]:
    """The stored files the activity came from (today: the file that created it)."""
    return read_sources(db, athlete_id, activity)


def exclude_activity(db: Database, athlete_id: int, activity_id: int) -> StoredActivity:
    """Take an activity out of every count (distance, spikes, the weekly email) without deleting it."""
    return _found(correct_activity(db, athlete_id, activity_id, lambda _: {"excluded": True}), activity_id)


def include_activity(db: Database, athlete_id: int, activity_id: int) -> StoredActivity:
    """Undo `exclude_activity`: the activity counts again."""
    return _found(correct_activity(db, athlete_id, activity_id, lambda _: {"excluded": False}), activity_id)


def delete_activity(db: Database, athlete_id: int, activity_id: int) -> tuple[StoredActivity, bool]:
    """Delete an activity for good (`exclude_activity` keeps it); with its file's record when nothing else came from
    that file, so importing the file again brings it back. Returns it as it was, and whether the file may be
    imported again."""
    from advisor.store.activities import delete_activity as delete

    return _found_pair(delete(db, athlete_id, activity_id), activity_id)


def set_sport(
    db: Database, athlete_id: int, activity_id: int, sport: str, sub_sport: str | None = None
) -> StoredActivity:
    """Give an activity another sport (a ride the watch recorded as a run), keeping the file's own for the record.

    Setting it back to the file's sport and sub-sport clears the correction. The average cadence is re-derived
    the way the import would have done with the right sport (foot sports count steps, twice the FIT per-foot
    value); the other metrics came from the recorded stream and do not depend on the sport's name.
    """
    sport = _normalise(sport)
    sub = _normalise(sub_sport) if sub_sport is not None else None
    if sport not in known_sports():
        raise CorrectionError(f"unknown sport {sport!r}{_suggest(sport, known_sports())}")
    if sub is not None and sub not in _known_sub_sports():
        raise CorrectionError(f"unknown sub-sport {sub!r}{_suggest(sub, _known_sub_sports())}")
    corrected = correct_activity(db, athlete_id, activity_id, lambda a: sport_correction(a, sport, sub))
    return _found(corrected, activity_id)


def sport_correction(activity: StoredActivity, sport: str, sub: str | None) -> Mapping[str, Any]:
    """The columns a sport correction changes: the sport, the file's own kept once (cleared when set back to
    it), and the cadence when it crosses between foot sports (steps) and others (per-foot revolutions)."""
    file_sport, file_sub = activity.file_sport, activity.file_sub_sport
    if file_sport is None:
        file_sport, file_sub = activity.sport, activity.sub_sport
    if (sport, sub) == (file_sport, file_sub):
        file_sport = file_sub = None
    cadence = activity.avg_cadence_spm
    was_foot, now_foot = is_foot_sport(activity.sport, activity.sub_sport), is_foot_sport(sport, sub)
    if cadence is not None and was_foot != now_foot:
        cadence *= 2.0 if now_foot else 0.5
    return {
        "sport": sport,
        "sub_sport": sub,
        "file_sport": file_sport,
        "file_sub_sport": file_sub,
        "avg_cadence_spm": cadence,
    }


def _found_pair(found: tuple[StoredActivity, bool] | None, activity_id: int) -> tuple[StoredActivity, bool]:
    if found is None:
        raise CorrectionError(f"there is no activity {activity_id}; `advisor activities` lists their ids")
    return found


def _found(activity: StoredActivity | None, activity_id: int) -> StoredActivity:
    if activity is None:
        raise CorrectionError(f"there is no activity {activity_id}; `advisor activities` lists their ids")
    return activity


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _suggest(name: str, names: frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(names), n=3)
    return f"; did you mean {' or '.join(close)}?" if close else "; use a FIT sport name such as running or cycling"
