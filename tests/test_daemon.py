"""The daemon: a real `advisor daemon` process on a temporary home, `--once`, the lock, job records, catch-up.

The process test is the one that proves the pieces fit: a FIT file dropped into the inbox shows up in the database
while the daemon runs, a second daemon is refused with the first one's pid, and SIGTERM ends it with exit 0.
Schedule arithmetic (DST) is tested on the triggers in tests/test_schedule.py and here on the catch-up rule, never
by sleeping until a summary would fire.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

import pytest
from fitgen import track_from_segments, write_activity
from smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME, SmtpTestServer, make_self_signed_cert
from sqlalchemy import func, select
from typer.testing import CliRunner

from advisor.bootstrap import Runtime
from advisor.cli import cli_app
from advisor.config import load_settings
from advisor.render.summary import render_summary
from advisor.services.outbox import queue_summary
from advisor.store.db import default_athlete_id, open_database
from advisor.store.jobruns import list_job_runs, run_recorded
from advisor.store.models import Activity, JobRun, OutboxMail
from jobs.daemon import due_summary_week
from jobs.lock import acquire_daemon_lock, read_lock_holder

PROCESS_TIMEOUT_S = 30.0


def fit_bytes(day: int = 3) -> bytes:
    points = track_from_segments([(3000.0, 0.0)], speed=3.0, interval_s=10.0)
    return write_activity(None, points, start=datetime(2025, 3, day, 7, tzinfo=UTC))


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def count_activities(url: str) -> int:
    db = open_database(url)
    try:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(Activity)) or 0
    finally:
        db.dispose()


def committed_runs(database: Path) -> int:
    """The runs committed to a SQLite file, read on a read-only connection of its own (never waits for a writer)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM activities").fetchone()[0]
    finally:
        connection.close()


