"""Running the queue's workers: `advisor worker`, the worker inside `advisor daemon`, and the drain of `--once`.

A worker is Procrastinate's (`App.run_worker_async`) with the advisor's tasks (`jobs.queue`), plus one thing of
ours beside it, the **recovery sweep**. Procrastinate 3 records a heartbeat per worker and can list the tasks of a
worker whose heartbeat stopped (`JobManager.get_stalled_jobs`), but leaves retrying them to the application; its
documentation's recipe is to call `retry_job` on each. Every worker sweeps every `stalled_after / 2` seconds, one
sweep at a time in the whole database (an advisory lock, `advisor.store.queue_state.try_recovery_lock`), so a task
whose worker was killed (kill -9, a power cut, an OOM kill) runs again on a live worker within about
`stalled_after` seconds. The weekly mail stays sent once: the outbox's claim, not the queue, decides who sends.

Any number of workers may run, on any machines: a worker never refuses to start because another runs; the queue
hands each task to one of them, and the per-athlete lock keeps one athlete's tasks one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor.config import Settings
from advisor.store.queue_state import try_recovery_lock
from jobs.queue import Queue

if TYPE_CHECKING:
    from procrastinate import App

__all__ = ["STALLED_AFTER_S", "WorkerOptions", "WorkerThread", "drain", "recover_stalled", "run_worker"]

log = logging.getLogger(__name__)

STALLED_AFTER_S = 30.0
"""A worker silent for this long is dead and its tasks run again elsewhere (Procrastinate's own default)."""
FINISHED = ("succeeded", "failed", "cancelled", "aborted")


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 1
    """Tasks run at once by this worker (threads: the tasks are synchronous, the database does the waiting)."""
    stalled_after_s: float = STALLED_AFTER_S
    """Heartbeat silence after which a worker counts as dead; it beats every third of this."""
    name: str | None = None


def _worker_kwargs(options: WorkerOptions) -> dict[str, object]:
    return {
        "concurrency": options.concurrency,
        "name": options.name or f"{socket.gethostname()}:{os.getpid()}",
        "update_heartbeat_interval": options.stalled_after_s / 3,
        "stalled_worker_timeout": options.stalled_after_s,
        "delete_jobs": "successful",  # `job_runs` keeps each athlete's last success; failures stay to be seen
        "shutdown_graceful_timeout": None,  # SIGTERM: the tasks in hand finish, as the daemon's jobs always did
    }


async def recover_stalled(queue: Queue, app: App, stalled_after_s: float) -> int:
    """Put every task of a dead worker back in the queue; how many. One sweep at a time across all workers."""
    lock = await asyncio.to_thread(try_recovery_lock, queue.db)
    if lock is None:
        return 0
    retried = 0
    try:
        manager = app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_s):
            try:
                await manager.retry_job(job)
            except Exception as error:  # finished or retried meanwhile: nothing left to do for it
                log.debug("Could not retry the stalled task %s: %s", job.id, error)
                continue
            retried += 1
            who = job.task_kwargs.get("athlete") or job.task_kwargs.get("kind")
            log.warning("The worker running %s (%s) stopped; it runs again on another worker.", job.task_name, who)
    finally:
        await asyncio.to_thread(lock.release)
    return retried


async def _recovery_loop(queue: Queue, app: App, stalled_after_s: float) -> None:
    while True:
        try:
            await recover_stalled(queue, app, stalled_after_s)
        except Exception as error:  # the database is away: the next sweep tries again
            log.error("Could not look for the tasks of stopped workers: %s", error)
        await asyncio.sleep(stalled_after_s / 2)


async def serve(queue: Queue, options: WorkerOptions, *, wait: bool = True, signals: bool = True) -> None:
    """Run one worker (and its recovery sweep) until stopped, or with `wait=False` until nothing is left to take."""
    app = queue.new_app()
    async with app.open_async():
        sweep = asyncio.create_task(_recovery_loop(queue, app, options.stalled_after_s), name="recovery sweep")
        try:
            await app.run_worker_async(wait=wait, install_signal_handlers=signals, **_worker_kwargs(options))
        finally:
            sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweep


def run_worker(settings: Settings, options: WorkerOptions) -> int:
    """`advisor worker`: create the queue's tables if needed, then work until SIGTERM or SIGINT; 0 when stopped."""
    queue = Queue(settings, pool_size=options.concurrency + 4)
    try:
        queue.ensure_schema()
        log.info(
            "The advisor worker started (pid %d) with %d task(s) at a time; tasks of a worker silent for %g s run "
            "again.",
            os.getpid(),
            options.concurrency,
            options.stalled_after_s,
        )
        asyncio.run(serve(queue, options))
        log.info("The advisor worker stopped.")
        return 0
    finally:
        queue.close()


class WorkerThread:
    """A worker on a thread of the daemon's process, so a one-machine clinic needs one command, one unit."""

    def __init__(self, queue: Queue, options: WorkerOptions) -> None:
        self.queue = queue
        self.options = options
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-worker", daemon=True)

    def start(self) -> WorkerThread:
        self._thread.start()
        self._ready.wait(timeout=30)
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()  # type: ignore[assignment]
            self._ready.set()
            await serve(self.queue, self.options, signals=False)  # the daemon's own handlers stop it

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except Exception as error:
            log.error("The daemon's queue worker stopped: %s", error)
        finally:
            self._ready.set()

    def stop(self) -> None:
        """Ask the worker to stop (it finishes the tasks in hand: Procrastinate treats a cancel as a graceful stop)
        and wait for it."""
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own meanwhile
                self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join()


def drain(queue: Queue, ids: list[int], options: WorkerOptions, timeout_s: float = 3600.0) -> list[int]:
    """Work until the tasks `ids` have finished here or on any other worker (`--once`); the ids that failed.

    A worker with `wait=False` stops once it finds nothing it may take; a task held back by its athlete's lock
    (another worker runs that athlete) is still waiting then, so this works again until none of `ids` waits.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        asyncio.run(serve(queue, options, wait=False, signals=False))
        statuses = _statuses(queue, ids)
        if all(status in FINISHED or status is None for status in statuses.values()) or time.monotonic() > deadline:
            return [i for i, status in statuses.items() if status != "succeeded" and status is not None]
        time.sleep(0.5)


def _statuses(queue: Queue, ids: list[int]) -> dict[int, str | None]:
    """Each task's status; None once gone (a succeeded task is deleted: `delete_jobs="successful"`)."""
    manager = queue.sync_app().job_manager
    return {i: (jobs[0].status if (jobs := list(manager.list_jobs(id=i))) else None) for i in ids}
