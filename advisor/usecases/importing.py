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
for the writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from advisor.decode import (
    UNKNOWN_SPORT,
    DecodedActivity,
    FitDecodeError,
    SessionTotals,
    TruncatedFileError,
    decode_activity,
)
from advisor.decode.sports import sport_from_text
from advisor.metrics import HeartRateProfile, RunMetrics, compute_run_metrics, split_sessions
from advisor.metrics.plausibility import gate_stream, implausible
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

Status = Literal["imported", "duplicate", "skipped", "failed"]
SAME_START_TOLERANCE_S = 60
METRES_PER_FLOOR = 3.048
"""Garmin counts one floor per 10 ft (3.048 m) of barometric climb."""
IGNORED_SPORTS = {"transition"}
ASSUMED_SPORT = "running"
"""What a file that names no sport (and has no export listing to ask) is taken to be: this is a runner's tool."""


@dataclass(frozen=True)
class FileResult:
    name: str
    status: Status
    detail: str = ""
    file_type: str | None = None
    activity_ids: tuple[int, ...] = ()
    incomplete: bool = False
    """A `failed` file whose data simply stops (truncated): it may still be arriving (the inbox waits for it)."""


@dataclass(frozen=True)
class ImportContext:
    """What every import needs to know, gathered once per command or job."""

    db: Database
    athlete_id: int
    decoder: str = "fitdecode"
    hr_profile: HeartRateProfile = HeartRateProfile()
    origin: str = "file"
    limits: Limits = Limits()


@dataclass
class _Measured:
    session: SessionTotals
    metrics: RunMetrics
    n_records: int
    key: str
    dropped: int = 0


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
    """Import every FIT payload under `paths`; a failure of one never stops the others."""
    summary = ImportSummary()
    with ExitStack() as stack:
        candidates = discover(paths, stack, ctx.limits)
        if on_total:
            on_total(len(candidates))
        for candidate in candidates:
            result = _import_candidate(ctx, candidate)
            summary.results.append(result)
            if on_result:
                on_result(result)
    return summary


def _import_candidate(ctx: ImportContext, candidate: FitCandidate | Skipped | Unreadable) -> FileResult:
    if isinstance(candidate, Unreadable):
        return FileResult(candidate.label, "failed", candidate.reason)
    if isinstance(candidate, Skipped):
        return FileResult(candidate.label, "skipped", candidate.reason)
    try:
        data = candidate.read()
    except SourceError as error:
        return FileResult(candidate.label, "failed", str(error), incomplete=isinstance(error, IncompleteSourceError))
    return import_payload(ctx, candidate.label, data, hint=candidate.hint)


def import_payload(
    ctx: ImportContext,
    name: str,
    data: bytes,
    garmin_activity_id: int | None = None,
    hint: ActivityHint | None = None,
) -> FileResult:
    """Decode, measure and store one activity file's bytes; see the module docstring for the statuses.

    `name` also tells the format sniffer what the file claims to be (`advisor.decode.decode_activity`); `hint` is
    what an export's listing says about it (name, sport).
    """
    sha256 = hashlib.sha256(data).hexdigest()
    with ctx.db.transaction() as session:
        seen = session.scalar(
            select(SourceFile.name).where(SourceFile.athlete_id == ctx.athlete_id, SourceFile.sha256 == sha256)
        )
    if seen is not None:
        return FileResult(name, "duplicate", f"same content as {seen}")
    try:
        decoded = decode_activity(data, name, ctx.decoder)
    except FitDecodeError as error:
        return FileResult(name, "failed", str(error), incomplete=isinstance(error, TruncatedFileError))
    if decoded.skip_reason is not None:
        return FileResult(name, "skipped", decoded.skip_reason, decoded.file_type)
    if decoded.file_type != "activity":
        return _skip_non_activity(ctx, name, decoded)
    _apply_hint(decoded, hint)
    measured = _measure(decoded, ctx.hr_profile)
    if isinstance(measured, str):
        return FileResult(name, "failed", f"impossible values: {measured}", "activity")
    if not measured:
        return FileResult(
            name, "skipped", "activity file without a session or timed records: nothing to measure", "activity"
        )
    try:
        with ctx.db.transaction() as session:
            return _store(session, ctx, name, data, sha256, decoded, measured, garmin_activity_id)
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


def _apply_hint(decoded: DecodedActivity, hint: ActivityHint | None) -> None:
    """Name and, where the file has none, sport from the export's listing; else running, with a note."""
    if hint is not None and hint.name:
        decoded.activity_name = hint.name
    listed = sport_from_text(hint.sport_text) if hint is not None else None
    for i, session in enumerate(decoded.sessions):
        if session.sport != UNKNOWN_SPORT:
            continue
        if listed is not None:
            decoded.sessions[i] = replace(session, sport=listed[0], sub_sport=listed[1])
            decoded.notes.append(f"sport {listed[0]} from activities.csv ({hint.sport_text})")  # type: ignore[union-attr]
        else:
            decoded.sessions[i] = replace(session, sport=ASSUMED_SPORT, sub_sport=None)
            decoded.notes.append(f"the file names no sport: taken as {ASSUMED_SPORT}")


def _measure(decoded: DecodedActivity, profile: HeartRateProfile) -> list[_Measured] | str:
    """Metrics per session; a multisport file gives one activity per leg (transitions are dropped).

    Each leg's stream goes through the plausibility gate first; a leg that is still impossible makes the whole
    file fail (the answer is then the reason, a string): half a file stored would be a run with a missing leg.
    """
    sessions = list(decoded.sessions)
    records = decoded.records
    if not sessions and len(records):
        start = datetime.fromtimestamp(records.time_s[0], UTC)
        sessions = [SessionTotals(sport="generic", sub_sport=None, start_time=start)]
    sessions.sort(key=lambda s: s.start_time)
    measured = []
    for session, stream in zip(sessions, split_sessions(records, sessions), strict=True):
        if session.sport in IGNORED_SPORTS:
            continue
        gated = gate_stream(stream, session.sport, session.sub_sport)
        metrics = compute_run_metrics(gated.records, session.sport, profile, session)
        problem = implausible(metrics, session, session.sport, session.sub_sport, gated.records, gated.dropped)
        if problem is not None:
            return problem
        key = str(int(session.start_time.timestamp()))
        measured.append(_Measured(session, metrics, len(gated.records), key, gated.dropped))
    return measured


def _store(
    session: Session,
    ctx: ImportContext,
    name: str,
    data: bytes,
    sha256: str,
    decoded: DecodedActivity,
    measured: list[_Measured],
    garmin_activity_id: int | None,
) -> FileResult:
    lock_athlete(session, ctx.athlete_id)  # the same-activity check and the insert, one importer at a time
    source = SourceFile(
        athlete_id=ctx.athlete_id,
        sha256=sha256,
        name=name,
        size=len(data),
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
    item: _Measured,
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