@pytest.fixture
def daemon_env(isolated_home: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a daemon subprocess: a temporary home and an inbox scanned every 1.2 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env |= {
        "ADVISOR_HOME": str(isolated_home),
        "ADVISOR_SCHEDULE__INBOX_EVERY_MINUTES": "0.02",
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "PYTHONUNBUFFERED": "1",
    }
    return env


def advisor_here(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """`advisor ARGS` run in this process with the daemon's environment: for commands that only read (`daemon
    status`), where starting another interpreter costs a second and proves nothing more."""
    result = CliRunner().invoke(cli_app(), list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture
def start_daemon(daemon_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `advisor daemon [OPTIONS]` with its output in `daemon-N.log`; returns once it logged that it started."""
    started: list[subprocess.Popen[str]] = []
    logs: list[IO[str]] = []

    def start(*options: str) -> subprocess.Popen[str]:
        log = (tmp_path / f"daemon-{len(started)}.log").open("w")
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "advisor", "daemon", *options],
            env=daemon_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(proc)
        home = Path(daemon_env["ADVISOR_HOME"])
        log_path = tmp_path / f"daemon-{len(started) - 1}.log"
        # Started means: lock held and database migrated (the log line comes after both), so the test may open it.
        wait_for(
            lambda: "The advisor daemon started" in log_path.read_text() or proc.poll() is not None,
            PROCESS_TIMEOUT_S,
            "the daemon to start",
        )
        assert proc.poll() is None, log_path.read_text()
        assert read_lock_holder(home) == proc.pid
        return proc

    yield start
    for proc in started:  # only the processes this test started, by their own handle
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    for log in logs:
        log.close()


def test_real_daemon_imports_a_dropped_file_refuses_a_second_and_stops_on_sigterm(
    start_daemon: Callable[..., subprocess.Popen[str]], daemon_env: dict[str, str], isolated_home: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{isolated_home / 'advisor.db'}"
    proc = start_daemon()
    inbox = isolated_home / "inbox"
    wait_for(inbox.is_dir, PROCESS_TIMEOUT_S, "the first inbox scan to create the inbox")

    # Arrive the way a sync tool delivers: written elsewhere, then renamed into the inbox, keeping the time it was
    # recorded (rsync -t, Syncthing). A fresh mtime would only add the settle wait, tested in test_inbox.py.
    staging = tmp_path / "run.fit.part"
    staging.write_bytes(fit_bytes())
    recorded = time.time() - 3600
    os.utime(staging, (recorded, recorded))
    os.replace(staging, inbox / "morning-run.fit")
    wait_for(lambda: count_activities(url) == 1, PROCESS_TIMEOUT_S, "the dropped run to appear in the database")
    wait_for((inbox / "processed" / "morning-run.fit").exists, PROCESS_TIMEOUT_S, "the file to be filed away")

    # A second daemon is a real process of its own (the lock is an flock between processes); `status` only reads,
    # so it runs here while the second daemon starts.
    second = subprocess.Popen(
        [sys.executable, "-m", "advisor", "daemon"],
        env=daemon_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        code, shown = advisor_here("daemon", "status", env=daemon_env)
        assert code == 0, shown
        assert f"A daemon is running for {isolated_home} (pid {proc.pid})." in shown
        assert "inbox (inbox scan): last run" in shown
        _, refused = second.communicate(timeout=PROCESS_TIMEOUT_S)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(10)
    assert second.returncode == 1
    assert f"pid {proc.pid}" in refused and "already running" in refused

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(PROCESS_TIMEOUT_S) == 0
    log = (tmp_path / "daemon-0.log").read_text()
    assert "The advisor daemon started" in log and "The advisor daemon stopped." in log
    assert "Traceback" not in log
    assert read_lock_holder(isolated_home) is None
    assert "No daemon is running" in advisor_here("daemon", "status", env=daemon_env)[1]


def test_a_failing_job_never_stops_the_daemon(
    start_daemon: Callable[..., subprocess.Popen[str]],
    daemon_env: dict[str, str],
    isolated_home: Path,
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("the inbox cannot be created below a file")
    daemon_env["ADVISOR_INBOX__PATH"] = str(blocker / "inbox")
    proc = start_daemon()
    url = f"sqlite:///{isolated_home / 'advisor.db'}"

    def inbox_failed_twice() -> bool:
        db = open_database(url)
        try:
            with db.transaction() as session:
                row = session.get(JobRun, "inbox")
                return row is not None and row.last_error is not None and row.last_run_at != row.last_error_at
        finally:
            db.dispose()

    wait_for(inbox_failed_twice, PROCESS_TIMEOUT_S, "the inbox job to fail and be scheduled again")
    assert proc.poll() is None
    _, shown = advisor_here("daemon", "status", env=daemon_env)
    assert "inbox (inbox scan): last run" in shown and "failing since" in shown
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(PROCESS_TIMEOUT_S) == 0
    assert "The inbox scan failed:" in (tmp_path / "daemon-0.log").read_text()


def test_sigint_stops_the_daemon_with_exit_0(start_daemon: Callable[..., subprocess.Popen[str]]) -> None:
    proc = start_daemon()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(PROCESS_TIMEOUT_S) == 0


def test_once_processes_the_inbox_and_exits_0(cli, isolated_home: Path, database_url: str) -> None:
    inbox = isolated_home / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "run.fit").write_bytes(fit_bytes())
    old = time.time() - 60
    os.utime(inbox / "run.fit", (old, old))

    result = cli("daemon", "--once")
    assert result.exit_code == 0, result.stderr
    assert count_activities(database_url) == 1
    assert (inbox / "processed" / "run.fit").exists()
    assert read_lock_holder(isolated_home) is None  # released on exit

    status = cli("daemon", "status")
    assert status.exit_code == 0
    assert "No daemon is running" in status.stdout
    assert "inbox (inbox scan): last run" in status.stdout and "last success" in status.stdout
    assert "Garmin sync: not set up." in status.stdout
    assert "Weekly summary: off" in status.stdout

    document = json.loads(cli("daemon", "status", "--json").stdout)
    assert document["daemon"] == {"running": False, "pid": None}
    # on PostgreSQL the queue also refreshed the stored report the import made stale
    refreshed = [] if database_url.startswith("sqlite") else ["report"]
    assert [job["name"] for job in document["jobs"]] == ["inbox", *refreshed]
    assert document["jobs"][0]["last_error"] is None
    assert document["jobs"][0]["last_result"] == "1 file imported from the inbox, 1 new activity."


def test_once_is_refused_while_a_daemon_holds_the_lock(cli, isolated_home: Path) -> None:
    with acquire_daemon_lock(isolated_home):
        result = cli("daemon", "--once")
        assert result.exit_code == 1
        assert f"(pid {os.getpid()})" in result.stderr
        assert "running" in cli("daemon", "status").stdout


def test_once_sends_a_missed_summary_exactly_once(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cert = make_self_signed_cert(tmp_path / "tls")
    with SmtpTestServer("starttls", cert=cert) as server:
        for key, value in {
            "ADVISOR_SMTP__HOST": server.host,
            "ADVISOR_SMTP__PORT": str(server.port),
            "ADVISOR_SMTP__USERNAME": DEFAULT_USERNAME,
            "ADVISOR_SMTP__PASSWORD": DEFAULT_PASSWORD,
            "ADVISOR_PROFILE__EMAIL": "runner@example.com",
            "SSL_CERT_FILE": str(cert.cert),
        }.items():
            monkeypatch.setenv(key, value)
        assert cli("daemon", "--once").exit_code == 0
        assert len(server.messages) == 1  # a fresh install gets its first summary at once
        assert cli("daemon", "--once").exit_code == 0
        assert len(server.messages) == 1  # and never the same week again
        assert "Sent the summary for" in caplog.text
        assert DEFAULT_PASSWORD not in caplog.text  # never a secret in the logs

        status = cli("daemon", "status")
        assert "summary (weekly summary): last run" in status.stdout
        assert "Last summary sent: " in status.stdout


def test_a_failing_job_becomes_last_error_not_a_crash(isolated_home: Path) -> None:
    rt = Runtime(load_settings())

    def broken() -> str:
        raise ConnectionError("Garmin Connect did not answer")

    assert run_recorded(rt.db, "garmin_sync", broken) is None
    assert run_recorded(rt.db, "inbox", lambda: "fine") == "fine"
    rows = {r.name: r for r in list_job_runs(rt.db)}
    failed = rows["garmin_sync"]
    assert failed.last_error == "Garmin Connect did not answer"
    assert failed.last_run_at is not None and failed.last_error_at is not None and failed.last_success_at is None
    assert rows["inbox"].last_success_at is not None and rows["inbox"].last_error is None

    # A later success keeps the error for the record but moves last_success past it.
    assert run_recorded(rt.db, "garmin_sync", lambda: "3 new activities") == "3 new activities"
    with rt.db.transaction() as session:
        row = session.get(JobRun, "garmin_sync")
        assert row is not None and row.last_success_at is not None and row.last_error_at is not None
        assert row.last_success_at >= row.last_error_at
    rt.close()


def test_missed_summary_week_follows_the_outbox_across_dst(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("ADVISOR_PROFILE__EMAIL", "runner@example.com")
    monkeypatch.setenv("ADVISOR_SMTP__HOST", "127.0.0.1")
    rt = Runtime(load_settings())
    # Monday 30 March 2026 07:00 CEST (05:00 UTC), the day after the spring change: not yet due at 04:59 UTC.
    assert due_summary_week(rt, datetime(2026, 3, 30, 4, 59, tzinfo=UTC)) == "2026-W12"
    assert due_summary_week(rt, datetime(2026, 3, 30, 5, 0, tzinfo=UTC)) == "2026-W13"
    queue_summary(rt, render_summary, "2026-W13", today=date(2026, 3, 31))
    assert due_summary_week(rt, datetime(2026, 3, 31, 12, tzinfo=UTC)) is None
    # A week later it is due again, at 07:00 local; after a holiday only the latest week is due.
    assert due_summary_week(rt, datetime(2026, 4, 6, 4, 59, tzinfo=UTC)) is None
    assert due_summary_week(rt, datetime(2026, 4, 6, 5, 0, tzinfo=UTC)) == "2026-W14"
    assert due_summary_week(rt, datetime(2026, 4, 28, 9, 0, tzinfo=UTC)) == "2026-W17"
    with rt.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 1
    rt.close()


def test_a_sunday_evening_summary_covers_the_week_ending_that_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("ADVISOR_SCHEDULE__SUMMARY_WEEKDAY", "sun")
    monkeypatch.setenv("ADVISOR_SCHEDULE__SUMMARY_HOUR", "20")
    rt = Runtime(load_settings())
    # Sunday 29 March 2026 is the spring change: 20:00 CEST is 18:00 UTC (a week earlier it was 19:00 UTC).
    assert due_summary_week(rt, datetime(2026, 3, 29, 17, 59, tzinfo=UTC)) == "2026-W12"
    assert due_summary_week(rt, datetime(2026, 3, 29, 18, 0, tzinfo=UTC)) == "2026-W13"
    rt.close()


def test_sigterm_during_a_scan_lets_the_job_in_hand_finish(
    start_daemon: Callable[..., subprocess.Popen[str]], isolated_home: Path, tmp_path: Path
) -> None:
    """SIGTERM arrives while the inbox scan is importing a batch: the daemon finishes that scan (every file stored,
    every file moved out of the inbox) and only then exits 0.

    No guess at how long a scan takes: the test holds SQLite's write lock, so the scan, once it has the batch in
    hand, cannot store a run until the test lets it. The daemon's start only reads (the database is created here
    first), so it starts while the lock is held; its first scan finds the batch already waiting. The events waited
    on are lines of the daemon's log: APScheduler's "Running job" (shown with --verbose) when the scan starts, and
    the daemon's own "Received SIGTERM" once the signal is handled. The daemon waits up to 30 s (its busy timeout)
    for the lock, which bounds how long the test may take between those lines; it needs well under a second."""
    url = f"sqlite:///{isolated_home / 'advisor.db'}"
    db = open_database(url)
    default_athlete_id(db)
    db.dispose()
    inbox = isolated_home / "inbox"
    batch = inbox / "batch"
    batch.mkdir(parents=True)
    total = 12
    points = track_from_segments([(5400.0, 0.0)], speed=3.0, interval_s=5.0)
    recorded = time.time() - 3600  # settled: imported by the first scan that sees it
    for i in range(total):
        write_activity(batch / f"run{i:02d}.fit", points, start=datetime(2025, 4, 1 + i, 7, tzinfo=UTC))
        os.utime(batch / f"run{i:02d}.fit", (recorded, recorded))
    log_path = tmp_path / "daemon-0.log"

    writes = sqlite3.connect(isolated_home / "advisor.db", timeout=PROCESS_TIMEOUT_S, isolation_level=None)
    try:
        writes.execute("BEGIN IMMEDIATE")  # from here on, no run can be stored until the test says so

        proc = start_daemon("--verbose")
        wait_for(lambda: 'Running job "inbox scan' in log_path.read_text(), 20, "the first inbox scan to start")
        in_flight = committed_runs(isolated_home / "advisor.db")
        proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "Received SIGTERM" in log_path.read_text(), 20, "the daemon to handle SIGTERM")
        assert proc.poll() is None, "the daemon must wait for the scan in hand"
        assert committed_runs(isolated_home / "advisor.db") == in_flight, "the scan is held by the write lock"
    finally:
        writes.rollback()
        writes.close()
    assert proc.wait(PROCESS_TIMEOUT_S) == 0, log_path.read_text()
    assert in_flight < total, "SIGTERM should have landed mid-scan"
    assert count_activities(url) == total
    assert not [p for p in inbox.rglob("*.fit") if "processed" not in p.parts]
