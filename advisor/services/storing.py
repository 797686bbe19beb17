"""The half of an import that needs the database: the duplicate check and one transaction per file.

Split from `importing` so everything before the first write — discovering the files, reading them, decoding and
measuring in the pool — runs before SQLAlchemy and the models are imported: for a first import that is most of the
command's start-up, and the workers decode the first files meanwhile (`import_pool`). Only `importing` imports
this module, in `open_store`, `store_prepared` and `import_payload`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from advisor.ingest.decode import DecodedActivity
from advisor.ingest.measuring import FileResult, Measured, Prepared
from advisor.services.importing import ImportContext
from advisor.store.db import lock_athlete
from advisor.store.models import Activity, DailyStairs, SourceFile

SAME_START_TOLERANCE_S = 60
METRES_PER_FLOOR = 3.048
"""Garmin counts one floor per 10 ft (3.048 m) of barometric climb."""


def seen_before(ctx: ImportContext, sha256: str) -> FileResult | None:
    """`duplicate` when these exact bytes are already stored for the athlete."""
    with ctx.db.transaction() as session:
        seen = session.scalar(
            select(SourceFile.name).where(SourceFile.athlete_id == ctx.athlete_id, SourceFile.sha256 == sha256)
        )
    return None if seen is None else FileResult("", "duplicate", f"same content as {seen}")


def commit(ctx: ImportContext, prepared: Prepared, garmin_activity_id: int | None = None) -> FileResult:
    """Store a prepared payload in one transaction (or give its outcome); the caller checked `seen_before`."""
    name, decoded = prepared.name, prepared.decoded
    if prepared.outcome is not None or decoded is None:
        return prepared.outcome or FileResult(name, "failed", "nothing decoded")
    if decoded.file_type != "activity":
        return _skip_non_activity(ctx, name, decoded)
    try:
        with ctx.db.transaction() as session:
            return _store(session, ctx, prepared, garmin_activity_id)
    except IntegrityError:
        return FileResult(name, "duplicate", "stored meanwhile by another import", "activity")


def _skip_non_activity(ctx: ImportContext, name: str, decoded: DecodedActivity) -> FileResult:
    if not decoded.daily_climbs:
        return FileResult(name, "skipped", f"not an activity ({decoded.file_type} file)", decoded.file_type)
    now = datetime.now(UTC)
    with ctx.db.transaction() as session:
        for day in decoded.daily_climbs:
            session.merge(
                DailyStairs(
                    athlete_id=ctx.athlete_id,
                    day=day.day,
                    source="fit_monitoring",
                    floors_up=None if day.ascent_m is None else day.ascent_m / METRES_PER_FLOOR,
                    floors_down=None if day.descent_m is None else day.descent_m / METRES_PER_FLOOR,
                    steps=day.steps,
                    updated_at=now,
                )
            )
    days = len(decoded.daily_climbs)
    return FileResult(
        name,
        "skipped",
        f"not an activity ({decoded.file_type} file); stored floors for {days} day{'s' * (days != 1)}",
        decoded.file_type,
    )


def _store(session: Session, ctx: ImportContext, prepared: Prepared, garmin_activity_id: int | None) -> FileResult:
    name, decoded, measured = prepared.name, prepared.decoded, prepared.measured
    assert decoded is not None
    lock_athlete(session, ctx.athlete_id)  # the same-activity check and the insert, one importer at a time
    source = SourceFile(
        athlete_id=ctx.athlete_id,
        sha256=prepared.sha256,
        name=name,
        size=prepared.size,
        file_type=decoded.file_type,
        status="imported",
        origin=ctx.origin,
        imported_at=datetime.now(UTC),
    )
    session.add(source)
    session.flush()
    new_ids: list[int] = []
    same: list[int] = []
    for item in measured:
        existing = _same_activity(session, ctx.athlete_id, item.session.start_time)
        if existing is not None:
            same.append(existing)
            continue
        activity = _activity_row(ctx.athlete_id, source.id, decoded, item, garmin_activity_id)
        session.add(activity)
        session.flush()
        new_ids.append(activity.id)
    if not new_ids:
        source.status = "duplicate"
        listed = ", ".join(f"#{i}" for i in same)
        return FileResult(name, "duplicate", f"same activity as {listed}, already stored", "activity", tuple(same))
    sports = ", ".join(sorted({m.session.sport for m in measured}))
    km = sum(m.metrics.distance_m for m in measured) / 1000
    notes = list(decoded.notes)
    dropped = sum(m.dropped for m in measured)
    if dropped:
        notes.append(f"{dropped} glitched sample{'s' * (dropped != 1)} dropped")
    detail = f"{sports}, {km:.2f} km" + "".join(f"; {note}" for note in notes)
    return FileResult(name, "imported", detail, "activity", tuple(new_ids))


def _same_activity(session: Session, athlete_id: int, start: datetime) -> int | None:
    tolerance = timedelta(seconds=SAME_START_TOLERANCE_S)
    return session.scalar(
        select(Activity.id)
        .where(
            Activity.athlete_id == athlete_id,
            Activity.start_utc >= start - tolerance,
            Activity.start_utc <= start + tolerance,
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
