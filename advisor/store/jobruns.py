"""The daemon's memory of its jobs: last run, last success, last error per job, in the `job_runs` table.

Kept in the database rather than in the daemon's memory so `advisor daemon status` (another process) can show it,
and so it survives restarts. `run_recorded` is the one wrapper every scheduled job goes through: whatever a job
raises becomes `last_error` and a log line, never an exception into the scheduler, which must keep running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sqlalchemy import select

from advisor.store.db import Database
from advisor.store.models import JobRun

log = logging.getLogger(__name__)

JOB_TITLES: dict[str, str] = {
    "inbox": "inbox scan",
    "garmin_sync": "Garmin sync",
    "summary": "weekly summary",
    "outbox": "retry of unsent summaries",
    "report": "today's report refreshed",
    "notify": "notifications",
}
"""Every job name the daemon uses, with the words logs and `daemon status` use for it."""

MAX_ERROR_CHARS = 2000
ATHLETE_SEPARATOR = ":"


@dataclass(frozen=True)
class JobRunRecord:
    """What is remembered of one job: its last run, success and error (None: never)."""

    name: str
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    last_result: str | None


def _record(row: JobRun) -> JobRunRecord:
    return JobRunRecord(**{f.name: getattr(row, f.name) for f in fields(JobRunRecord)})


def job_key(job: str, athlete: str | None = None) -> str:
    """The `job_runs` name of a job run for one athlete: `inbox` for the default athlete, `inbox:ana` for another,
    so a single runner's `daemon status` reads as it always did."""
    return job if athlete is None else f"{job}{ATHLETE_SEPARATOR}{athlete}"


def job_title(key: str) -> str:
    job, _, athlete = key.partition(ATHLETE_SEPARATOR)
    title = JOB_TITLES.get(job, job)
    return f"{title} for {athlete}" if athlete else title


def _now() -> datetime:
    return datetime.now(UTC)


def record_run(
    db: Database,
    name: str,
    started: datetime,
    error: str | None = None,
    finished: datetime | None = None,
    result: str | None = None,
) -> JobRunRecord:
    """Store one finished run of `name`: success (with its outcome sentence) when `error` is None, else the error."""
    finished = finished or _now()
    with db.transaction() as session:
        row = session.get(JobRun, name)
        if row is None:
            row = JobRun(name=name)
            session.add(row)
        row.last_run_at = started
        if error is None:
            row.last_success_at = finished
            row.last_result = None if result is None else result[:MAX_ERROR_CHARS]
        else:
            row.last_error_at = finished
            row.last_error = error[:MAX_ERROR_CHARS]
        session.flush()
        return _record(row)


def list_job_runs(db: Database, athlete: str | None = None, *, every_athlete: bool = False) -> list[JobRunRecord]:
    """The recorded jobs of one athlete (None: the default one), or of everyone with `every_athlete`, by name."""
    with db.transaction() as session:
        rows = [_record(row) for row in session.scalars(select(JobRun).order_by(JobRun.name))]
    if every_athlete:
        return rows
    return [r for r in rows if (r.name.partition(ATHLETE_SEPARATOR)[2] or None) == athlete]


def describe_error(error: BaseException) -> str:
    """One line for `last_error`: the exception's own sentence, with its type when it has no message."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


def run_recorded(db: Database, name: str, job: Callable[[], str], quiet: Collection[str] = ()) -> str | None:
    """Run `job`, log its one-sentence outcome and record it; an exception is recorded and logged, not raised.

    Returns the outcome, or None when the job failed. A failure to write the record itself (database down) is
    logged too: the scheduler must survive a broken database and try again on the next tick. Outcomes listed in
    `quiet` ("nothing new") are logged at debug level only, so a ten-minute inbox scan does not fill the journal.
    """
    title = job_title(name)
    started = _now()
    error: str | None = None
    outcome: str | None = None
    try:
        outcome = job()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a job must never take the scheduler down, even with a native panic
        error = describe_error(exc)
        log.error("The %s failed: %s", title, error, exc_info=log.isEnabledFor(logging.DEBUG))
    else:
        log.log(logging.DEBUG if outcome in quiet else logging.INFO, "The %s finished: %s", title, outcome)
    try:
        record_run(db, name, started, error, result=outcome)
    except Exception as exc:
        log.error("Could not record the %s run in the database: %s", title, describe_error(exc))
    return outcome
