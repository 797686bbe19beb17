"""Decoding isolated in worker processes: whatever a decoder does with one file costs that file alone.

Why: decoders are native code and third-party parsers fed whatever a watch, an export or a stranger wrote. Most
of what they do wrong is an exception, and `measuring.prepare` turns any exception into that file's `failed`
reason. What no handler can catch is the rest: fitfast 0.1.0 *panicked* on 1 in 10 mutated files, and a PyO3 panic
that cannot be pickled back broke the whole `ProcessPoolExecutor`; gpxpy's recursive copy of a deeply nested
document overflowed the C stack (SIGSEGV, exit 139). Either took every other file of the import with it, and in
the daemon stopped the inbox and Garmin sync for good (a restart loop on the same file). So every payload is
decoded in a worker process, and:
- a worker that dies (a signal, `os._exit`, out of memory) fails its own file only ("the FIT decoder crashed on
  this file (its process died: SIGSEGV)"); the pool starts another worker and the import goes on;
- a file still decoding after `DECODE_TIME_LIMIT_S` is given up and its worker killed (a hang costs one file);
- the importing process never runs decoder code, so it is always there to record each file's status.

Why pebble: `concurrent.futures.ProcessPoolExecutor` marks the whole pool broken when one worker dies, fails every
pending future with it, cannot say which file killed it, and cannot stop a hung task. pebble's `ProcessPool` fails
only the dead worker's future (`ProcessExpired`), replaces the worker, and enforces a per-task timeout by killing
the worker — exactly these rules, in a small, long-maintained library, rather than our own supervisor.

Cost: one fork of the preloaded fork server per worker (`pool_worker`); a pool costs ~0.1 s to close, so a use
case opens one for all its files (`DecodingPool` as a context manager; `ImportContext.decoding` carries it), and
a lone `import_payload` without one opens and closes its own.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from pebble import ProcessExpired, ProcessPool

from advisor.domain.metrics import HeartRateProfile
from advisor.ingest.measuring import DECODE_TIME_LIMIT_S, FileResult, Prepared, digest, gave_up, prepare, reader_of
from advisor.ingest.pool_worker import pool_context, start_fork_server, watch_parent
from advisor.ingest.strava import ActivityHint


@dataclass
class PendingFile:
    """One payload handed to a worker: `result()` is its `Prepared`, whatever became of the worker."""

    name: str
    sha256: str
    size: int
    reader: str
    time_limit_s: float
    future: Future[Prepared]

    def result(self) -> Prepared:
        """The worker's answer; a worker that died or hung, or an answer that could not come back, is this file's
        `failed` outcome (one sentence), never an exception. Cancellation (Ctrl-C, a stop) still propagates."""
        try:
            return self.future.result()
        except CancelledError:
            raise
        except ProcessExpired as error:
            reason = gave_up(self.reader, f"its process died: {_exit_cause(error.exitcode)}")
        except FutureTimeout:
            reason = f"the {self.reader} took longer than {self.time_limit_s:g} s on this file: given up"
        except Exception as error:  # the answer could not be sent back, or the pool itself broke
            reason = gave_up(self.reader, error)
        return Prepared(self.name, self.sha256, self.size, FileResult(self.name, "failed", reason))


def _exit_cause(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


class DecodingPool:
    """Worker processes that decode and measure payloads (`measuring.prepare`), each file isolated from the others.

    Use it as a context manager: leaving normally waits for the workers to finish what was submitted; leaving on
    an exception (Ctrl-C, a database error) stops them at once, dropping what is queued.
    """

    def __init__(
        self,
        decoder: str,
        hr_profile: HeartRateProfile,
        workers: int = 1,
        time_limit_s: float = DECODE_TIME_LIMIT_S,
        task: Callable[..., Prepared] = prepare,
    ) -> None:
        self.task = task
        """What a worker runs per file: `measuring.prepare`; a module-level function with its signature (the tests
        give one that crashes or hangs, to show that the pool survives what no decoder does on purpose)."""
        self.decoder = decoder
        self.hr_profile = hr_profile
        self.workers = max(1, workers)
        self.time_limit_s = time_limit_s
        self._pool: ProcessPool | None = None

    def submit(self, name: str, data: bytes, hint: ActivityHint | None = None, sha256: str = "") -> PendingFile:
        """Queue one payload; the first call starts the workers (a use case with nothing to decode forks none)."""
        sha256 = sha256 or digest(data)
        future = self._running().schedule(
            self.task, args=(self.decoder, self.hr_profile, name, data, hint, sha256), timeout=self.time_limit_s
        )
        return PendingFile(name, sha256, len(data), reader_of(name, data), self.time_limit_s, future)

    def prepare(self, name: str, data: bytes, hint: ActivityHint | None = None, sha256: str = "") -> Prepared:
        """Decode and measure one payload in a worker and wait for it."""
        return self.submit(name, data, hint, sha256).result()

    def _running(self) -> ProcessPool:
        if self._pool is None or not self._pool.active:  # first use, or a pool that broke (its workers all failed)
            if self._pool is not None:
                self._pool.stop()
            start_fork_server()
            self._pool = ProcessPool(
                self.workers, context=pool_context(), initializer=watch_parent, initargs=(os.getpid(),)
            )
        return self._pool

    def close(self, *, cancel: bool = False) -> None:
        """Let the workers finish (or, with `cancel`, kill them and drop the queue) and wait for them to exit."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if cancel:
            pool.stop()
        else:
            pool.close()
        pool.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close(cancel=kind is not None)


__all__ = ["DECODE_TIME_LIMIT_S", "DecodingPool", "PendingFile"]
