"""`advisor daemon [--once]`, `advisor daemon status`, `advisor daemon run JOB` and `advisor summary`.

Thin on purpose: scheduling lives in `jobs.daemon`, the summary in `advisor.services.summary`. This module turns
their outcomes into sentences and exit codes (0 fine, 1 something failed or another daemon runs, 2 usage/config).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from advisor.cli.common import EARLIEST_DATE, fail, open_runtime, runtime

if TYPE_CHECKING:
    from advisor.config import Settings
    from advisor.store.db import Database
    from jobs.queue import QueueCounts

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

DAEMON_EPILOG = (
    """Examples:

\b
  advisor daemon                      # runs until SIGTERM or Ctrl-C
  advisor daemon --once               # what is due, then exit (for cron)
  advisor daemon status
  advisor daemon run inbox
  advisor daemon --workers 0          # PostgreSQL: only defer; `advisor worker` processes do the work

On PostgreSQL the daemon defers each job's round to the job queue and runs --workers queue workers (default 1)
itself; `advisor worker` adds more, on any machine.

Exit codes: 0 ok (also after SIGTERM/SIGINT), 1 another daemon runs for this ADVISOR_HOME or a job failed (--once), """
    """2 configuration error."""
)

SUMMARY_EPILOG = (
    """Examples:

\b
  advisor summary --preview summary.html
  advisor summary --week 2026-W10 --preview w10.html
  advisor summary --send

Exit codes: 0 written or sent (or already sent: never twice), 1 the mail server did not take it """
    """(it stays in the outbox and is retried), 2 usage error or mail not set up."""
)

daemon_app = typer.Typer(
    help="Run the scheduler: inbox scans, Garmin sync, the weekly summary email, notifications.",
    epilog=DAEMON_EPILOG,
    invoke_without_command=True,
)
app.add_typer(daemon_app, name="daemon")

JOB_CHOICES = ("inbox", "garmin_sync", "summary", "outbox", "notify")


def uses_queue(database_url: str) -> bool:
    """PostgreSQL runs the jobs on the queue (`jobs.queue`); SQLite keeps the single daemon. Decided from the URL
    alone, so the single runner's commands never import the queue."""
    return database_url.startswith(("postgresql", "postgres://"))


