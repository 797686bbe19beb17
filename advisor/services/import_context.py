"""What every import is handed and shares: where it writes (`Store`, `OpenStore`), how it decodes
(`ImportContext`, `decoding_pool`) and how a listed file becomes bytes or a result (`read_candidate`).

Why a module of its own: the import use case is three modules that must not import each other in a circle —
`importing` (the use case: one file, or every file under some paths), `import_pool` (decoding on every core) and
`storing` (the database half). All three need these values, so they live here, below them, and the imports go
one way: `importing` on top, `import_pool` under it, `storing` under both, this module at the bottom. Like
`importing`, it imports neither SQLAlchemy nor the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from advisor.domain.metrics import HeartRateProfile
from advisor.ingest.files import Candidate, IncompleteSourceError, Limits, Skipped, SourceError, Unreadable
from advisor.ingest.measuring import DECODE_TIME_LIMIT_S, FileResult

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


def decoding_pool(ctx: ImportContext) -> DecodingPool:
    """A worker pool for a use case's files, `ctx.jobs` workers (enter it with `with`; a use case that holds it for
    all its files passes `replace(ctx, decoding=pool)`).

    The pool's module (pebble, multiprocessing) is imported here, on first use, not with this module: an import
    of only skipped or unreadable entries starts no worker and need not pay for it."""
    from advisor.ingest.isolation import DecodingPool

    return DecodingPool(ctx.decoder, ctx.hr_profile, max(1, ctx.jobs), time_limit_s=ctx.decode_time_limit_s)


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


__all__ = ["ImportContext", "OpenStore", "Store", "decoding_pool", "read_candidate"]
