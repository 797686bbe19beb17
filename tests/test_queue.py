"""The clinic's job queue on the real PostgreSQL: real `advisor worker` processes, a real SMTP server, kill -9.

What must hold, whatever the timing: the work splits between workers; no weekly mail is sent twice (the outbox's
claim judges, not the queue); a killed worker's tasks run again on another one; one athlete's failing task stops
nobody else's. Every wait is for a condition with a deadline (the deadline only turns a hang into a failure; no
assertion is about how long anything took). Summaries are of athletes with no history, so a round costs the
rendering and the mail, not years of runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from conftest import PG_URL, ProcessOutput, _postgres_schema_url
from smtp_server import SmtpTestServer
from typer.testing import CliRunner

from advisor.bootstrap import Runtime
from advisor.cli import cli_app
from advisor.config import Settings, load_settings
from advisor.services.athletes import add_athlete
from advisor.store.jobruns import list_job_runs
from jobs.queue import Queue
from jobs.queue_worker import WorkerOptions, drain

pytestmark = pytest.mark.postgres

DEADLINE_S = 120.0
"""Only a hang reaches it: 200 summaries on two shared cores take a fraction of it."""
STALLED_AFTER_S = 2.0
"""The workers' heartbeat silence that counts as death, short so the kill test waits seconds, not half a minute."""


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_schema_url()


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer("none", auth_required=False) as server:
        yield server


@pytest.fixture
def clinic_env(pg_url: str, smtp: SmtpTestServer, isolated_home: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of every process of the clinic: one database, one mail server, each athlete's own address."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    return env | {
        "ADVISOR_HOME": str(isolated_home),
        "ADVISOR_DATABASE__URL": pg_url,
        "ADVISOR_SMTP__HOST": smtp.host,
        "ADVISOR_SMTP__PORT": str(smtp.port),
        "ADVISOR_SMTP__SECURITY": "none",
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "PYTHONUNBUFFERED": "1",
    }


def clinic(env: dict[str, str], athletes: int) -> tuple[Settings, Runtime, list[str]]:
    """`athletes` athletes, each with an address of their own, so the mail server's log says who got what."""
    settings = load_settings(
        database={"url": env["ADVISOR_DATABASE__URL"]},
        smtp={"host": env["ADVISOR_SMTP__HOST"], "port": int(env["ADVISOR_SMTP__PORT"]), "security": "none"},
    )
    rt = Runtime(settings)
    names = [f"a{i:03d}" for i in range(athletes)]
    for name in names:
        add_athlete(rt.db, settings, name, {"email": f"{name}@example.org"}, {})
    return settings, rt, names


@pytest.fixture
def start_worker(clinic_env: dict[str, str]) -> Iterator[Callable[..., tuple[subprocess.Popen[str], ProcessOutput]]]:
    """`advisor worker OPTIONS` in a process of its own; returns once it says it started."""
    started: list[subprocess.Popen[str]] = []

    def start(*options: str) -> tuple[subprocess.Popen[str], ProcessOutput]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "advisor", "worker", "--stalled-after", str(STALLED_AFTER_S), *options],
            env=clinic_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        assert proc.stderr is not None
        output = ProcessOutput(proc.stderr)
        output.wait_for("The advisor worker started", 60)
        return proc, output

    yield start
    for proc in started:  # only the processes this test started, by their own handle
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def sql(url: str, query: str, *params: object) -> list[tuple[object, ...]]:
    """A read of the test's own schema (the queue's tables included), on a connection of the test's own."""
    schema = url.rsplit("search_path%3D", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True, options=f"-csearch_path={schema}") as connection:
        return list(connection.execute(query, params).fetchall())  # type: ignore[arg-type]


