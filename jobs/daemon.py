"""The one place scheduling lives: which job runs when, for `advisor daemon` and `advisor daemon --once`.

The jobs themselves are plain functions a person can call by hand (`jobs.inbox.scan_inbox`, `jobs.garmin.garmin_round`,
`summary_job`, `outbox_job`); this module only decides *when*, and wraps every run in `run_recorded`, so an exception
becomes the job's `last_error` in the database and a log line, never the end of the scheduler.

Schedules (from `[schedule]`):
- inbox scan every `inbox_every_minutes`, first run at start;
- retry of unsent summaries on the same interval (a server that was down gets the mail as soon as it is back);
- Garmin sync every `sync_every_hours`, only when Garmin is set up;
- the weekly summary on `summary_weekday` at `summary_hour` in the runner's time zone (`jobs.schedule.summary_trigger`,
  so it stays at local time across DST changes), plus, at start, the most recent summary if it was missed while the
  daemon was not running (`missed_summary_due`, measured from the latest week in the outbox);
- notifications (`advisor.services.notify`) right after every inbox scan and Garmin sync, for the athletes who set
  them up, so a new run is nudged within one scan and a red flag or a phase change on the next scan.

With `serve.enabled` the web page (advisor.web) is served from a thread of the daemon as well, on `serve.host`
and `serve.port`, with the same password rules as `advisor serve`.

On PostgreSQL, `advisor daemon` runs `jobs.queue_daemon` instead (the work on the job queue, `advisor worker`).

One daemon per `ADVISOR_HOME` (`jobs.lock`). SIGTERM and SIGINT stop the scheduler after the jobs in hand finish;
the process then exits 0. `--once` takes the same lock, runs what is due and returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from advisor.bootstrap import Runtime
from advisor.config import Settings
from advisor.services.notify import NOT_SET_UP, NOTHING_TO_NOTIFY, notify_configured, notify_round
from advisor.services.outbox import last_queued_week, mail_settings_problem, pending_count, queue_summary, send_pending
from advisor.services.summary import parse_week, week_just_ended
from advisor.store.jobruns import job_key, list_job_runs, run_recorded
from jobs.garmin import garmin_configured, garmin_round
from jobs.inbox import NOTHING_NEW, scan_inbox
from jobs.lock import acquire_daemon_lock
from jobs.process import StopSignals, start_web
from jobs.roster import Roster
from jobs.schedule import interval_trigger, missed_summary_due, next_summary_time, summary_trigger

__all__ = [
    "JOB_INBOX",
    "JOB_NOTIFY",
    "JOB_OUTBOX",
    "JOB_SUMMARY",
    "JOB_SYNC",
    "DaemonPlan",
    "due_summary_week",
    "due_week_after",
    "notify_now",
    "outbox_job",
    "plan",
    "run_daemon",
    "run_once",
    "summary_job",
]

log = logging.getLogger(__name__)

JOB_INBOX = "inbox"
JOB_SYNC = "garmin_sync"
JOB_SUMMARY = "summary"
JOB_OUTBOX = "outbox"
JOB_NOTIFY = "notify"
NOTHING_PENDING = "No summary is waiting to be sent."
QUIET = (NOTHING_NEW, NOTHING_PENDING, NOTHING_TO_NOTIFY, NOT_SET_UP)
"""Outcomes of the frequent jobs that mean "nothing happened": logged at debug level only."""


# --------------------------------------------------------------------------------------------------------------
# The jobs that are not already plain functions elsewhere


def summary_job(rt: Runtime, week: str | None = None) -> str:
    """Queue the summary of `week` (default: the week just ended) and send what is pending; one sentence.

    Without mail settings this is a no-op that says so: the runner may simply not want email.
    """
    problem = mail_settings_problem(rt.settings)
    if problem:
        return f"Skipped the weekly summary: {problem}."
    from advisor.render.summary import render_summary

    row = queue_summary(rt, render_summary, week)
    outcomes = send_pending(rt)
    if not outcomes and row.status == "sent":
        return f"The summary for {row.week} was already sent; nothing to do."
    return " ".join(outcomes) or f"The summary for {row.week} is queued."


def outbox_job(rt: Runtime) -> str:
    """Retry summaries that could not be sent yet (server down, wrong password since fixed)."""
    if pending_count(rt) == 0:
        return NOTHING_PENDING
    return " ".join(send_pending(rt))


def notify_now(rt: Runtime, now: datetime | None = None) -> str | None:
    """One notification round for the athlete, recorded as their `notify` job, when they set notifications up (else
    nothing is run or recorded); run right after each inbox scan and Garmin sync. Never raises (`run_recorded`)."""
    if not notify_configured(rt):
        return None
    return _record(rt, JOB_NOTIFY, lambda: notify_round(rt, now), QUIET)


# --------------------------------------------------------------------------------------------------------------
# Summary dates


def _summary_slot_for_week(week: str, settings: Settings) -> datetime:
    """The scheduled time whose summary covers `week`: the first summary time from its Sunday on (local time).

    The inverse of `week_just_ended`: a Sunday slot covers its own week, any other weekday the week before.
    """
    sunday = parse_week(week) + timedelta(days=6)
    end_local = datetime.combine(sunday, datetime.min.time(), settings.tz)
    s = settings.schedule
    return next_summary_time(
        end_local - timedelta(seconds=1), s.summary_weekday, s.summary_hour, settings.profile.timezone
    )


def due_summary_week(rt: Runtime, now: datetime | None = None) -> str | None:
    """The week whose summary is due now and not yet in the outbox, or None (see `missed_summary_due`)."""
    return due_week_after(rt.settings, last_queued_week(rt), now or datetime.now(UTC))


def due_week_after(settings: Settings, last: str | None, now: datetime) -> str | None:
    """`due_summary_week` for an outbox whose latest week is `last` (the queue's round reads every outbox at once)."""
    s = settings.schedule
    last_sent_for = _summary_slot_for_week(last, settings) if last else None
    due = missed_summary_due(last_sent_for, now, s.summary_weekday, s.summary_hour, settings.profile.timezone)
    if due is None:
        return None
    week = week_just_ended(due.astimezone(settings.tz).date())
    return None if last is not None and week <= last else week


# --------------------------------------------------------------------------------------------------------------
# What runs


@dataclass(frozen=True)
class DaemonPlan:
    """What this configuration schedules, for the start-up log line and `daemon status`."""

    inbox_every_minutes: float
    sync_every_hours: float | None
    """None when Garmin is not set up."""
    summary_off_reason: str | None
    """None when the weekly summary is sent; else why not (missing mail settings)."""
    next_summary: datetime | None


def plan(settings: Settings, now: datetime | None = None) -> DaemonPlan:
    s = settings.schedule
    now = now or datetime.now(UTC)
    off = mail_settings_problem(settings)
    return DaemonPlan(
        inbox_every_minutes=s.inbox_every_minutes,
        sync_every_hours=s.sync_every_hours if garmin_configured(settings) else None,
        summary_off_reason=off,
        next_summary=None
        if off
        else next_summary_time(now, s.summary_weekday, s.summary_hour, settings.profile.timezone),
    )


def _sync_due(rt: Runtime, now: datetime) -> bool:
    for row in list_job_runs(rt.db, rt.job_athlete):
        if row.name == job_key(JOB_SYNC, rt.job_athlete) and row.last_run_at is not None:
            return now - row.last_run_at >= timedelta(hours=rt.settings.schedule.sync_every_hours)
    return True


def _record(rt: Runtime, job: str, work: Callable[[], str], quiet: tuple[str, ...] = ()) -> str | None:
    return run_recorded(rt.db, job_key(job, rt.job_athlete), work, quiet=quiet)


def _for_each(
    roster: Roster,
    job: str,
    work: Callable[[Runtime], str],
    when: Callable[[Runtime], bool] = lambda rt: True,
    notify: bool = False,
) -> Callable[[], None]:
    """A scheduled job that does `work` for every athlete of the roster (those `when` accepts), one after another,
    each recorded under its own name: one athlete's failure is theirs alone. With `notify`, each athlete's
    notification round follows their run of it, so a run it imported is nudged within the same scan."""

    def run() -> None:
        for rt in roster:
            if when(rt):
                _record(rt, job, partial(work, rt), QUIET)
                if notify:
                    notify_now(rt)

    return run


def _once_for(rt: Runtime, now: datetime) -> list[str | None]:
    """What `--once` runs for one athlete (see `run_once`)."""
    results = [_record(rt, JOB_INBOX, lambda: scan_inbox(rt))]
    if garmin_configured(rt.settings) and _sync_due(rt, now):
        results.append(_record(rt, JOB_SYNC, lambda: garmin_round(rt)))
    if notify_configured(rt):
        results.append(_record(rt, JOB_NOTIFY, lambda: notify_round(rt, now)))
    if mail_settings_problem(rt.settings) is None:
        week = due_summary_week(rt, now)
        if week is not None:
            results.append(_record(rt, JOB_SUMMARY, lambda: summary_job(rt, week)))
        else:
            results.append(_record(rt, JOB_OUTBOX, lambda: outbox_job(rt)))
    return results


def run_once(settings: Settings, now: datetime | None = None, athlete: str | None = None) -> int:
    """Run whatever is due once for every athlete served (or only `athlete`); 0 when every job succeeded, else 1.

    Due means: the inbox always; Garmin when set up and its interval has passed since the last sync; notifications
    when set up; the weekly summary when its latest slot has passed and that week is not in the outbox yet; unsent
    summaries always.
    Raises `jobs.lock.AlreadyRunning` when a daemon holds this home's lock, and `jobs.roster.NobodyToServe` when
    other daemons serve every athlete.
    """
    now = now or datetime.now(UTC)
    results: list[str | None] = []
    with acquire_daemon_lock(settings.home, athlete):
        main = Runtime(settings)
        roster = Roster(settings, main.db, athlete)
        try:
            roster.start()
            for rt in roster:
                # (--once logs every outcome, quiet ones included: cron users read it once per run.)
                results.extend(_once_for(rt, now))
        finally:
            roster.release()
            main.close()
    return 1 if any(r is None for r in results) else 0


def run_daemon(settings: Settings, once: bool = False, athlete: str | None = None) -> int:
    """Run the scheduler until SIGTERM or SIGINT, then finish the jobs in hand and return 0.

    Serves every athlete in the database that no other daemon serves (or only `athlete`). Raises
    `jobs.lock.AlreadyRunning` (naming the other daemon's pid) when one already runs on this home, and
    `jobs.roster.NobodyToServe` when other daemons serve every athlete.
    """
    if once:
        return run_once(settings, athlete=athlete)

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    # Handlers first: from the moment the lock shows our pid, a SIGTERM must mean "stop cleanly".
    signals = StopSignals("the job in hand").install()
    try:
        lock = acquire_daemon_lock(settings.home, athlete)
    except BaseException:
        signals.restore()
        raise
    main = Runtime(settings)
    roster: Roster | None = None
    try:
        roster = Roster(settings, main.db, athlete)  # opens and migrates the database now: a bad URL ends the start
        roster.start()
        s = settings.schedule
        layout = plan(settings)

        # One worker per job kind: a long Garmin sync never delays an inbox scan, and each job has
        # max_instances=1 so a slow run is never overlapped by its next tick.
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        now = datetime.now(UTC)

        def add_summary_jobs(rt: Runtime) -> None:
            """The weekly summary at the athlete's own local time, and a catch-up if one was missed."""
            if mail_settings_problem(rt.settings) is not None:
                return
            who = rt.job_athlete
            tz = rt.settings.profile.timezone
            scheduler.add_job(
                lambda: _record(rt, JOB_SUMMARY, lambda: summary_job(rt), QUIET),
                summary_trigger(s.summary_weekday, s.summary_hour, tz),
                id=job_key(JOB_SUMMARY, who),
                name=f"weekly summary{f' for {who}' if who else ''}",
                misfire_grace_time=None,  # after a suspend, late is better than never; the outbox keeps it to once
            )
            missed = due_summary_week(rt, now)
            if missed is not None:
                log.info("The summary for %s was not sent while the daemon was not running; sending it now.", missed)
                scheduler.add_job(
                    lambda: _record(rt, JOB_SUMMARY, lambda: summary_job(rt, missed), QUIET),
                    id=job_key("summary_catch_up", who),
                    name="missed weekly summary",
                    next_run_time=now,
                )

        def scan_every_inbox() -> None:
            assert roster is not None
            try:
                for rt in roster.refresh():  # athletes added since the last scan
                    log.info("Now serving the athlete %s as well.", rt.athlete_name)
                    add_summary_jobs(rt)
            except Exception as error:  # the database is down: scan for the athletes already served
                log.error("Could not look for new athletes: %s", error)
            _for_each(roster, JOB_INBOX, scan_inbox, notify=True)()

        every = interval_trigger(minutes=s.inbox_every_minutes)
        scheduler.add_job(scan_every_inbox, every, id=JOB_INBOX, name="inbox scan", next_run_time=now)
        if layout.sync_every_hours is not None or any(garmin_configured(rt.settings) for rt in roster):
            jitter = int(min(300.0, s.sync_every_hours * 360))
            scheduler.add_job(
                _for_each(roster, JOB_SYNC, garmin_round, lambda rt: garmin_configured(rt.settings), notify=True),
                interval_trigger(hours=s.sync_every_hours, jitter=jitter),
                id=JOB_SYNC,
                name="Garmin sync",
                next_run_time=now,
            )
        scheduler.add_job(
            _for_each(roster, JOB_OUTBOX, outbox_job, lambda rt: mail_settings_problem(rt.settings) is None),
            interval_trigger(minutes=s.inbox_every_minutes),
            id=JOB_OUTBOX,
            name="retry of unsent summaries",
        )
        for rt in roster:
            add_summary_jobs(rt)

        def on_event(event: JobExecutionEvent) -> None:
            if event.code == EVENT_JOB_MISSED:
                log.warning(
                    "The job %s missed its run at %s (the machine was busy or asleep).",
                    event.job_id,
                    event.scheduled_run_time,
                )
            elif event.exception is not None:  # run_recorded catches everything; this is a last resort
                log.error("The job %s raised %s.", event.job_id, type(event.exception).__name__)

        scheduler.add_listener(on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)

        web = start_web(settings)
        scheduler.start()
        _log_start(settings, lock.pid, layout, roster)
        while not signals.stop.wait(timeout=60):
            pass
        log.info("Waiting for running jobs to finish.")
        scheduler.shutdown(wait=True)
        if web is not None:
            web.stop()
        log.info("The advisor daemon stopped.")
        return 0
    finally:
        signals.restore()
        if roster is not None:
            roster.release()
        main.close()
        lock.release()


def _log_start(settings: Settings, pid: int, layout: DaemonPlan, roster: Roster) -> None:
    log.info("The advisor daemon started (pid %d) for %s.", pid, settings.home)
    names = sorted(rt.athlete_name for rt in roster)
    if names != [settings.profile.name]:
        log.info("It serves the athletes %s.", ", ".join(names))
    if roster.elsewhere:
        log.info("Another daemon serves %s.", ", ".join(sorted(roster.elsewhere)))
    log.info("It scans the inbox %s every %g minutes.", settings.inbox_path, layout.inbox_every_minutes)
    if layout.sync_every_hours is None:
        log.info("Garmin sync is not set up, so it is not scheduled (run `advisor garmin login` to set it up).")
    else:
        log.info("It syncs Garmin every %g hours.", layout.sync_every_hours)
    if layout.summary_off_reason is not None:
        log.info("No weekly summary email: %s.", layout.summary_off_reason)
    elif layout.next_summary is not None:
        local = layout.next_summary.astimezone(settings.tz)
        log.info(
            "The next weekly summary goes out %s (%s).",
            local.strftime("%A %d %B %Y at %H:%M"),
            settings.profile.timezone,
        )