def configure_logging(verbose: bool) -> None:
    """Sentences on standard error (journald adds its own timestamps, but a terminal or cron log needs them)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    # APScheduler's own lines repeat ours in less friendly words; keep its warnings and errors only.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # Procrastinate logs every task's start and end: thousands of lines a round in a clinic; `daemon status` and
    # `job_runs` keep the outcomes, so only its warnings and errors reach the journal.
    logging.getLogger("procrastinate").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # garminconnect logs a full traceback at ERROR for every failed call (a 429, an expired token); our sync already
    # says what happened in one sentence, so its lines only appear with --verbose.
    for library in ("garminconnect", "garmin_personal_api"):
        logging.getLogger(library).setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    # Apprise logs each failed send as a warning; the notification round keeps it as the reason (advisor.push reads
    # it on Apprise's own logger) and says it in one sentence of its own.
    logging.getLogger("apprise").propagate = verbose


@daemon_app.callback()
def daemon_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run whatever is due now and exit (for cron).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debugging detail too.")] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="PostgreSQL only: queue workers run inside the daemon (0: leave the work to `advisor worker`).",
        ),
    ] = 1,
) -> None:
    """Run until SIGTERM/SIGINT (then finish the job in hand and exit 0), or with --once run what is due and exit."""
    if ctx.invoked_subcommand is not None:
        return
    from advisor.config import ConfigError
    from advisor.errors import StoreError
    from jobs.daemon import run_daemon
    from jobs.lock import AlreadyRunning
    from jobs.roster import NobodyToServe

    only = ctx.obj.get("athlete") if isinstance(ctx.obj, dict) else None  # --athlete: serve them alone
    settings = runtime(ctx).config
    configure_logging(verbose)
    try:
        if uses_queue(settings.database_url):  # a clinic's database: the work goes through the job queue
            from jobs.queue_daemon import run_queue_daemon, run_queue_once

            if once:
                code = run_queue_once(settings, athlete=only or None)
            else:
                code = run_queue_daemon(settings, athlete=only or None, workers=workers)
        else:
            code = run_daemon(settings, once=once, athlete=only or None)
    except AlreadyRunning as error:
        pid = f" (pid {error.pid})" if error.pid is not None else ""
        fail(f"another advisor daemon is already running for {settings.home}{pid}; stop it first", 1)
    except NobodyToServe as error:
        fail(f"{error}; stop it first, or serve other athletes with --athlete NAME", 1)
    except (StoreError, ConfigError) as error:
        fail(str(error))
    raise typer.Exit(code)


def _when(moment: datetime | None, tz: object) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")  # type: ignore[arg-type]


@daemon_app.command("status")
def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Whether a daemon runs (its pid), each job's last run, success and error, the summary outbox, notifications
    waiting or given up, and on PostgreSQL the job queue's waiting, running and failed tasks."""
    from advisor.services.notify import notify_state
    from advisor.services.outbox import outbox_entries
    from advisor.store.jobruns import job_title, list_job_runs
    from jobs.daemon import plan
    from jobs.lock import read_lock_holder

    rt = open_runtime(ctx)
    settings = rt.settings
    tz = settings.tz
    pid = read_lock_holder(settings.home)
    layout = plan(settings)
    rows = list_job_runs(rt.db, rt.job_athlete)
    outbox = outbox_entries(rt)
    pending = [o for o in outbox if o.status != "sent"]
    sent = [o for o in outbox if o.status == "sent"]
    queue = _queue_counts(rt.settings, rt.db) if uses_queue(settings.database_url) else None
    notices = notify_state(rt)
    if as_json:
        document = {
            "home": str(settings.home),
            "daemon": {"running": pid is not None, "pid": pid},
            "jobs": [
                {
                    "name": r.name,
                    "last_run_at": r.last_run_at.isoformat() if r.last_run_at else None,
                    "last_success_at": r.last_success_at.isoformat() if r.last_success_at else None,
                    "last_error_at": r.last_error_at.isoformat() if r.last_error_at else None,
                    "last_error": r.last_error,
                    "last_result": r.last_result,
                }
                for r in rows
            ],
            "schedule": {
                "inbox": str(settings.inbox_path),
                "inbox_every_minutes": layout.inbox_every_minutes,
                "sync_every_hours": layout.sync_every_hours,
                "summary_off_reason": layout.summary_off_reason,
                "next_summary_at": layout.next_summary.isoformat() if layout.next_summary else None,
            },
            "outbox": {
                "pending": [
                    {"week": o.week, "status": o.status, "attempts": o.attempts, "last_error": o.last_error}
                    for o in pending
                ],
                "last_sent_week": sent[-1].week if sent else None,
            },
            "queue": None if queue is None else asdict(queue),
            "notifications": {
                "configured": notices.configured,
                "waiting": [asdict(e) | {"created_at": e.created_at.isoformat()} for e in notices.waiting],
                "given_up": [asdict(e) | {"created_at": e.created_at.isoformat()} for e in notices.given_up],
            },
        }
        typer.echo(json.dumps(document, indent=2))
        return

    if pid is not None:
        typer.echo(f"A daemon is running for {settings.home} (pid {pid}).")
    else:
        typer.echo(f"No daemon is running for {settings.home}.")
    if not rows:
        typer.echo("No job has run yet.")
    for r in rows:
        title = job_title(r.name)
        line = f"{r.name} ({title}): last run {_when(r.last_run_at, tz) or 'never'}"
        line += f", last success {_when(r.last_success_at, tz) or 'never'}"
        if r.last_result:
            line += f" ({r.last_result.rstrip('.')})"
        if r.last_error and r.last_error_at and (r.last_success_at is None or r.last_error_at >= r.last_success_at):
            line += f", failing since {_when(r.last_error_at, tz)}: {r.last_error}"
        elif r.last_error:
            line += f" (last error {_when(r.last_error_at, tz)}: {r.last_error})"
        typer.echo(line)
    if queue is not None:
        typer.echo(f"Job queue: {queue.waiting} waiting, {queue.running} running, {queue.failed} failed.")
        for f in queue.failures:
            who = f" for {f['athlete']}" if f["athlete"] else ""
            typer.echo(f"  failed: {f['task']}{who} (task {f['id']}); its error is in the job's last run above.")
    elif uses_queue(settings.database_url):
        typer.echo("Job queue: not used yet (`advisor daemon` or `advisor worker` creates it).")
    typer.echo(f"Inbox: {settings.inbox_path}, scanned every {layout.inbox_every_minutes:g} minutes.")
    if layout.sync_every_hours is None:
        typer.echo("Garmin sync: not set up.")
    else:
        typer.echo(f"Garmin sync: every {layout.sync_every_hours:g} hours.")
    if layout.summary_off_reason:
        typer.echo(f"Weekly summary: off — {layout.summary_off_reason}.")
    else:
        typer.echo(f"Weekly summary: next on {_when(layout.next_summary, tz)}.")
    if sent:
        typer.echo(f"Last summary sent: {sent[-1].week} on {_when(sent[-1].sent_at, tz)}.")
    for o in pending:
        if o.status == "uncertain":  # not waiting: it is sent again only when the runner asks
            from advisor.services.outbox import uncertain_outcome

            typer.echo(uncertain_outcome(o.week, o.last_error or "its sending was interrupted"))
            continue
        error = f", last error: {o.last_error}" if o.last_error else ""
        typer.echo(f"Waiting to be sent: the summary for {o.week} ({o.attempts} attempts{error}).")
    for line in notices.lines(tz):
        typer.echo(line)


