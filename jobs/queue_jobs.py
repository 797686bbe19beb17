"""What the job queue runs for each athlete: one registered function per job, and which athletes a round gives it.

On PostgreSQL every job of every athlete is one task of the queue (`jobs.queue`): a round (deferred on the job's
schedule by `advisor daemon`) picks the athletes the job is for and defers one task per athlete, locked per athlete,
so a clinic's work spreads over every `advisor worker` there is. Adding a job is one decorated function here:

    @athlete_job("refresh", every=lambda s: timedelta(minutes=s.schedule.inbox_every_minutes))
    def refresh(rt: Runtime) -> str:
        ...

`work` returns the one sentence the job's record (`job_runs`, `daemon status`) keeps, and raises when the job
failed; `select` narrows a round to the athletes the job has something to do for (default: everyone). The functions
are the same ones the single runner's daemon schedules with APScheduler (`jobs.daemon`): the queue changes who runs
a job and when, never what it does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from advisor.bootstrap import Runtime
from advisor.config import Settings
from advisor.services.current import report_for, report_key
from advisor.services.garmin_state import SOURCE as GARMIN_SOURCE
from advisor.services.notify import notify_configured, notify_round
from advisor.services.outbox import mail_settings_problem
from advisor.store.db import Database
from advisor.store.jobruns import job_key, list_job_runs
from advisor.store.queue_state import outbox_weeks
from advisor.store.stored_reports import read_team
from jobs.daemon import (
    JOB_INBOX,
    JOB_NOTIFY,
    JOB_SUMMARY,
    JOB_SYNC,
    QUIET,
    due_summary_week,
    due_week_after,
    notify_now,
    outbox_job,
    summary_job,
)
from jobs.garmin import garmin_configured, garmin_round
from jobs.inbox import NOTHING_NEW, scan_inbox

__all__ = ["ATHLETE_JOBS", "AthleteJob", "athlete_job", "everyone"]

Work = Callable[[Runtime], str]
Select = Callable[[Database, list[Runtime], datetime], list[Runtime]]


def everyone(_db: Database, athletes: list[Runtime], _now: datetime) -> list[Runtime]:
    """The default selection: the round defers the job for every athlete."""
    return athletes


@dataclass(frozen=True)
class AthleteJob:
    """One job the queue runs per athlete."""

    name: str
    """The `job_runs` name (`inbox`, `summary:ana`) and the queue's task name (`advisor.inbox`)."""
    work: Work
    every: Callable[[Settings], timedelta]
    """How often the daemon defers its round, from the settings."""
    select: Select = everyone
    quiet: tuple[str, ...] = QUIET
    """Outcomes that mean "nothing happened": logged at debug level only."""


ATHLETE_JOBS: dict[str, AthleteJob] = {}
"""Every job the queue knows, by name; a worker registers one task for each."""


def athlete_job(
    name: str, *, every: Callable[[Settings], timedelta], select: Select = everyone
) -> Callable[[Work], Work]:
    """Register `work` as the per-athlete job `name` (see the module docstring); returns it unchanged."""

    def register(work: Work) -> Work:
        if name in ATHLETE_JOBS:
            raise ValueError(f"the job {name!r} is registered twice")
        ATHLETE_JOBS[name] = AthleteJob(name, work, every, select)
        return work

    return register


def _inbox_interval(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.schedule.inbox_every_minutes)


def _sync_interval(settings: Settings) -> timedelta:
    return timedelta(hours=settings.schedule.sync_every_hours)


def _garmin_due(db: Database, athletes: list[Runtime], now: datetime) -> list[Runtime]:
    """Athletes with Garmin set up whose last sync is an interval old (or who never synced): `--once` from cron
    every ten minutes must not call Garmin every ten minutes. A tenth of the interval is forgiven, so the daemon's
    round, due exactly one interval after the last, never finds the last sync a few seconds too recent."""
    last_runs = {r.name: r.last_run_at for r in list_job_runs(db, every_athlete=True)}
    due = []
    for rt in athletes:
        last = last_runs.get(job_key(JOB_SYNC, rt.job_athlete))
        if garmin_configured(rt.settings) and (last is None or now - last >= _sync_interval(rt.settings) * 0.9):
            due.append(rt)
    return due


def _summary_wanted(db: Database, athletes: list[Runtime], now: datetime) -> list[Runtime]:
    """Athletes with mail set up whose weekly summary is due (its local slot passed, its week not queued) or who
    have mail waiting to be retried: everyone's outbox in one query, not two queries per athlete every round."""
    outboxes = outbox_weeks(db)
    wanted = []
    for rt in athletes:
        if mail_settings_problem(rt.settings) is not None:
            continue
        outbox = outboxes.get(rt.athlete_id)
        last, pending = (outbox.last_week, outbox.pending) if outbox else (None, 0)
        if pending or due_week_after(rt.settings, last, now) is not None:
            wanted.append(rt)
    return wanted


@athlete_job(JOB_INBOX, every=_inbox_interval)
def inbox(rt: Runtime) -> str:
    """Import what was dropped into this athlete's inbox folder; when something came in, the notification round
    follows in the same task, so a new run is nudged within this scan."""
    outcome = scan_inbox(rt)
    if outcome != NOTHING_NEW:
        notify_now(rt)
    return outcome


@athlete_job(JOB_SYNC, every=_sync_interval, select=_garmin_due)
def garmin_sync(rt: Runtime) -> str:
    """One Garmin sync round for this athlete (raises when it stopped early, so the task shows as failed), then its
    notification round (a run it brought is nudged at once)."""
    try:
        return garmin_round(rt)
    finally:
        notify_now(rt)


def _notify_wanted(_db: Database, athletes: list[Runtime], _now: datetime) -> list[Runtime]:
    """Athletes who set notifications up (a file of URLs, or the default athlete's environment)."""
    return [rt for rt in athletes if notify_configured(rt)]


@athlete_job(JOB_NOTIFY, every=_inbox_interval, select=_notify_wanted)
def notify(rt: Runtime) -> str:
    """Tell the athlete's phone what is new (a pain entry logged on the phone, a morning, a change of phase) and
    retry what failed; each event once, whichever worker runs it (`advisor.services.notify`)."""
    return notify_round(rt)


@athlete_job(JOB_SUMMARY, every=_inbox_interval, select=_summary_wanted)
def summary(rt: Runtime) -> str:
    """Queue the due weekly summary in the outbox, then send what waits. The outbox's claim (a conditional UPDATE)
    decides who sends, so a task retried after its worker died never sends a week twice."""
    week = due_summary_week(rt)
    return summary_job(rt, week) if week is not None else outbox_job(rt)


def _report_stale(db: Database, athletes: list[Runtime], now: datetime) -> list[Runtime]:
    """Athletes whose stored report is not current for their today (data written since, a new local day, other
    settings): every athlete's stored report row in one query."""
    stored = {row.athlete.id: row.stored for row in read_team(db, GARMIN_SOURCE)}
    stale = []
    for rt in athletes:
        row = stored.get(rt.athlete_id)
        if row is None or not row.current_for(report_key(rt.settings, now.astimezone(rt.settings.tz).date())):
            stale.append(rt)
    return stale


@athlete_job("report", every=_inbox_interval, select=_report_stale)
def report(rt: Runtime) -> str:
    """Assess and keep this athlete's report for their today, so the first page, `status` or coach's list after new
    data or a new day reads it instead of computing it (advisor.services.current)."""
    today = rt.settings.today()
    report_for(rt.db, rt.athlete_id, rt.settings, today, today)
    return f"report for {today.isoformat()} kept"
