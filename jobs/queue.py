"""A clinic's jobs on a job queue that already exists: Procrastinate, on the PostgreSQL the advisor already uses.

Why Procrastinate: it keeps its queue in tables of the same database (no broker to run), and it already does what
our own roster of advisory locks did by hand and what it could not: any number of workers on any number of
machines, a lock per athlete (`lock=`), no pile-up of periodic work (`queueing_lock=`), a record of what waits,
runs and failed, and a heartbeat per worker from which a dead worker's task is found and retried
(`jobs.queue_worker`). SQLite keeps the single runner's daemon (`jobs.daemon`, APScheduler, no queue).

The tasks (names as `daemon status` and Procrastinate's own tools show them):
- `advisor.round` (kind=JOB): lists the athletes, keeps those the job is for (`AthleteJob.select`) and defers one
  task each. Deferred with `queueing_lock=round:JOB`, so while one round waits, another tick adds nothing, and with
  `lock=round:JOB`, so two rounds of one job never run at once;
- `advisor.JOB` (athlete=NAME), one per registered job (`jobs.queue_jobs.ATHLETE_JOBS`): the job for one athlete,
  under `lock=athlete:NAME` (one task per athlete at a time, whichever job and worker) and
  `queueing_lock=JOB:NAME` (one waiting copy at most). It records its outcome in `job_runs` as the single runner's
  daemon does, then raises on failure so the queue marks that task failed; the athlete's next round tries again
  (no automatic retry of a failure: a Garmin rate limit or a bad file would only fail again at once). Every athlete
  is a task of its own, so one athlete's failure stops nobody else's.

Procrastinate's tables are created on first use (`ensure_schema`), under an advisory lock, so two workers starting
together on an empty database create them once; Alembic keeps ours, Procrastinate owns its own.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from advisor.bootstrap import Runtime
from advisor.config import Settings
from advisor.services.athletes import find_athlete, list_athletes
from advisor.store.db import Database
from advisor.store.jobruns import describe_error, job_key, job_title, record_run
from advisor.store.queue_state import queue_schema_lock, queue_schema_present
from jobs.queue_jobs import ATHLETE_JOBS, AthleteJob

if TYPE_CHECKING:
    from procrastinate import App, JobContext

__all__ = ["KEEP_FAILED_HOURS", "ROUND_TASK", "TASK_PREFIX", "Queue", "QueueCounts"]

log = logging.getLogger(__name__)

TASK_PREFIX = "advisor."
ROUND_TASK = "advisor.round"
CLEANUP_TASK = "advisor.cleanup"
KEEP_FAILED_HOURS = 7 * 24
"""Failed tasks stay visible in `daemon status` for a week; then Procrastinate's own cleanup task removes them
(succeeded tasks are deleted at once: each athlete's last success is in `job_runs`). Ours rather than Procrastinate's
built-in `remove_old_jobs`: that one lives on a module-level blueprint that each further `App` of a process renames,
and a process here holds two apps (one to defer from any thread, one per worker event loop)."""


def conninfo(database_url: str) -> str:
    """The libpq URI psycopg (and so Procrastinate) takes: SQLAlchemy's driver suffix removed."""
    return "postgresql://" + database_url.split("://", 1)[1]


@dataclass(frozen=True)
class QueueCounts:
    """What `daemon status` shows of the queue: tasks waiting, running and failed, and the latest failures."""

    waiting: int
    running: int
    failed: int
    failures: list[dict[str, Any]]
    """The most recent failed tasks: id, task, athlete (None for a round), attempts."""


class Queue:
    """The Procrastinate app of one database with the advisor's tasks registered, and what defers them.

    One per process: a worker holds one, the daemon one, `daemon status` one for a read. Tasks run on threads of the
    worker (they are plain synchronous functions) and share this process's one SQLAlchemy engine.
    """

    def __init__(self, settings: Settings, db: Database | None = None, *, pool_size: int = 4) -> None:
        self.settings = settings
        self._db = db
        self._owns_db = db is None
        self._pool_size = max(pool_size, 2)
        self.app = self.new_app()
        """The app this process defers with and reads counts from, on a synchronous pool opened on first use; a
        worker runs on an app of its own (`new_app`), whose pool lives on the worker's event loop."""
        self._open = False
        self._guard = threading.Lock()

    def new_app(self) -> App:
        """A Procrastinate app on this database with every advisor task registered."""
        from procrastinate import App, PsycopgConnector

        connector = PsycopgConnector(
            conninfo=conninfo(self.settings.database_url), min_size=1, max_size=self._pool_size
        )
        app = App(connector=connector)
        app.task(name=ROUND_TASK, retry=False)(self._round_task)
        app.task(name=CLEANUP_TASK, retry=False, pass_context=True)(_cleanup_task)
        for job in ATHLETE_JOBS.values():
            app.task(name=TASK_PREFIX + job.name, retry=False)(self._athlete_task(job))
        return app

    def sync_app(self) -> App:
        """`app`, opened on first use: deferring needs an open pool, and a `daemon status` that never defers
        should not open one; the guard because a worker's round tasks defer from several threads."""
        with self._guard:
            if not self._open:
                self.app.open()
                self._open = True
        return self.app

    @property
    def db(self) -> Database:
        """Our database (opened and migrated on first use)."""
        if self._db is None:
            self._db = Runtime(self.settings).db
        return self._db

    def close(self) -> None:
        if self._open:
            self.app.close()
            self._open = False
        if self._db is not None and self._owns_db:
            self._db.dispose()
        self._db = None

    # ----------------------------------------------------------------------------------------------------------
    # Procrastinate's tables

    def ensure_schema(self) -> bool:
        """Create Procrastinate's tables if this database has none yet; True when this call created them.

        Idempotent and safe with several processes starting at once: the check and the creation run under one
        advisory lock, and the second process finds the tables the first one made.
        """
        with queue_schema_lock(self.db):
            if queue_schema_present(self.db):
                return False
            self.sync_app().schema_manager.apply_schema()
        log.info("Created the job queue's tables in the database.")
        return True

    # ----------------------------------------------------------------------------------------------------------
    # Deferring (sync: from the daemon's scheduler thread, and from a round task on a worker's thread)

    def defer_round(self, name: str, only: str | None = None) -> int | None:
        """Defer one round of the job `name` (for the athlete `only`, else everyone); None when one is still waiting
        (the queueing lock held it back)."""
        from procrastinate.exceptions import AlreadyEnqueued

        lock = f"round:{name}" if only is None else f"round:{name}:{only}"
        try:
            return self.sync_app().configure_task(ROUND_TASK, lock=lock, queueing_lock=lock).defer(kind=name, only=only)
        except AlreadyEnqueued:
            log.debug("A round of %s is still waiting; not deferring another.", name)
            return None

    def defer_for(self, name: str, athlete: str) -> int | None:
        """Defer the job `name` for one athlete; None when one of theirs is still waiting."""
        from procrastinate.exceptions import AlreadyEnqueued

        task = self.sync_app().configure_task(
            TASK_PREFIX + name, lock=f"athlete:{athlete}", queueing_lock=f"{name}:{athlete}"
        )
        try:
            return task.defer(athlete=athlete)
        except AlreadyEnqueued:
            return None

    def defer_cleanup(self) -> int | None:
        """Defer the removal of finished tasks older than `KEEP_FAILED_HOURS`, failed ones too, so a clinic's failures
        do not pile up for ever; None while one waits."""
        from procrastinate.exceptions import AlreadyEnqueued

        task = self.sync_app().configure_task(CLEANUP_TASK, queueing_lock="cleanup")
        try:
            return task.defer()
        except AlreadyEnqueued:
            return None

    def athletes(self, only: str | None = None) -> list[Runtime]:
        """A runtime per athlete of the database (or the athlete `only`), on this process's engine."""
        if only is not None:
            return [Runtime.serving(self.settings, find_athlete(self.db, self.settings, only), self.db)]
        return [Runtime.serving(self.settings, info, self.db) for info in list_athletes(self.db, self.settings)]

    def run_round(self, name: str, only: str | None = None, now: datetime | None = None) -> list[int]:
        """The round of job `name`: one task deferred per athlete it is for; returns the new tasks' ids."""
        job = ATHLETE_JOBS[name]
        chosen = job.select(self.db, self.athletes(only), now or datetime.now(UTC))
        deferred = [self.defer_for(name, rt.athlete_name) for rt in chosen]
        ids = [i for i in deferred if i is not None]
        log.debug("The %s round deferred %d of %d task(s).", name, len(ids), len(chosen))
        return ids

    # ----------------------------------------------------------------------------------------------------------
    # The tasks themselves (run by a worker)

    def _round_task(self, kind: str, only: str | None = None) -> None:
        self.run_round(kind, only)

    def _athlete_task(self, job: AthleteJob) -> Any:
        def run(athlete: str) -> str:
            return self.run_for(job, athlete)

        run.__name__ = run.__qualname__ = f"athlete_{job.name}"
        return run

    def run_for(self, job: AthleteJob, athlete: str) -> str:
        """Run `job` for one athlete and record it in `job_runs`; a failure is recorded, logged and raised again,
        so the queue shows the task failed (and only that task)."""
        started = datetime.now(UTC)
        rt = Runtime.serving(self.settings, find_athlete(self.db, self.settings, athlete), self.db)
        key = job_key(job.name, rt.job_athlete)
        try:
            outcome = job.work(rt)
        except Exception as error:
            record_run(self.db, key, started, describe_error(error))
            log.error("The %s failed: %s", job_title(key), describe_error(error))
            raise
        record_run(self.db, key, started, result=outcome)
        log.log(logging.DEBUG if outcome in job.quiet else logging.INFO, "The %s finished: %s", job_title(key), outcome)
        return outcome

    # ----------------------------------------------------------------------------------------------------------
    # What `daemon status` shows

    def counts(self, failures: int = 10) -> QueueCounts | None:
        """Tasks waiting, running and failed, and the latest failures; None before the queue was ever used."""
        if not queue_schema_present(self.db):
            return None
        manager = self.sync_app().job_manager
        queues = list(manager.list_queues())
        failed = sorted(manager.list_jobs(status="failed"), key=lambda j: j.id or 0, reverse=True)
        latest = [
            {"id": j.id, "task": j.task_name, "athlete": j.task_kwargs.get("athlete"), "attempts": j.attempts}
            for j in failed[:failures]
        ]
        return QueueCounts(
            waiting=sum(q["todo"] for q in queues),
            running=sum(q["doing"] for q in queues),
            failed=sum(q["failed"] for q in queues),
            failures=latest,
        )


async def _cleanup_task(context: JobContext) -> None:
    """Procrastinate's own `JobManager.delete_old_jobs`, on the worker's app."""
    assert context.app is not None
    await context.app.job_manager.delete_old_jobs(
        nb_hours=KEEP_FAILED_HOURS, include_failed=True, include_cancelled=True, include_aborted=True
    )
