"""The half of an import that needs the database: the duplicate check and one transaction per file.

Split from `importing` so everything before the first write — discovering the files, reading them, decoding and
measuring in the pool — runs before SQLAlchemy and the models are imported: for a first import that is most of the
command's start-up, and the workers decode the first files meanwhile (`import_pool`). So this module is imported
only when a file is about to be stored: by `importing.import_payload`, and by `import_pool` on the thread that
opens the database while the workers decode. It imports neither of them: what they share is `import_context`.

The use case is decided here — what is a duplicate (the same bytes, or a session starting within
`SAME_START_TOLERANCE_S` of a stored one), what is stored and what each file's result says; the writes themselves
are the store's repository, `advisor.store.imports` (which brings SQLAlchemy and the models with it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from advisor.domain.activity import DecodedActivity
from advisor.ingest.measuring import FileResult, Prepared
from advisor.services.import_context import ImportContext
from advisor.store.imports import (
    DuplicateRow,
    IncomingFile,
    StairsDay,
    store_activity_file,
    store_daily_stairs,
    stored_file_name,
)

SAME_START_TOLERANCE_S = 60
METRES_PER_FLOOR = 3.048
"""Garmin counts one floor per 10 ft (3.048 m) of barometric climb."""
MONITORING_SOURCE = "fit_monitoring"
"""`daily_stairs.source` of the floors a watch's monitoring file gives."""


def seen_before(ctx: ImportContext, sha256: str) -> FileResult | None:
    """`duplicate` when these exact bytes are already stored for the athlete."""
    seen = stored_file_name(ctx.db, ctx.athlete_id, sha256)
    return None if seen is None else FileResult("", "duplicate", f"same content as {seen}")


def store_prepared(ctx: ImportContext, prepared: Prepared) -> FileResult:
    """Store a payload a pool worker prepared (the same steps as `importing.import_payload`, after the decoding)."""
    duplicate = seen_before(ctx, prepared.sha256)
    if duplicate is not None:
        return replace(duplicate, name=prepared.name)
    return commit(ctx, prepared)


def commit(ctx: ImportContext, prepared: Prepared, garmin_activity_id: int | None = None) -> FileResult:
    """Store a prepared payload in one transaction (or give its outcome); the caller checked `seen_before`."""
    name, decoded, measured = prepared.name, prepared.decoded, prepared.measured
    if prepared.outcome is not None or decoded is None:
        return prepared.outcome or FileResult(name, "failed", "nothing decoded")
    if decoded.file_type != "activity":
        return _skip_non_activity(ctx, name, decoded)
    incoming = IncomingFile(prepared.sha256, name, prepared.size, decoded.file_type, ctx.origin)
    try:
        stored = store_activity_file(
            ctx.db,
            ctx.athlete_id,
            incoming,
            decoded,
            measured,
            same_start_within=timedelta(seconds=SAME_START_TOLERANCE_S),
            garmin_activity_id=garmin_activity_id,
        )
    except DuplicateRow:
        return FileResult(name, "duplicate", "stored meanwhile by another import", "activity")
    if not stored.new_ids:
        listed = ", ".join(f"#{i}" for i in stored.same_as)
        return FileResult(name, "duplicate", f"same activity as {listed}, already stored", "activity", stored.same_as)
    sports = ", ".join(sorted({m.session.sport for m in measured}))
    km = sum(m.metrics.distance_m for m in measured) / 1000
    notes = list(decoded.notes)
    dropped = sum(m.dropped for m in measured)
    if dropped:
        notes.append(f"{dropped} glitched sample{'s' * (dropped != 1)} dropped")
    detail = f"{sports}, {km:.2f} km" + "".join(f"; {note}" for note in notes)
    return FileResult(name, "imported", detail, "activity", stored.new_ids)


def _skip_non_activity(ctx: ImportContext, name: str, decoded: DecodedActivity) -> FileResult:
    """A file that is no activity is skipped; a monitoring file's daily floors are stored all the same."""
    if not decoded.daily_climbs:
        return FileResult(name, "skipped", f"not an activity ({decoded.file_type} file)", decoded.file_type)
    days = [
        StairsDay(
            day=climb.day,
            floors_up=None if climb.ascent_m is None else climb.ascent_m / METRES_PER_FLOOR,
            floors_down=None if climb.descent_m is None else climb.descent_m / METRES_PER_FLOOR,
            steps=climb.steps,
        )
        for climb in decoded.daily_climbs
    ]
    store_daily_stairs(ctx.db, ctx.athlete_id, MONITORING_SOURCE, days, datetime.now(UTC))
    count = len(days)
    return FileResult(
        name,
        "skipped",
        f"not an activity ({decoded.file_type} file); stored floors for {count} day{'s' * (count != 1)}",
        decoded.file_type,
    )
