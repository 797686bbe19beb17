"""The database decides who sends: processes on two ADVISOR_HOMEs sharing one database send each week once.

Real parts only: two `advisor summary --send` processes started together against one database (SQLite file or the
PostgreSQL server), a real SMTP server on loopback, and a sender killed mid-send (a stale claim in the database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smtp_server import Drop, SmtpTestServer
from sqlalchemy import select, update
from typer.testing import CliRunner

from advisor.bootstrap import Runtime
from advisor.cli import cli_app
from advisor.config import load_settings
from advisor.render.summary import render_summary
from advisor.services.outbox import queue_summary, send_pending
from advisor.store.db import default_athlete_id, open_database
from advisor.store.models import OutboxMail

WEEK = "2026-W10"
RUNNER = "runner@example.com"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch):
    with SmtpTestServer("none", auth_required=False) as server:
        monkeypatch.setenv("ADVISOR_SMTP__HOST", server.host)
        monkeypatch.setenv("ADVISOR_SMTP__PORT", str(server.port))
        monkeypatch.setenv("ADVISOR_SMTP__SECURITY", "none")
        monkeypatch.setenv("ADVISOR_PROFILE__EMAIL", RUNNER)
        yield server


def _env(home: Path, database_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_") or k.startswith("ADVISOR_SMTP")}
    keep["ADVISOR_PROFILE__EMAIL"] = RUNNER
    return keep | {"ADVISOR_HOME": str(home), "ADVISOR_DATABASE__URL": database_url}


def test_two_homes_sending_at_once_send_each_week_once(tmp_path: Path, database_url: str, smtp) -> None:
    """Two machines (two homes, two processes) run `summary --send` for the same weeks at the same moment."""
    homes = [tmp_path / "laptop", tmp_path / "server"]
    # migrate once (here: a process of its own would only add a second), so both start on a ready schema
    ready = open_database(database_url)
    default_athlete_id(ready)
    ready.dispose()
    for week in ("2026-W08", "2026-W09", WEEK):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "advisor", "summary", "--week", week, "--send"],
                env=_env(home, database_url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for home in homes
        ]
        results = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), results
    subjects = sorted(m.parse()["Subject"].split(":")[0] for m in smtp.messages)
    assert subjects == ["Knee summary 2026-W08", "Knee summary 2026-W09", "Knee summary 2026-W10"]


def test_a_sender_killed_mid_send_is_never_resent_on_its_own(database_url: str, smtp, monkeypatch) -> None:
    """A stale `sending` claim may have reached the server: it becomes uncertain, the runner is told, and only
    --resend sends it again."""
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    rt = Runtime(load_settings())
    row = queue_summary(rt, render_summary, WEEK)
    with rt.db.transaction() as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row.id)
            .values(status="sending", claimed_at=datetime.now(UTC) - timedelta(hours=1), claimed_by="gone:1")
        )
    [outcome] = send_pending(rt)
    assert "may not have arrived" in outcome and "--resend" in outcome
    assert smtp.messages == []
    assert send_pending(rt) == []  # and never again by itself
    with rt.db.transaction() as session:
        assert session.scalar(select(OutboxMail.status).where(OutboxMail.id == row.id)) == "uncertain"


@pytest.mark.parametrize("how", ["silently", "mid-reply"])
def test_a_connection_lost_after_the_whole_message_is_never_resent_on_its_own(
    database_url: str, smtp: SmtpTestServer, cli, how: Drop
) -> None:
    """The server takes the whole message, then the connection drops before (or while) it answers: the week is
    `uncertain`, like a sender killed mid-send. Neither another `--send` nor the daemon's retry (`send_pending`)
    sends it again, so it never arrives twice; only `--resend` does."""
    smtp.drop_after_data(how)
    first = cli("summary", "--week", WEEK, "--send")
    assert first.exit_code == 1
    assert f"The summary for {WEEK} may not have arrived (the SMTP server at" in first.stdout
    assert f"`advisor summary --week {WEEK} --send --resend` sends it again" in first.stdout
    assert len(smtp.messages) == 1
    smtp.drop_after_data(None)

    again = cli("summary", "--week", WEEK, "--send")
    assert again.exit_code == 1 and "may not have arrived" in again.stdout
    rt = Runtime(load_settings())
    assert send_pending(rt) == []  # the daemon's outbox job
    with rt.db.transaction() as session:
        stored = session.scalars(select(OutboxMail)).one()
        assert stored.status == "uncertain" and "after the whole message was sent" in (stored.last_error or "")
    rt.close()
    assert len(smtp.messages) == 1
    shown = cli("daemon", "status")
    assert f"The summary for {WEEK} may not have arrived" in shown.stdout and "Waiting to be sent" not in shown.stdout

    resent = cli("summary", "--week", WEEK, "--send", "--resend")
    assert resent.exit_code == 0 and f"Sent the summary for {WEEK} to {RUNNER}." in resent.stdout
    first_copy, second_copy = smtp.messages
    assert first_copy.data == second_copy.data  # the very same bytes, sent again because the runner asked


def test_daemon_run_outbox_exits_1_while_mail_stays_queued(tmp_path: Path, database_url: str, monkeypatch) -> None:
    """For cron: a summary the server could not take yet is a job not done."""
    with SmtpTestServer("none", auth_required=False) as server:
        port = server.port
    env = _env(tmp_path / "h", database_url) | {
        "ADVISOR_SMTP__HOST": "127.0.0.1",
        "ADVISOR_SMTP__PORT": str(port),  # nobody listens there any more
        "ADVISOR_SMTP__SECURITY": "none",
    }
    # The summary that could not go out is queued in this process (a second interpreter would prove nothing more);
    # the retry is cron's: a process of its own, judged by its exit status.
    done = CliRunner().invoke(cli_app(), ["summary", "--week", WEEK, "--send"], env=env, catch_exceptions=False)
    assert done.exit_code == 1
    retry = subprocess.run([sys.executable, "-m", "advisor", "daemon", "run", "outbox"], env=env, capture_output=True)
    assert retry.returncode == 1 and b"still waiting" in retry.stderr


@pytest.mark.postgres
def test_two_importers_of_one_run_from_two_files_store_it_once(tmp_path: Path) -> None:
    """The watch's FIT and Garmin's download of the same run (started 4 s apart), imported by two processes at
    once on PostgreSQL: the same-activity check and the insert are one step per athlete, so one is `imported`
    and the other a `duplicate`. The interleaving is forced: the test holds the athlete's lock until both
    importers are waiting on it, then lets them race."""
    from conftest import _postgres_schema_url
    from fitgen import track_from_segments, write_activity
    from sqlalchemy import text

    from advisor.store.db import lock_athlete

    urls = _postgres_schema_url()
    url = next(urls)
    try:
        db = open_database(url)
        athlete = default_athlete_id(db)
        start = datetime(2026, 5, 3, 7, 0, tzinfo=UTC)
        points = track_from_segments([(8000, 0.0)], speed=3.0, interval_s=10.0)
        write_activity(tmp_path / "watch.fit", points, start=start)
        write_activity(tmp_path / "garmin.fit", points, start=start + timedelta(seconds=4), serial_number=42)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
        name = f"claims-{os.getpid()}-{time.monotonic_ns()}"  # the importers' connections, told apart from any other
        env |= {"ADVISOR_HOME": str(tmp_path / "h"), "ADVISOR_DATABASE__URL": f"{url}&application_name={name}"}
        with db.sessions.begin() as holder:
            lock_athlete(holder, athlete)
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "advisor", "import", str(tmp_path / f), "--json"],
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for f in ("watch.fit", "garmin.fit")
            ]
            waiting = 0
            for _ in range(600):
                with db.engine.connect() as conn:
                    waiting = conn.execute(  # only this test's importers: other tests share the server
                        text(
                            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                            "WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = :name"
                        ),
                        {"name": name},
                    ).scalar_one()
                if waiting == 2:
                    break
                time.sleep(0.1)
            assert waiting == 2, "both importers wait for the athlete's lock before checking for the same run"
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        statuses = sorted(json.loads(o)["files"][0]["status"] for o in outputs)
        assert statuses == ["duplicate", "imported"]
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM activities")).scalar_one() == 1
        db.dispose()
    finally:
        next(urls, None)


LONG_SUBJECTS = [
    # the fold right after "Subject:" that came back with a leading space: a first word too long for the line
    "Knee-summary-for-Antoinette-Marguerite-Elisabeth-de-la-Tour-d-Auvergne-2026-W10: 42.1 km of a 45.0 km cap",
    # the red-flag subject: an em dash close to where a 78-character line folds
    "Knee summary 2026-W10 for Ålesund Løpeklubb: red flag — see a clinician before running again",
    "Knee summary 2026-W10: 142.5 km of a 150.0 km cap; this week up to 130.0 km " * 2,
]


@pytest.mark.parametrize("subject", LONG_SUBJECTS)
def test_a_long_subject_arrives_exactly_as_written(database_url: str, smtp, monkeypatch, subject: str) -> None:
    """Queued, stored, re-read from the outbox and sent: the runner's mail client shows the subject as written."""
    from dataclasses import replace

    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    rt = Runtime(load_settings())
    queue_summary(rt, lambda view: replace(render_summary(view), subject=subject), WEEK)
    assert send_pending(rt) == [f"Sent the summary for {WEEK} to {RUNNER}."]
    (mail,) = smtp.messages
    assert str(mail.parse()["Subject"]) == subject.strip()
    assert max(len(line) for line in mail.data.splitlines()) <= 78
    rt.close()
