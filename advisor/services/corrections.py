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
from functools import cache

from sqlalchemy import select

from advisor.domain.metrics.run import is_foot_sport
from advisor.domain.risk.model import ON_FOOT_SPORTS, RUN_SPORTS, STAIR_SPORTS
from advisor.errors import CorrectionError
from advisor.store.db import Database
from advisor.store.models import Activity, SourceFile

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


def get_activity(db: Database, athlete_id: int, activity_id: int) -> Activity:
    """One stored activity of this athlete, excluded or not; `CorrectionError` when there is none."""
    with db.transaction() as session:
        activity = session.scalar(select(Activity).where(Activity.athlete_id == athlete_id, Activity.id == activity_id))
    if activity is None:
        raise CorrectionError(f"there is no activity {activity_id}; `advisor activities` lists their ids")
    return activity


def activity_sources(db: Database, athlete_id: int, activity: Activity) -> list[SourceFile]:
    """The stored files the activity came from (today: the file that created it)."""
    with db.transaction() as session:
        return list(
            session.scalars(
                select(SourceFile).where(SourceFile.athlete_id == athlete_id, SourceFile.id == activity.source_file_id)
            )
        )


def exclude_activity(db: Database, athlete_id: int, activity_id: int) -> Activity:
    """Take an activity out of every count (distance, spikes, the weekly email) without deleting it."""
    return _set_excluded(db, athlete_id, activity_id, True)


def include_activity(db: Database, athlete_id: int, activity_id: int) -> Activity:
    """Undo `exclude_activity`: the activity counts again."""
    return _set_excluded(db, athlete_id, activity_id, False)


def _set_excluded(db: Database, athlete_id: int, activity_id: int, excluded: bool) -> Activity:
    with db.transaction() as session:
        activity = session.scalar(select(Activity).where(Activity.athlete_id == athlete_id, Activity.id == activity_id))
        if activity is None:
            raise CorrectionError(f"there is no activity {activity_id}; `advisor activities` lists their ids")
        activity.excluded = excluded
        return activity


def set_sport(db: Database, athlete_id: int, activity_id: int, sport: str, sub_sport: str | None = None) -> Activity:
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
    with db.transaction() as session:
        activity = session.scalar(select(Activity).where(Activity.athlete_id == athlete_id, Activity.id == activity_id))
        if activity is None:
            raise CorrectionError(f"there is no activity {activity_id}; `advisor activities` lists their ids")
        was_foot = is_foot_sport(activity.sport, activity.sub_sport)
        if activity.file_sport is None:
            activity.file_sport, activity.file_sub_sport = activity.sport, activity.sub_sport
        activity.sport, activity.sub_sport = sport, sub
        if (sport, sub) == (activity.file_sport, activity.file_sub_sport):
            activity.file_sport = activity.file_sub_sport = None
        now_foot = is_foot_sport(sport, sub)
        if activity.avg_cadence_spm is not None and was_foot != now_foot:
            activity.avg_cadence_spm *= 2.0 if now_foot else 0.5
        return activity


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _suggest(name: str, names: frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(names), n=3)
    return f"; did you mean {' or '.join(close)}?" if close else "; use a FIT sport name such as running or cycling"