def queue_idle(url: str) -> bool:
    return sql(url, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")[0][0] == 0


def outbox_statuses(url: str) -> Counter[str]:
    return Counter(str(row[0]) for row in sql(url, "SELECT status FROM outbox"))


def finished_by(output: ProcessOutput) -> set[str]:
    """The athletes whose summary this worker finished (its log: `The weekly summary for NAME finished: ...`)."""
    marker = "The weekly summary for "
    return {line.split(marker, 1)[1].split(" ", 1)[0] for line in output.lines if marker in line and "finished" in line}


def test_two_workers_split_200_summaries_and_none_is_sent_twice(
    clinic_env: dict[str, str],
    smtp: SmtpTestServer,
    start_worker: Callable[..., tuple[subprocess.Popen[str], ProcessOutput]],
) -> None:
    settings, rt, names = clinic(clinic_env, 200)
    first, first_log = start_worker()
    second, second_log = start_worker()  # a second worker never refuses to start
    queue = Queue(settings, rt.db)
    try:
        assert queue.defer_round("summary") is not None  # what the daemon does on its tick
        wait_for(lambda: outbox_statuses(clinic_env["ADVISOR_DATABASE__URL"])["sent"] == 200, "every summary sent")
        wait_for(lambda: queue_idle(clinic_env["ADVISOR_DATABASE__URL"]), "the queue to empty")
        assert queue.run_round("summary") == []  # every week is in the outbox, none waiting: nothing to defer
    finally:
        queue.close()
    received = Counter(address for mail in smtp.messages for address in mail.rcpt_tos)
    assert {f"{name}@example.org" for name in names} <= set(received)
    assert max(received.values()) == 1, [a for a, n in received.items() if n > 1]  # never twice
    for proc in (first, second):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    first_log.rest(30), second_log.rest(30)
    mine, theirs = finished_by(first_log), finished_by(second_log)
    assert mine and theirs, (len(mine), len(theirs))  # both did a share
    assert not mine & theirs  # and no athlete's summary ran on both
    assert len(mine | theirs) == 200  # (the default athlete has no address: no summary)


def test_a_killed_workers_tasks_are_finished_by_the_other(
    clinic_env: dict[str, str],
    smtp: SmtpTestServer,
    start_worker: Callable[..., tuple[subprocess.Popen[str], ProcessOutput]],
) -> None:
    url = clinic_env["ADVISOR_DATABASE__URL"]
    settings, rt, names = clinic(clinic_env, 40)
    doomed, _ = start_worker("--concurrency", "2")
    wait_for(lambda: bool(sql(url, "SELECT id FROM procrastinate_workers")), "the first worker to register")
    doomed_ids = [row[0] for row in sql(url, "SELECT id FROM procrastinate_workers")]  # only it runs yet
    survivor, survivor_log = start_worker()
    queue = Queue(settings, rt.db)
    # A slow server: each task spends most of its time waiting for it, so the kill below lands inside a task, not in
    # the moment between two (a round over one kept connection is otherwise done in milliseconds a mail).
    smtp.slow_down(0.25)
    try:
        queue.defer_round("summary")

        def doomed_in_the_middle() -> bool:
            return len(smtp.messages) >= 3 and bool(
                sql(url, "SELECT 1 FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = ANY(%s)", doomed_ids)
            )

        wait_for(doomed_in_the_middle, "the first worker to be in the middle of the round")
        doomed.kill()  # SIGKILL: no goodbye, its tasks stay 'doing' under its name
        doomed.wait(10)
        orphans = sql(
            url, "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = ANY(%s)", doomed_ids
        )
        assert orphans, "the kill landed between two tasks; nothing was left to recover"
        survivor_log.wait_for("runs again on another worker", DEADLINE_S)  # its recovery sweep found them

        def settled() -> bool:
            statuses = outbox_statuses(url)
            return statuses["sent"] + statuses["sending"] == 40 and queue_idle(url)

        wait_for(settled, "the surviving worker to finish the round")
    finally:
        queue.close()
    received = Counter(address for mail in smtp.messages for address in mail.rcpt_tos)
    assert max(received.values()) == 1  # never twice, not even the task that was retried
    # A mail the killed worker was handing to the server may have arrived or not: it stays `sending` (later
    # `uncertain`), never resent on its own. Every other athlete got theirs.
    in_doubt = {str(row[0]) for row in sql(url, "SELECT recipient FROM outbox WHERE status = 'sending'")}
    assert len(in_doubt) <= 2
    assert {f"{name}@example.org" for name in names} - set(received) <= in_doubt
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(60) == 0


def test_a_failing_athlete_does_not_stop_the_others(clinic_env: dict[str, str], isolated_home: Path) -> None:
    _settings, rt, names = clinic(clinic_env, 12)
    broken = names[5]
    (isolated_home / "inbox").mkdir(parents=True, exist_ok=True)
    (isolated_home / "inbox" / broken).write_text("a file where their inbox folder should be")
    runner = CliRunner()

    once = runner.invoke(cli_app(), ["daemon", "--once"], env=clinic_env, catch_exceptions=False)
    assert once.exit_code == 1  # one task failed, and --once says so

    runs = {r.name: r for r in list_job_runs(rt.db, every_athlete=True)}
    assert runs[f"inbox:{broken}"].last_error is not None and runs[f"inbox:{broken}"].last_success_at is None
    others = [runs[f"inbox:{name}"] for name in names if name != broken]
    assert all(r.last_success_at is not None and r.last_error is None for r in others)
    reports = [runs[f"report:{name}"] for name in names]
    assert all(r.last_success_at is not None for r in reports), "even the broken inbox's athlete has a report"
    assert Queue(_settings, rt.db).run_round("report") == [], "every stored report is current: nothing to refresh"

    status = runner.invoke(cli_app(), ["daemon", "status"], env=clinic_env, catch_exceptions=False)
    assert "Job queue: 0 waiting, 0 running, 1 failed." in status.stdout
    assert f"failed: advisor.inbox for {broken}" in status.stdout
    document = json.loads(runner.invoke(cli_app(), ["daemon", "status", "--json"], env=clinic_env).stdout)
    assert document["queue"]["failed"] == 1 and document["queue"]["failures"][0]["athlete"] == broken
    rt.close()


def test_a_waiting_round_or_task_is_not_deferred_twice(clinic_env: dict[str, str]) -> None:
    """The queueing locks: a slow round never piles up copies, nor an athlete's task waiting behind their lock."""
    settings, rt, _names = clinic(clinic_env, 3)
    queue = Queue(settings, rt.db)
    try:
        queue.ensure_schema()
        assert queue.ensure_schema() is False  # idempotent
        assert queue.defer_round("inbox") is not None
        assert queue.defer_round("inbox") is None  # the first still waits: no second copy
        assert queue.defer_round("summary") is not None  # another job's round is another lock
        first = queue.run_round("inbox")
        assert len(first) == 4  # three athletes and the default one
        assert queue.run_round("inbox") == []  # each still has one waiting
        assert len(queue.run_round("summary")) == 3  # the default athlete has no address: no summary
        assert queue.run_round("summary") == []
        cleanup = queue.defer_cleanup()
        assert cleanup is not None and queue.defer_cleanup() is None
        assert drain(queue, [cleanup], WorkerOptions()) == []  # Procrastinate's own task runs on our workers
    finally:
        queue.close()
        rt.close()


def test_the_daemon_on_postgresql_defers_and_its_own_worker_does_the_work(
    clinic_env: dict[str, str], isolated_home: Path
) -> None:
    """One command still serves a one-machine clinic: `advisor daemon` defers the inbox round on its tick and the
    worker on its own thread imports what an athlete dropped; SIGTERM ends both with exit 0."""
    from fitgen import track_from_segments, write_activity

    from advisor.services.activities import list_activities
    from advisor.services.athletes import find_athlete

    settings, rt, names = clinic(clinic_env, 2)
    inbox = isolated_home / "inbox" / names[1]
    inbox.mkdir(parents=True)
    points = track_from_segments([(3000.0, 0.0)], speed=3.0, interval_s=10.0)
    (inbox / "run.fit").write_bytes(write_activity(None, points, start=datetime(2025, 3, 3, 7, tzinfo=UTC)))
    old = time.time() - 60
    os.utime(inbox / "run.fit", (old, old))
    env = clinic_env | {"ADVISOR_SCHEDULE__INBOX_EVERY_MINUTES": "0.02"}
    daemon = subprocess.Popen([sys.executable, "-m", "advisor", "daemon"], env=env, stderr=subprocess.PIPE, text=True)
    assert daemon.stderr is not None
    log = ProcessOutput(daemon.stderr)
    try:
        log.wait_for("The advisor daemon started", 60)
        athlete = find_athlete(rt.db, settings, names[1])
        # the file moves to processed/ after its activity is committed: wait for the move, the last step
        wait_for(lambda: (inbox / "processed" / "run.fit").exists(), "the dropped run to be imported and moved")
        assert len(list_activities(rt.db, athlete.id)) == 1
    finally:
        daemon.terminate()
        daemon.wait(60)
    assert daemon.returncode == 0, log.rest(10)
    rt.close()
