"""The import use case: one activity payload (FIT, GPX, TCX) in, its runs measured and stored — one transaction
per file.

Everything that arrives (a file on disk, an archive member, an inbox drop, a Garmin download) goes through
`import_payload`, so the rules are the same everywhere and for every format:
- the same bytes twice are a `duplicate` (sha-256 per athlete);
- the same activity in different bytes (the watch's FIT, then Garmin's download of it, or Strava's TCX of it) is a
  `duplicate` too: a session is the same activity as a stored one when it starts within
  `storing.SAME_START_TOLERANCE_S`;
- a non-activity file is `skipped` with its FIT type (a monitoring file still gives its daily floors), and so is
  a GPX route, a track without timestamps, a file with no track points, a `.txt` (with that reason);
- anything that cannot be read or decoded is `failed` with a one-line reason and leaves nothing behind;
- an activity no body can produce is `failed` with the reason (`advisor.domain.metrics.plausibility`): glitched samples
  are dropped from the stream first, and what is still impossible after that is not stored. This is the guard
  in front of the risk engine: only finite, plausible numbers reach the store and, from it, the flags and caps.
A file that names no sport takes it from the export's activities.csv (`hint`), else is assumed to be a run, and
the detail says so. Decoding and measuring happen before the transaction opens, so the database is locked only
for the writes: they are `measuring.prepare` (no database), which always runs in a worker process
(`isolation.DecodingPool`: a decoder that crashes or hangs costs its own file, never the import), and
`storing.commit`, which always runs in the importing process.

This module imports neither SQLAlchemy nor the models: `storing` (the writes) is imported by `open_store`,
`store_prepared` and `import_payload`, and the database is opened then (`ImportContext.store`), so a pool import's
workers are already decoding while this process imports the store and opens the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from advisor.domain.metrics import HeartRateProfile
from advisor.ingest.files import (
    Candidate,
    IncompleteSourceError,
    Limits,
    Skipped,
    SourceError,
    Unreadable,
    discover,
)
from advisor.ingest.measuring import (
    DECODE_TIME_LIMIT_S,
    FileResult,
    Prepared,
    Status,
    digest,
)
from advisor.ingest.strava import ActivityHint

if TYPE_CHECKING:
    from advisor.ingest.isolation import DecodingPool
    from advisor.store.db import Database


class Store(Protocol):
    """Where an import writes: the database and the athlete. A `Runtime` is one, and opens both on first use."""

    @property
    def db(self) -> Database: ...

    @property
    def athlete_id(self) -> int: ...


@dataclass(frozen=True)
class OpenStore:
    """A database already open and an athlete already known (library callers, tests, benchmarks)."""

    db: Database
    athlete_id: int


@dataclass(frozen=True)
class ImportContext:
    """What every import needs to know, gathered once per command or job."""

    store: Store
    decoder: str = "fitdecode"
    hr_profile: HeartRateProfile = HeartRateProfile()
    origin: str = "file"
    limits: Limits = Limits()
    jobs: int = 1
    """Worker processes for `import_paths`; `advisor import --jobs`. 0: one per core, but no more than there are
    payloads (what `advisor import` does without `--jobs`)."""
    decoding: DecodingPool | None = None
    """The worker pool a use case holds open for all its files (the inbox scan, a Garmin round): without one,
    `import_paths` opens its own and `import_payload` one per call."""
    decode_time_limit_s: float = DECODE_TIME_LIMIT_S

    @property
    def db(self) -> Database:
        return self.store.db

    @property
    def athlete_id(self) -> int:
        return self.store.athlete_id


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

    The files are decoded and measured in worker processes (`import_pool`); the results, the transactions (one
    per file) and the callbacks stay in this process and in the order of `discover`.
    """
    summary = ImportSummary()
    with ExitStack() as stack:
        candidates = discover(paths, stack, ctx.limits)
        if on_total:
            on_total(len(candidates))
        payloads = sum(isinstance(c, Candidate) for c in candidates)
        if payloads:
            from advisor.services.import_pool import available_cores, import_in_pool

            jobs = min(ctx.jobs or available_cores(), payloads)
            results: Iterable[FileResult] = import_in_pool(replace(ctx, jobs=jobs), candidates)
        else:  # nothing to decode (skipped or unreadable entries only): no worker, no database
            results = [read_candidate(candidate) for candidate in candidates]  # type: ignore[misc]
        for result in results:
            summary.results.append(result)
            if on_result:
                on_result(result)
    return summary


def import_payload(
    ctx: ImportContext,
    name: str,
    data: bytes,
    garmin_activity_id: int | None = None,
    hint: ActivityHint | None = None,
) -> FileResult:
    """Decode, measure and store one activity file's bytes; see the module docstring for the statuses.

    `name` also tells the format sniffer what the file claims to be (`advisor.ingest.decode.decode_activity`); `hint` is
    what an export's listing says about it (name, sport). Same bytes already stored: not decoded at all. Decoded
    in `ctx.decoding`'s workers, or in a pool opened for this one file.
    """
    from advisor.services.storing import commit, seen_before

    sha256 = digest(data)
    duplicate = seen_before(ctx, sha256)
    if duplicate is not None:
        return replace(duplicate, name=name)
    if ctx.decoding is not None:
        prepared = ctx.decoding.prepare(name, data, hint, sha256)
    else:
        with decoding_pool(ctx) as pool:
            prepared = pool.prepare(name, data, hint, sha256)
    return commit(ctx, prepared, garmin_activity_id)


def decoding_pool(ctx: ImportContext) -> DecodingPool:
    """A worker pool for a use case's files, `ctx.jobs` workers (enter it with `with`; a use case that holds it for
    all its files passes `replace(ctx, decoding=pool)`)."""
    from advisor.ingest.isolation import DecodingPool

    return DecodingPool(ctx.decoder, ctx.hr_profile, max(1, ctx.jobs), time_limit_s=ctx.decode_time_limit_s)


def open_store(ctx: ImportContext) -> None:
    """Import the writes' module (SQLAlchemy, the models) and open the database and the athlete now, ahead of the
    first file to store; `import_pool` does it on a thread while the workers decode the first files."""
    import advisor.services.storing  # noqa: F401

    ctx.store.athlete_id  # noqa: B018 (opens the database: checks, migrates or creates it, finds the athlete)


def store_prepared(ctx: ImportContext, prepared: Prepared) -> FileResult:
    """Store a payload a pool worker prepared (the same steps as `import_payload`, after the decoding)."""
    from advisor.services.storing import commit, seen_before

    duplicate = seen_before(ctx, prepared.sha256)
    if duplicate is not None:
        return replace(duplicate, name=prepared.name)
    return commit(ctx, prepared)


def read_candidate(candidate: Candidate | Skipped | Unreadable) -> bytes | FileResult:
    """The candidate's bytes, or its result when there is nothing to decode (listed skipped, unreadable)."""
    if isinstance(candidate, Unreadable):
        return FileResult(candidate.label, "failed", candidate.reason)
    if isinstance(candidate, Skipped):
        return FileResult(candidate.label, "skipped", candidate.reason)
    try:
        return candidate.read()
    except SourceError as error:
        return FileResult(candidate.label, "failed", str(error), incomplete=isinstance(error, IncompleteSourceError))


__all__ = [
    "FileResult",
    "ImportContext",
    "ImportSummary",
    "OpenStore",
    "Prepared",
    "Status",
    "Store",
    "decoding_pool",
    "import_paths",
    "import_payload",
    "open_store",
    "read_candidate",
    "store_prepared",
]
