"""What an import writes, as one repository: the stored file a payload's bytes match, one file's activities in one
transaction, the runs a file gave, and the daily floors of a monitoring file or of Garmin's day totals.

Why here: the import use case (`advisor.services.storing`) decides what is a duplicate, what to store and what
to say; the SQL, the athlete's lock and the constraint that catches a concurrent duplicate are the store's, and
nothing but plain values (ids, names) and `DuplicateRow` come back out, so no ORM row leaves the store.

SQLAlchemy and the models are imported with this module, on purpose: an import loads it on the thread that opens
the database while the workers decode the first files (`services.import_pool`), so its first write pays nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from advisor.store.db import Database, lock_athlete
from advisor.store.models import Activity, DailyStairs, SourceFile

if TYPE_CHECKING:
    from advisor.domain.activity import DecodedActivity
    from advisor.ingest.measuring import Measured


class DuplicateRow(Exception):
    """Another writer stored the same file or activity between our check and our commit (the unique constraints
    on a file's sha-256 and an activity's key, per athlete): nothing of this file was stored."""


@dataclass(frozen=True)
class IncomingFile:
    """One payload as its `source_files` row records it: its bytes' sha-256 (the idempotency key, per athlete),
    where it came from and what it holds."""

    sha256: str
    name: str
    size: int
    file_type: str
    origin: str


@dataclass(frozen=True)
class StoredFile:
    """What one file's transaction did: the activities it added, and the stored ones its other sessions matched
    (a file whose sessions all matched is recorded as a duplicate and adds none)."""

    new_ids: tuple[int, ...]
    same_as: tuple[int, ...]


@dataclass(frozen=True)
class StairsDay:
    """Floors climbed and descended on one local day, and its steps; None means unknown, not zero."""

    day: date
    floors_up: float | None
    floors_down: float | None
    steps: int | None


def stored_file_name(db: Database, athlete_id: int, sha256: str) -> str | None:
    """The name the athlete's file with these exact bytes was stored under, or None."""
    with db.transaction() as session:
        return session.scalar(
            select(SourceFile.name).where(SourceFile.athlete_id == athlete_id, SourceFile.sha256 == sha256)
        )


def activity_ids_from_file(db: Database, athlete_id: int, sha256: str) -> tuple[int, ...]:
    """The athlete's runs stored from the file with these bytes, in id order (none when it gave none)."""
    with db.transaction() as session:
        ids = session.scalars(
            select(Activity.id)
            .join(SourceFile, SourceFile.id == Activity.source_file_id)
            .where(SourceFile.athlete_id == athlete_id, SourceFile.sha256 == sha256)
            .order_by(Activity.id)
        ).all()
    return tuple(ids)


def store_activity_file(
    db: Database,
    athlete_id: int,
    file: IncomingFile,
    decoded: DecodedActivity,
    measured: Sequence[Measured],
    *,
    same_start_within: timedelta,
    garmin_activity_id: int | None = None,
) -> StoredFile:
    """Store one file and its sessions' activities in one transaction, the athlete locked (`lock_athlete`) so the
    same-activity check and the insert are one step: a session starting within `same_start_within` of a stored
    activity is that activity, not stored again.

    Raises `DuplicateRow` when a concurrent writer stored the same bytes or activity first (rolled back whole).
    """
    try:
        with db.transaction() as session:
            return _store(session, athlete_id, file, decoded, measured, same_start_within, garmin_activity_id)
    except IntegrityError as error:
        raise DuplicateRow(str(error.orig or error)) from error


def store_daily_stairs(
    db: Database, athlete_id: int, source: str, days: Iterable[StairsDay], updated_at: datetime
) -> None:
    """Set each day's floors and steps from `source` (a day already stored from it is replaced), in one
    transaction."""
    with db.transaction() as session:
        for day in days:
            session.merge(
                DailyStairs(
                    athlete_id=athlete_id,
                    day=day.day,
                    source=source,
                    floors_up=day.floors_up,
                    floors_down=day.floors_down,
                    steps=day.steps,
                    updated_at=updated_at,
                )
            )


def _store(
    session: Session,
    athlete_id: int,
    file: IncomingFile,
    decoded: DecodedActivity,
    measured: Sequence[Measured],
    same_start_within: timedelta,
    garmin_activity_id: int | None,
) -> StoredFile:
    lock_athlete(session, athlete_id)  # the same-activity check and the insert, one importer at a time
    source = SourceFile(
        athlete_id=athlete_id,
        sha256=file.sha256,
        name=file.name,
        size=file.size,
        file_type=file.file_type,
        status="imported",
        origin=file.origin,
        imported_at=datetime.now(UTC),
    )
    session.add(source)
    session.flush()
    new_ids: list[int] = []
    same: list[int] = []
    for item in measured:
        existing = _activity_starting_near(session, athlete_id, item.session.start_time, same_start_within)
        if existing is not None:
            same.append(existing)
            continue
        activity = _activity_row(athlete_id, source.id, decoded, item, garmin_activity_id)
        session.add(activity)
        session.flush()
        new_ids.append(activity.id)
    if not new_ids:
        source.status = "duplicate"
    return StoredFile(tuple(new_ids), tuple(same))


def _activity_starting_near(session: Session, athlete_id: int, start: datetime, within: timedelta) -> int | None:
    return session.scalar(
        select(Activity.id)
        .where(
            Activity.athlete_id == athlete_id,
            Activity.start_utc >= start - within,
            Activity.start_utc <= start + within,
        )
        .limit(1)
    )


def _activity_row(
    athlete_id: int,
    source_file_id: int,
    decoded: DecodedActivity,
    item: Measured,
    garmin_activity_id: int | None,
) -> Activity:
    s, m = item.session, item.metrics
    return Activity(
        athlete_id=athlete_id,
        source_file_id=source_file_id,
        activity_key=item.key,
        garmin_activity_id=garmin_activity_id,
        sport=s.sport,
        sub_sport=s.sub_sport,
        name=decoded.activity_name,
        start_utc=s.start_time,
        utc_offset_s=decoded.local_offset_s,
        n_records=item.n_records,
        distance_m=m.distance_m,
        elapsed_s=m.elapsed_s,
        moving_s=m.moving_s,
        ascent_m=m.ascent_m,
        descent_m=m.descent_m,
        descent_steep5_m=m.descent_steep5_m,
        distance_steep5_m=m.distance_steep5_m,
        descent_steep10_m=m.descent_steep10_m,
        distance_steep10_m=m.distance_steep10_m,
        avg_cadence_spm=m.avg_cadence_spm,
        avg_heart_rate=m.avg_heart_rate,
        load=m.load,
        load_method=m.load_method,
        session_distance_m=s.total_distance_m,
        session_elapsed_s=s.total_elapsed_time_s,
        session_timer_s=s.total_timer_time_s,
        session_ascent_m=s.total_ascent_m,
        session_descent_m=s.total_descent_m,
        session_avg_heart_rate=s.avg_heart_rate,
        session_avg_cadence=s.avg_cadence,
        excluded=item.excluded,
        file_sport=item.file_sport[0] if item.file_sport else None,
        file_sub_sport=item.file_sport[1] if item.file_sport else None,
    )


__all__ = [
    "DuplicateRow",
    "IncomingFile",
    "StairsDay",
    "StoredFile",
    "activity_ids_from_file",
    "store_activity_file",
    "store_daily_stairs",
    "stored_file_name",
]
