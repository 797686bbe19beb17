"""`advisor import` on every core: decoding and measuring in a process pool, storing in this process.

Why a pool: decoding is nearly all of an import's CPU and files are independent, so `jobs` worker processes
decode and measure (`measuring.prepare`) while this process reads the payloads, checks for duplicates and writes —
still one transaction per file, in the order `discover` listed the files, so statuses, the progress bar and the
JSON come out exactly as an in-process import gives them.

What keeps it safe and flat:
- bounded work in flight: at most `IN_FLIGHT_PER_WORKER` payloads per worker are read and queued ahead of the
  one being stored (`WARM_UP_FILES` before the first is stored), so memory does not grow with the number of files
  (a 10-year export is 3,650 payloads);
- workers never touch the database: a `kill -9` of the import loses at most the files not yet committed, and a
  re-run finds the committed ones as `duplicate` (same bytes), exactly as without the pool;
- workers send back a `Prepared` without the record stream (a few kB), not the decoded run;
- a worker dies with the parent: each one watches the parent's pid and exits when it is gone, so a killed
  import leaves no orphans decoding into the void; a worker imports no database code (`pool_worker`);
- `ImportContext.jobs` defaults to 1, so library callers (the inbox, Garmin sync) stay in-process unless they ask.

The `forkserver` start method: forking the parent directly would copy its threads' locks (Rich's progress bar
runs a thread), and `spawn` re-imports everything per worker; the fork server preloads the decoding modules once.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from advisor.sources.files import FitCandidate, Found
from advisor.usecases.importing import FileResult, ImportContext, Prepared, read_candidate, store_prepared
from advisor.usecases.measuring import prepare
from advisor.usecases.pool_worker import available_cores, pool_context, start_fork_server, watch_parent

IN_FLIGHT_PER_WORKER = 2
POOL_MIN_FILES = 40
"""Below this many payloads an import without `--jobs` stays in-process: starting the pool (a fork server that
imports the decoders, then the workers) costs about 0.5 s of CPU, what decoding ~30 one-hour runs costs, and at
40 runs the pool and the in-process import measured the same on 2 cores (`bench/import_bench.py`)."""
WARM_UP_FILES = 16
WARM_UP_BYTES = 32 << 20
"""Until the first result is stored, up to this many payloads (and bytes) are read and queued, not
`IN_FLIGHT_PER_WORKER` per worker: storing the first one imports SQLAlchemy and opens (for a first import,
creates) the database, about a second, and the workers decode meanwhile instead of waiting. A constant, so memory
stays flat in the number of files; the window is back to `IN_FLIGHT_PER_WORKER` per worker once the first is
stored."""


def import_in_pool(ctx: ImportContext, candidates: Iterable[Found]) -> Iterator[FileResult]:
    """The results of importing `candidates`, in their order, decoded by `ctx.jobs` workers."""
    start_fork_server()
    steady = ctx.jobs * IN_FLIGHT_PER_WORKER
    with ProcessPoolExecutor(
        ctx.jobs, mp_context=pool_context(), initializer=watch_parent, initargs=(os.getpid(),)
    ) as pool:
        window: deque[tuple[Found, Future[Prepared] | FileResult]] = deque()
        warming, warm_bytes = True, 0
        for candidate in candidates:
            pending, size = _submit(pool, ctx, candidate)
            window.append((candidate, pending))
            warm_bytes += size
            if warming and len(window) < max(steady, WARM_UP_FILES) and warm_bytes < WARM_UP_BYTES:
                continue
            warming = False
            while len(window) > steady:
                yield _finish(ctx, *window.popleft())
        while window:
            yield _finish(ctx, *window.popleft())


def _submit(
    pool: ProcessPoolExecutor, ctx: ImportContext, candidate: Found
) -> tuple[Future[Prepared] | FileResult, int]:
    """The candidate's pending result and the bytes it holds in flight."""
    data = read_candidate(candidate)
    if isinstance(data, FileResult):
        return data, 0
    assert isinstance(candidate, FitCandidate)
    return pool.submit(prepare, ctx.decoder, ctx.hr_profile, candidate.label, data, candidate.hint), len(data)


def _finish(ctx: ImportContext, candidate: Found, pending: Future[Prepared] | FileResult) -> FileResult:
    """Store one file's result in this process; the first one stored opens the database (`ImportContext.store`)."""
    if isinstance(pending, FileResult):
        return pending
    return store_prepared(ctx, pending.result())


__all__ = ["POOL_MIN_FILES", "available_cores", "import_in_pool"]
