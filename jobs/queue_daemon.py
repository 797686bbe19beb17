"""`advisor daemon` on PostgreSQL: it schedules rounds and defers them to the queue; workers do the work.

The single runner's daemon (`jobs.daemon`) runs every job itself, one athlete after another. On PostgreSQL the
daemon only keeps time: on each job's interval (`AthleteJob.every`) it defers that job's round (`jobs.queue`), and
whichever worker takes the round defers one task per athlete. The rounds carry a queueing lock, so a round still
waiting when the next tick comes is not doubled; two daemons (two homes, two machines, for redundancy) may run on one
database, their ticks fold into the same waiting rounds, and no athlete is claimed by anyone: there is nothing to
refuse.

By default the daemon also runs one worker on a thread of its own process (`--workers 0` to leave the work to
`advisor worker` processes): a clinic on one machine keeps one command and one systemd unit, as it had before the
queue, and adds `advisor worker` on other machines only when one is not enough.

`--once` (for cron) runs each job's round right away, then works until the tasks it deferred have finished (here
or on any other worker); exit 1 when any failed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from advisor.config import Settings
from jobs.lock import acquire_daemon_lock
from jobs.process import StopSignals, start_web
from jobs.queue import Queue
from jobs.queue_jobs import ATHLETE_JOBS
from jobs.queue_worker import WorkerOptions, WorkerThread, drain
from jobs.schedule import interval_trigger

__all__ = ["run_queue_daemon", "run_queue_once"]

log = logging.getLogger(__name__)


def run_queue_once(settings: Settings, athlete: str | None = None, options: WorkerOptions | None = None) -> int:
    """Defer what is due for every athlete (or only `athlete`) and work until it is done; 0 when every task
    succeeded, else 1. Raises `jobs.lock.AlreadyRunning` when a daemon holds this home's lock."""
    options = options or WorkerOptions()
    with acquire_daemon_lock(settings.home, athlete):
        queue = Queue(settings, pool_size=options.concurrency + 4)
        try:
            queue.ensure_schema()
            now = datetime.now(UTC)
            ids = [i for name in ATHLETE_JOBS for i in queue.run_round(name, athlete, now)]
            failed = drain(queue, ids, options)
        finally:
            queue.close()
    if failed:
        log.error("%d of %d task(s) failed; `advisor daemon status` says which.", len(failed), len(ids))
    return 1 if failed else 0


def run_queue_daemon(
    settings: Settings, athlete: str | None = None, workers: int = 1, options: WorkerOptions | None = None
) -> int:
    """Defer each job's round on its interval until SIGTERM or SIGINT (with `workers` in-process workers doing
    tasks meanwhile), then let the tasks in hand finish and return 0."""
    from apscheduler.schedulers.background import BackgroundScheduler

    options = options or WorkerOptions()
    signals = StopSignals("the tasks in hand").install()
    try:
        lock = acquire_daemon_lock(settings.home, athlete)
    except BaseException:
        signals.restore()
        raise
    queue = Queue(settings, pool_size=options.concurrency * max(workers, 1) + 4)
    threads: list[WorkerThread] = []
    try:
        queue.ensure_schema()  # opens and migrates the database too: a bad URL ends the start here
        scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600}
        )
        now = datetime.now(UTC)
        for name, job in ATHLETE_JOBS.items():
            every = job.every(settings)
            scheduler.add_job(
                _defer_round,
                interval_trigger(minutes=every.total_seconds() / 60),
                args=(queue, name, athlete),
                id=f"round:{name}",
                name=f"{name} round",
                next_run_time=now,
            )
        scheduler.add_job(_defer_cleanup, interval_trigger(hours=24), args=(queue,), id="cleanup", name="queue cleanup")
        threads = [WorkerThread(queue, options).start() for _ in range(workers)]
        web = start_web(settings)
        scheduler.start()
        log.info("The advisor daemon started (pid %d) for %s.", lock.pid, settings.home)
        log.info(
            "It defers its jobs (%s) to the queue in the database; %s.",
            ", ".join(f"{name} every {job.every(settings)}" for name, job in ATHLETE_JOBS.items()),
            f"{workers} worker(s) of this process run them" if workers else "`advisor worker` processes run them",
        )
        while not signals.stop.wait(timeout=60):
            pass
        scheduler.shutdown(wait=True)
        log.info("Waiting for the tasks in hand to finish.")
        for thread in threads:
            thread.stop()
        threads = []
        if web is not None:
            web.stop()
        log.info("The advisor daemon stopped.")
        return 0
    finally:
        signals.restore()
        for thread in threads:
            thread.stop()
        queue.close()
        lock.release()


def _defer_round(queue: Queue, name: str, athlete: str | None) -> None:
    """One tick: defer the round; a database that is away is logged, and the next tick tries again."""
    try:
        queue.defer_round(name, athlete)
    except Exception as error:
        log.error("Could not defer the %s round: %s", name, error)


def _defer_cleanup(queue: Queue) -> None:
    try:
        queue.defer_cleanup()
    except Exception as error:
        log.error("Could not defer the queue's cleanup: %s", error)
