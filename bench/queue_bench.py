"""The clinic's weekly summary round on the job queue: N athletes, 1 and then 2 `advisor worker` processes.

    .venv/bin/python bench/queue_bench.py [--athletes 50] [--repeat 3] [--concurrency 1]
    .venv/bin/python bench/queue_bench.py --athletes 1000        # the issue's figure (minutes per run)

Needs PostgreSQL (`ADVISOR_TEST_POSTGRES_URL`, default postgresql://postgres@127.0.0.1:5432/test); works in a schema
of its own, dropped afterwards, and sends to a loopback SMTP server (tests/smtp_server.py). Each run empties the
outbox (so every summary is due again), starts the workers and waits until they registered, then times from the
round's deferral to the last mail sent and the queue empty: worker start-up is not in the figure. Runs alternate
1, 2, 1, 2, ... so a machine that slows down (shared cores) slows both; the median per worker count is printed, in
milliseconds of wall time per athlete, with the speed-up. Athletes have no history: the figure is the round's own
cost (render, outbox, SMTP, queue), not years of runs. Figures to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

PG_URL = os.environ.get("ADVISOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def schema() -> Iterator[tuple[str, str]]:
    """A schema of its own on the server: (its name, the URL whose search_path is it)."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name, f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{name}" CASCADE')


def scalar(name: str, query: str) -> int:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, options=f"-csearch_path={name}") as connection:
        row = connection.execute(query).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0


def wait_until(condition: object, what: str, timeout: float = 3600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.05)


def one_round(env: dict[str, str], name: str, settings: object, athletes: int, workers: int, concurrency: int) -> float:
    """Seconds from deferring the round to every summary sent, with `workers` fresh worker processes."""
    from jobs.queue import Queue

    for table in ("outbox", "procrastinate_jobs", "procrastinate_workers"):
        scalar(name, f"WITH gone AS (DELETE FROM {table} RETURNING 1) SELECT count(*) FROM gone")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "advisor", "worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    queue = Queue(settings)  # type: ignore[arg-type]
    try:
        wait_until(lambda: scalar(name, "SELECT count(*) FROM procrastinate_workers") == workers, "the workers")
        started = time.perf_counter()
        queue.defer_round("summary")
        wait_until(
            lambda: (
                scalar(name, "SELECT count(*) FROM outbox WHERE status = 'sent'") == athletes
                and scalar(name, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')") == 0
            ),
            "the round",
        )
        return time.perf_counter() - started
    finally:
        queue.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--athletes", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1, help="tasks per worker at once")
    args = parser.parse_args()

    from smtp_server import SmtpTestServer

    from advisor.bootstrap import Runtime
    from advisor.config import load_settings
    from advisor.services.athletes import add_athlete
    from jobs.queue import Queue

    with (
        tempfile.TemporaryDirectory() as home,
        schema() as (name, url),
        SmtpTestServer("none", auth_required=False) as smtp,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {
            "ADVISOR_HOME": home,
            "ADVISOR_DATABASE__URL": url,
            "ADVISOR_SMTP__HOST": smtp.host,
            "ADVISOR_SMTP__PORT": str(smtp.port),
            "ADVISOR_SMTP__SECURITY": "none",
        }
        os.environ.update(env)
        settings = load_settings()
        rt = Runtime(settings)
        for i in range(args.athletes):
            add_athlete(rt.db, settings, f"r{i:04d}", {"email": f"r{i:04d}@example.org"}, {})
        Queue(settings, rt.db).ensure_schema()
        rt.close()
        times: dict[int, list[float]] = {1: [], 2: []}
        for rep in range(args.repeat):
            for workers in (1, 2):
                seconds = one_round(env, name, settings, args.athletes, workers, args.concurrency)
                times[workers].append(seconds)
                print(f"run {rep + 1}, {workers} worker(s): {seconds:.2f} s", flush=True)
        print(f"\nweekly summary round, {args.athletes} athletes, {args.concurrency} task(s) per worker:")
        for workers, runs in times.items():
            median = statistics.median(runs)
            print(f"  {workers} worker(s): median {median:.2f} s, {1000 * median / args.athletes:.1f} ms per athlete")
        print(f"  speed-up with 2 workers: {statistics.median(times[1]) / statistics.median(times[2]):.2f} x")


if __name__ == "__main__":
    main()
