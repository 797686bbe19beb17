"""The stored activities as plain values: the listing, one activity and its files, and the runner's corrections.

Why plain values: an ORM row handed to a renderer or an entry point carries its session with it (lazy loads, an
`expire` after commit, a change that would be written back if someone sets an attribute), so nothing above the store
sees one. `StoredActivity` has the columns' names, so the renderers read it exactly as they read a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.store.db import Database
    from advisor.store.models import Activity, SourceFile


@dataclass(frozen=True)
class StoredActivity:
    """One stored activity, as its columns hold it (the effective sport after a correction, the file's kept)."""

    id: int
    source_file_id: int
    garmin_activity_id: int | None
    sport: str
    sub_sport: str | None
    name: str | None
    start_utc: datetime
    utc_offset_s: int | None
    n_records: int
    distance_m: float
    elapsed_s: float
    moving_s: float
    ascent_m: float
    descent_m: float
    descent_steep5_m: float
    distance_steep5_m: float
    descent_steep10_m: float
    distance_steep10_m: float
    avg_cadence_spm: float | None
    avg_heart_rate: float | None
    load: float
    load_method: str
    session_distance_m: float | None
    session_elapsed_s: float | None
    session_timer_s: float | None
    session_ascent_m: float | None
    session_descent_m: float | None
    session_avg_heart_rate: float | None
    session_avg_cadence: float | None
    excluded: bool
    file_sport: str | None
    file_sub_sport: str | None


@dataclass(frozen=True)
class StoredSource:
    """A stored file an activity came from: what `activity show` says about where it was read."""

    id: int
    name: str
    sha256: str
    size: int
    file_type: str
    origin: str
    status: str
    imported_at: datetime


_ACTIVITY_FIELDS = tuple(f.name for f in fields(StoredActivity))

Correction = Callable[[StoredActivity], Mapping[str, Any]]
"""What a correction changes, decided from the activity as stored: the columns and their new values."""


def stored_activity(row: Activity) -> StoredActivity:
    return StoredActivity(**{name: getattr(row, name) for name in _ACTIVITY_FIELDS})


def read_activities(
    db: Database,
    athlete_id: int,
    *,
    since_utc: datetime | None = None,
    until_utc: datetime | None = None,
    include_excluded: bool = False,
) -> list[StoredActivity]:
    """The athlete's activities starting in [since_utc, until_utc), in start order (then id)."""
    from sqlalchemy import select

    from advisor.store.models import Activity

    columns = [getattr(Activity, name) for name in _ACTIVITY_FIELDS]  # plain rows: no ORM objects to build
    query = select(*columns).where(Activity.athlete_id == athlete_id).order_by(Activity.start_utc, Activity.id)
    if not include_excluded:
        query = query.where(Activity.excluded.is_(False))
    if since_utc is not None:
        query = query.where(Activity.start_utc >= since_utc)
    if until_utc is not None:
        query = query.where(Activity.start_utc < until_utc)
    with db.transaction() as session:
        return [StoredActivity(*row) for row in session.execute(query)]


def read_activity(db: Database, athlete_id: int, activity_id: int) -> StoredActivity | None:
    """One activity of this athlete, excluded or not; None when there is none."""
    with db.transaction() as session:
        row = _row(session, athlete_id, activity_id)
        return None if row is None else stored_activity(row)


def read_sources(db: Database, athlete_id: int, activity: StoredActivity | None = None) -> list[StoredSource]:
    """The stored files the activity came from (today: the file that created it); every file of the athlete's, in
    the order imported, without one."""
    from sqlalchemy import select

    from advisor.store.models import SourceFile

    query = select(SourceFile).where(SourceFile.athlete_id == athlete_id)
    if activity is not None:
        query = query.where(SourceFile.id == activity.source_file_id)
    with db.transaction() as session:
        return [_source(row) for row in session.scalars(query.order_by(SourceFile.imported_at, SourceFile.id))]


def correct_activity(db: Database, athlete_id: int, activity_id: int, correction: Correction) -> StoredActivity | None:
    """Apply `correction` to one activity in one transaction (read, decide, write); None when there is none."""
    with db.transaction() as session:
        row = _row(session, athlete_id, activity_id, for_update=True)
        if row is None:
            return None
        for name, value in correction(stored_activity(row)).items():
            setattr(row, name, value)
        return stored_activity(row)


def delete_activity(db: Database, athlete_id: int, activity_id: int) -> tuple[StoredActivity, bool] | None:
    """Delete one activity, and its file's record when no other activity came from that file (so the same file
    imports again); returns the activity as it was and whether the file's record went too, None when there is none.
    One transaction: both go, or neither."""
    from sqlalchemy import delete, func, select

    from advisor.store.models import Activity, SourceFile

    with db.transaction() as session:
        row = _row(session, athlete_id, activity_id, for_update=True)
        if row is None:
            return None
        gone = stored_activity(row)
        session.delete(row)
        session.flush()
        others = session.scalar(
            select(func.count()).select_from(Activity).where(Activity.source_file_id == gone.source_file_id)
        )
        if not others:
            session.execute(delete(SourceFile).where(SourceFile.id == gone.source_file_id))
        return gone, not others


def _row(session: Any, athlete_id: int, activity_id: int, *, for_update: bool = False) -> Activity | None:
    from sqlalchemy import select

    from advisor.store.models import Activity

    query = select(Activity).where(Activity.athlete_id == athlete_id, Activity.id == activity_id)
    return session.scalar(query.with_for_update() if for_update else query)


def _source(row: SourceFile) -> StoredSource:
    return StoredSource(**{f.name: getattr(row, f.name) for f in fields(StoredSource)})
