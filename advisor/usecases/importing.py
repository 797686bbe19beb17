"""The import use case: one activity payload (FIT, GPX, TCX) in, its runs measured and stored — one transaction
per file.

Everything that arrives (a file on disk, an archive member, an inbox drop, a Garmin download) goes through
`import_payload`, so the rules are the same everywhere and for every format:
- the same bytes twice are a `duplicate` (sha-256 per athlete);
- the same activity in different bytes (the watch's FIT, then Garmin's download of it, or Strava's TCX of it) is a
  `duplicate` too: a session is the same activity as a stored one when it starts within `SAME_START_TOLERANCE_S`;
- a non-activity file is `skipped` with its FIT type (a monitoring file still gives its daily floors), and so is
  a GPX route, a track without timestamps, a file with no track points, a `.txt` (with that reason);
- anything that cannot be read or decoded is `failed` with a one-line reason and leaves nothing behind;
- an activity no body can produce is `failed` with the reason (`advisor.metrics.plausibility`): glitched samples
  are dropped from the stream first, and what is still impossible after that is not stored. This is the guard
  in front of the risk engine: only finite, plausible numbers reach the store and, from it, the flags and caps.
A file that names no sport takes it from the export's activities.csv (`hint`), else is assumed to be a run, and
the detail says so. Decoding and measuring happen before the transaction opens, so the database is locked only
for the writes: they are `measuring.prepare` (no database), which `import_pool` runs in worker processes, and
`commit` here, which always runs in the importing process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from advisor.decode import DecodedActivity
from advisor.metrics import HeartRateProfile
from advisor.sources.files import (
    FitCandidate,
    IncompleteSourceError,
    Limits,
    Skipped,
    SourceError,
    Unreadable,
    discover,
)
from advisor.sources.strava import ActivityHint
from advisor.store.db import Database, lock_athlete
from advisor.store.models import Activity, DailyStairs, SourceFile
from advisor.usecases.measuring import (
    FileResult,
    Measured,
    Prepared,
    Status,
    digest,
    prepare,
)

SAME_START_TOLERANCE_S = 60
METRES_PER_FLOOR = 3.048
"""Garmin counts one floor per 10 ft (3.048 m) of barometric climb."""


@dataclass(frozen=True)
class ImportContext:
    """What every import needs to know, gathered once per command or job."""

    db: Database
    athlete_id: int
    decoder: str = "fitdecode"
    hr_profile: HeartRateProfile = HeartRateProfile()
    origin: str = "file"
    limits: Limits = Limits()
    jobs: int = 1
    """Worker processes for `import_paths` (1: decode in this process, no pool); `advisor import --jobs`. 0: every
    core for `import_pool.POOL_MIN_FILES` payloads or more, in-process below that (what `advisor import` does
    without `--jobs`)."""


@dataclass
class ImportSummary:
    results: list[FileResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def any_failed(self) -> bool:
        return any(r.status == "failed" for r in self.results)

    def line(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("imported", "duplicate", "skipped", "failed")]
        return f"{len(self.results)} files: " + ", ".join(parts)


def import_paths(
    ctx: ImportContext,
    paths: Iterable[Path],
    on_total: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> ImportSummary:
    """Import every activity payload under `paths`; a failure of one never stops the others.

    With `ctx.jobs` > 1 the files are decoded and measured in a process pool (`import_pool`); the results, the
    transactions (one per file) and the callbacks stay in this process and in the order of `discover`.
    """
    summary = ImportSummary()
    with ExitStack() as stack:
        candidates = discover(paths, stack, ctx.limits)
        if on_total:
            on_total(len(candidates))
        payloads = sum(isinstance(c, FitCandidate) for c in candidates)
        jobs = ctx.jobs
        if jobs == 0:
            from advisor.usecases.import_pool import POOL_MIN_FILES, available_cores

            jobs = available_cores() if payloads >= POOL_MIN_FILES else 1
        if jobs > 1 and payloads > 1:
            from advisor.usecases.import_pool import import_in_pool

            results: Iterable[FileResult] = import_in_pool(replace(ctx, jobs=jobs), candidates)
        else:
            results = (_import_candidate(ctx, candidate) for candidate in candidates)
        for result in results:
            summary.results.append(result)
            if on_result:
                on_result(result)
    return summary


def _import_candidate(ctx: ImportContext, candidate: FitCandidate | Skipped | Unreadable) -> FileResult:
    data = read_candidate(candidate)
    if isinstance(data, FileResult):
        return data
    return import_payload(ctx, candidate.label, data, hint=candidate.hint)  # type: ignore[union-attr]


def read_candidate(candidate: FitCandidate | Skipped | Unreadable) -> bytes | FileResult:
    """The candidate's bytes, or its result when there is nothing to decode (listed skipped, unreadable)."""
    if isinstance(candidate, Unreadable):
        return FileResult(candidate.label, "failed", candidate.reason)
    if isinstance(candidate, Skipped):
        return FileResult(candidate.label, "skipped", candidate.reason)
    try:
        return candidate.read()
    except SourceError as error:
        return FileResult(candidate.label, "failed", str(error), incomplete=isinstance(error, IncompleteSourceError))


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


def import_payload(
    ctx: ImportContext,
    name: str,
    data: bytes,
    garmin_activity_id: int | None = None,
    hint: ActivityHint | None = None,
) -> FileResult:
    """Decode, measure and store one activity file's bytes; see the module docstring for the statuses.

    `name` also tells the format sniffer what the file claims to be (`advisor.decode.decode_activity`); `hint` is
    what an export's listing says about it (name, sport). Same bytes already stored: not decoded at all.
    """
    sha256 = digest(data)
    duplicate = seen_before(ctx, sha256)
    if duplicate is not None:
        return replace(duplicate, name=name)
    return commit(ctx, prepare(ctx.decoder, ctx.hr_profile, name, data, hint, sha256), garmin_activity_id)


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
    )


__all__ = [
    "SAME_START_TOLERANCE_S",
    "FileResult",
    "ImportContext",
    "ImportSummary",
    "Prepared",
    "Status",
    "commit",
    "import_paths",
    "import_payload",
    "read_candidate",
    "seen_before",
]
