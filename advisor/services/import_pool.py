"""`advisor import` on every core: decoding and measuring in isolated worker processes, storing in this process.

Why a pool: decoding is nearly all of an import's CPU and files are independent, so `jobs` worker processes
decode and measure (`measuring.prepare`) while this process reads the payloads, checks for duplicates and writes —
still one transaction per file, in the order `discover` listed the files, so statuses, the progress bar and the
JSON come out in that order whatever the number of workers. The workers are an `isolation.DecodingPool`: a file
that crashes or hangs its worker is that file's `failed` status, and the others go on.

What keeps it safe and flat:
- bounded work in flight: at most `IN_FLIGHT_PER_WORKER` payloads per worker are read and queued ahead of the
  one being stored (`WARM_UP_FILES` before the first is stored), so memory does not grow with the number of files
  (a 10-year export is 3,650 payloads);
- workers never touch the database: a `kill -9` of the import loses at most the files not yet committed, and a
  re-run finds the committed ones as `duplicate` (same bytes);
- workers send back a `Prepared` without the record stream (a few kB), not the decoded run;
- a worker dies with the parent: each one watches the parent's pid and exits when it is gone, so a killed
  import leaves no orphans decoding into the void; a worker imports no database code (`pool_worker`).

The `forkserver` start method: forking the parent directly would copy its threads' locks (Rich's progress bar
runs a thread), and `spawn` re-imports everything per worker; the fork server preloads the decoding modules once.

`storing` (and with it the store's import repository, `advisor.store.imports`: SQLAlchemy and the models) is
imported inside functions, on purpose: on the thread that opens the database (`_OpeningStore`) while the fork
server starts and the workers decode the first files, not in the command's thread before any of that. It imports
none of this module.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack

from advisor.ingest.files import Candidate, Found
from advisor.ingest.isolation import DecodingPool, PendingFile
from advisor.ingest.measuring import FileResult
from advisor.ingest.pool_worker import available_cores, start_fork_server
from advisor.services.import_context import ImportContext, decoding_pool, read_candidate

IN_FLIGHT_PER_WORKER = 2
WARM_UP_FILES = 16
WARM_UP_BYTES = 32 << 20
"""Until the first result is stored, up to this many payloads (and bytes) are read and queued, not
`IN_FLIGHT_PER_WORKER` per worker: storing the first one imports SQLAlchemy and opens (for a first import,
creates) the database, about a second, and the workers decode meanwhile instead of waiting. A constant, so memory
stays flat in the number of files; the window is back to `IN_FLIGHT_PER_WORKER` per worker once the first is
stored."""


def import_in_pool(ctx: ImportContext, candidates: Iterable[Found]) -> Iterator[FileResult]:
    """The results of importing `candidates`, in their order, decoded by `ctx.jobs` workers (or by the pool the
    caller already holds in `ctx.decoding`, which it closes itself)."""
    start_fork_server()
    opening = _OpeningStore(ctx)
    with ExitStack() as stack:
        pool = ctx.decoding
        if pool is None:
            pool = stack.enter_context(decoding_pool(ctx))
        steady = pool.workers * IN_FLIGHT_PER_WORKER
        window: deque[tuple[Found, PendingFile | FileResult]] = deque()
        warming, warm_bytes = True, 0
        for candidate in candidates:
            pending, size = _submit(pool, candidate)
            window.append((candidate, pending))
            warm_bytes += size
            if warming and len(window) < max(steady, WARM_UP_FILES) and warm_bytes < WARM_UP_BYTES:
                continue
            warming = False
            opening.wait()
            while len(window) > steady:
                yield _finish(ctx, *window.popleft())
        opening.wait()
        while window:
            yield _finish(ctx, *window.popleft())


class _OpeningStore:
    """The writes' module (`storing`, and through `advisor.store.imports` SQLAlchemy and the models) imported and
    the database and the athlete opened on a thread, started with the pool: the fork server's start-up, the first
    files' decoding and this process's import of SQLAlchemy and opening of the database overlap, and `wait` (before
    the first file is stored) raises what opening raised — a `StoreError` is the command's one sentence."""

    def __init__(self, ctx: ImportContext) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._open, args=(ctx,), name="open-store", daemon=True)
        self._thread.start()

    def _open(self, ctx: ImportContext) -> None:
        try:
            import advisor.services.storing  # noqa: F401 (the import this thread is for; see the module docstring)

            ctx.store.athlete_id  # noqa: B018 (opens the database: checks, migrates or creates it, finds the athlete)
        except BaseException as error:  # handed to the importing thread by `wait`
            self._error = error

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _submit(pool: DecodingPool, candidate: Found) -> tuple[PendingFile | FileResult, int]:
    """The candidate's pending result and the bytes it holds in flight."""
    data = read_candidate(candidate)
    if isinstance(data, FileResult):
        return data, 0
    assert isinstance(candidate, Candidate)
    return pool.submit(candidate.label, data, candidate.hint), len(data)


def _finish(ctx: ImportContext, candidate: Found, pending: PendingFile | FileResult) -> FileResult:
    """Store one file's result in this process; the first one stored opens the database (`ImportContext.store`)."""
    if isinstance(pending, FileResult):
        return pending
    from advisor.services.storing import store_prepared  # already imported by `_OpeningStore`: a lookup

    return store_prepared(ctx, pending.result())


__all__ = ["available_cores", "import_in_pool"]
