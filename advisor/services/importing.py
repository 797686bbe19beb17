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

This module imports neither SQLAlchemy nor the models: `storing` (the writes) is imported when a file is about to
be stored, and the database is opened then (`ImportContext.store`), so a pool import's workers are already
decoding while this process imports the store and opens the database. The imports go one way: this module (the
use case) → `import_pool` (every core) → `storing` (the writes) → `import_context` (the values all three share,
re-exported here: a caller of the use case needs only this module).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from advisor.ingest.files import Candidate, discover
from advisor.ingest.measuring import FileResult, Prepared, Status, digest
from advisor.ingest.strava import ActivityHint
from advisor.services.import_context import ImportContext, OpenStore, Store, decoding_pool, read_candidate


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
    on_total: Callable[[list[int]], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> ImportSummary:
    """Import every activity payload under `paths`; a failure of one never stops the others.

    The files are decoded and measured in worker processes (`import_pool`); the results, the transactions (one
    per file) and the callbacks stay in this process and in the order of `discover`.
    """
    summary = ImportSummary()
    with ExitStack() as stack:
        candidates = discover(paths, stack, ctx.limits)
        if on_total:  # each file's size, in the order its result comes: a progress bar's time left by bytes
            on_total([c.size if isinstance(c, Candidate) else 0 for c in candidates])
        payloads = sum(isinstance(c, Candidate) for c in candidates)
        if payloads:  # the pool's modules (pebble, multiprocessing) only when there is something to decode
            from advisor.services.import_pool import available_cores, import_in_pool

            jobs = min(ctx.jobs or available_cores(), payloads)
            results: Iterable[FileResult] = import_in_pool(replace(ctx, jobs=jobs), candidates)
        else:  # nothing to decode (skipped or unreadable entries only): no worker, no database
            results = [read_candidate(candidate) for candidate in candidates]  # type: ignore[misc]
        for result in results:
            summary.results.append(result)
            if on_result:
                on_result(result)
    _stored(ctx, sum(r.status == "imported" for r in summary.results))
    return summary


ANALYZE_AFTER_FILES = 500
"""Files stored (by this process, in one database) that change the activities' statistics enough that PostgreSQL's
planner should hear of it now rather than whenever autovacuum gets round to it (advisor.store.schema.analyze)."""
IMPORTED_TABLES = ("activities", "source_files", "daily_stairs")

_since_analyze: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
_counting = threading.Lock()


def _stored(ctx: ImportContext, files: int) -> None:
    """Count `files` stored, and analyze the tables an import writes once `ANALYZE_AFTER_FILES` were stored since
    the last time: after one `advisor import` of a whole export, and as often during the files that come one at a
    time — the inbox job imports each drop on its own, a first Garmin sync stores years of activities one download
    after another — so none of them leaves the planner estimating a first import of 170,000 activities as 152
    rows. Counted per database object (the daemon's one engine), in memory: a restart only delays an ANALYZE that
    autovacuum will also do. Nothing is done on SQLite (`analyze_tables`)."""
    if not files:
        return
    db = ctx.db
    with _counting:
        count = _since_analyze.get(db, 0) + files
        due = count >= ANALYZE_AFTER_FILES
        _since_analyze[db] = 0 if due else count
    if due:
        from advisor.store.db import analyze_tables

        analyze_tables(db, IMPORTED_TABLES)


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
    from advisor.services.storing import commit, seen_before  # SQLAlchemy: when a file is stored, not before

    sha256 = digest(data)
    duplicate = seen_before(ctx, sha256)
    if duplicate is not None:
        return replace(duplicate, name=name)
    if ctx.decoding is not None:
        prepared = ctx.decoding.prepare(name, data, hint, sha256)
    else:
        with decoding_pool(ctx) as pool:
            prepared = pool.prepare(name, data, hint, sha256)
    result = commit(ctx, prepared, garmin_activity_id)
    _stored(ctx, int(result.status == "imported"))
    return result


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
    "read_candidate",
]