def _queue_counts(settings: Settings, db: Database) -> QueueCounts | None:
    """The queue's tasks waiting, running and failed (None before the queue was first used)."""
    from jobs.queue import Queue

    queue = Queue(settings, db)
    try:
        return queue.counts()
    finally:
        queue.close()


@daemon_app.command("run")
def run_command(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="inbox, garmin_sync, summary, outbox or notify.")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debugging detail too.")] = False,
) -> None:
    """Run one job now, by hand, recorded like a scheduled run (exit 1 when it fails)."""
    from advisor.services.notify import notify_round
    from advisor.store.jobruns import job_key, run_recorded
    from jobs.daemon import outbox_job, summary_job
    from jobs.garmin import garmin_round
    from jobs.inbox import scan_inbox

    if job not in JOB_CHOICES:
        fail(f"unknown job {job!r}; choose one of {', '.join(JOB_CHOICES)}")
    rt = open_runtime(ctx)
    configure_logging(verbose)
    jobs = {
        "inbox": lambda: scan_inbox(rt),
        "garmin_sync": lambda: garmin_round(rt),
        "summary": lambda: summary_job(rt),
        "outbox": lambda: outbox_job(rt),
        "notify": lambda: notify_round(rt),
    }
    outcome = run_recorded(rt.db, job_key(job, rt.job_athlete), jobs[job])
    if outcome is None:
        raise typer.Exit(1)
    typer.echo(outcome)
    if job in ("outbox", "summary"):
        from advisor.services.outbox import pending_count

        if pending_count(rt):
            # for cron users: mail still waiting is a job not done
            typer.echo("Mail is still waiting in the outbox.", err=True)
            raise typer.Exit(1)


@app.command("summary", epilog=SUMMARY_EPILOG)
def summary_command(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option("--week", help="ISO week YYYY-Www; default the week that just ended.")
    ] = None,
    preview: Annotated[
        Path | None, typer.Option("--preview", help="Write the summary as a standalone HTML file for a browser.")
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Queue the summary and send it now.")] = False,
    again: Annotated[
        bool, typer.Option("--resend", help="With --send: send a week again (after an interrupted send).")
    ] = False,
) -> None:
    """The weekly summary email: --preview FILE.html to look at it, --send to mail it (once per week)."""
    from advisor.render.summary import render_summary, standalone_html
    from advisor.services.outbox import (
        mail_settings_problem,
        outbox_entry,
        queue_summary,
        send_pending,
        uncertain_outcome,
    )
    from advisor.services.summary import SummaryError, build_summary, parse_week

    if (preview is None) == (not send):
        fail("give either --preview FILE.html or --send")
    if week is not None:
        try:
            monday = parse_week(week)
        except SummaryError as error:
            fail(str(error))
        if monday < EARLIEST_DATE:  # its 12-week chart would leave the calendar
            fail(f"--week {week} is before {EARLIEST_DATE.isoformat()}; give a week from then on")
    rt = runtime(ctx)
    if send:
        problem = mail_settings_problem(rt.settings)
        if problem:
            fail(problem)
    rt = open_runtime(ctx)
    try:
        if preview is not None:
            rendered = build_summary(rt, render_summary, week)
            try:
                preview.write_text(standalone_html(rendered), encoding="utf-8")
            except OSError as error:
                fail(f"cannot write {preview}: {error.strerror}")
            typer.echo(f"Wrote the summary for {rendered.week} to {preview}.")
            return
        if again:
            from advisor.services.outbox import resend
            from advisor.services.summary import week_just_ended

            resend(rt, week or week_just_ended(rt.settings.today()))
        row = queue_summary(rt, render_summary, week)
        if row.status == "sent":
            sent_at = row.sent_at or datetime.now(UTC)
            when = sent_at.astimezone(rt.settings.tz).strftime("%Y-%m-%d %H:%M")
            typer.echo(f"The summary for {row.week} was already sent on {when}; it is never sent twice.")
            return
        outcomes = send_pending(rt)
    except SummaryError as error:
        fail(str(error))
    for line in outcomes:
        typer.echo(line)
    stored = outbox_entry(rt, row.week)
    status = stored.status if stored is not None else "sent"
    why = stored.last_error if stored is not None else None
    if status == "sending":
        typer.echo(f"Another process is sending the summary for {row.week} right now; it is sent once.")
        return
    if status == "uncertain":  # never retried on its own: only --resend sends it again
        if not any(row.week in line for line in outcomes):
            typer.echo(uncertain_outcome(row.week, why or "its sending was interrupted"))
        raise typer.Exit(1)
    if status != "sent":
        typer.echo("It stays in the outbox; the daemon (or the next --send) tries again.", err=True)
        raise typer.Exit(1)
