"""`advisor import` on every core: decoding and measuring in a process pool, storing in this process.

Why a pool: decoding is nearly all of an import's CPU and files are independent, so `jobs` worker processes
decode and measure (`measuring.prepare`) while this process reads the payloads, checks for duplicates and writes —
still one transaction per file, in the order `discover` listed the files, so statuses, the progress bar and the
JSON come out exactly as an in-process import gives them.

What keeps it safe and flat:
- bounded work in flight: at most `IN_FLIGHT_PER_WORKER` payloads per worker are read and queued ahead of the
  one being stored, so memory does not grow with the number of files (a 10-year export is 3,650 payloads);
- workers never touch the database: a `kill -9` of the import loses at most the files not yet committed, and a
  re-run finds the committed ones as `duplicate` (same bytes), exactly as without the pool;
- workers send back a `Prepared` without the record stream (a few kB), not the decoded run;
- a worker dies with the parent: each one watches the parent's pid and exits when it is gone, so a killed
  import leaves no orphans decoding into the void;
- `ImportContext.jobs` defaults to 1, so library callers (the inbox, Garmin sync) stay in-process unless they ask.

The `forkserver` start method: forking the parent directly would copy its threads' locks (Rich's progress bar
runs a thread), and `spawn` re-imports everything per worker; the fork server preloads the decoding modules once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace

from advisor.metrics import HeartRateProfile
from advisor.sources.files import FitCandidate, Found
from advisor.sources.strava import ActivityHint
from advisor.usecases.importing import FileResult, ImportContext, Prepared, commit, read_candidate, seen_before
from advisor.usecases.measuring import prepare

IN_FLIGHT_PER_WORKER = 2
POOL_MIN_FILES = 40
"""Below this many payloads an import without `--jobs` stays in-process: starting the pool (a fork server that
imports the decoders, then the workers) costs about 0.5 s of CPU, what decoding ~30 one-hour runs costs, and at
40 runs the pool and the in-process import measured the same on 2 cores (`bench/import_bench.py`)."""
PRELOAD = ["advisor.usecases.measuring", "advisor.decode.fitfast_backend", "advisor.decode.fitdecode_backend"]


def available_cores() -> int:
    """The cores this process may run on (the default for `--jobs`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def import_in_pool(ctx: ImportContext, candidates: Iterable[Found]) -> Iterator[FileResult]:
    """The results of importing `candidates`, in their order, decoded by `ctx.jobs` workers."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    with ProcessPoolExecutor(ctx.jobs, mp_context=context, initializer=_watch_parent, initargs=(os.getpid(),)) as pool:
        window: deque[tuple[Found, Future[Prepared] | FileResult]] = deque()
        for candidate in candidates:
            window.append((candidate, _submit(pool, ctx, candidate)))
            while len(window) > ctx.jobs * IN_FLIGHT_PER_WORKER:
                yield _finish(ctx, *window.popleft())
        while window:
            yield _finish(ctx, *window.popleft())


def _submit(pool: ProcessPoolExecutor, ctx: ImportContext, candidate: Found) -> Future[Prepared] | FileResult:
    data = read_candidate(candidate)
    if isinstance(data, FileResult):
        return data
    assert isinstance(candidate, FitCandidate)
    return pool.submit(_prepare, ctx.decoder, ctx.hr_profile, candidate.label, data, candidate.hint)


def _finish(ctx: ImportContext, candidate: Found, pending: Future[Prepared] | FileResult) -> FileResult:
    """Store one file's result in this process (the same steps as `importing.import_payload`)."""
    if isinstance(pending, FileResult):
        return pending
    prepared = pending.result()
    duplicate = seen_before(ctx, prepared.sha256)
    if duplicate is not None:
        return replace(duplicate, name=prepared.name)
    return commit(ctx, prepared)


def _prepare(decoder: str, profile: HeartRateProfile, name: str, data: bytes, hint: ActivityHint | None) -> Prepared:
    return prepare(decoder, profile, name, data, hint)


def _watch_parent(parent_pid: int) -> None:
    """Worker initializer: exit when the importing process is gone (after a kill -9 nobody shuts the pool), and
    leave Ctrl-C to it (the whole process group gets SIGINT; the command stops the pool itself, without a
    traceback from every worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while _alive(parent_pid):
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
