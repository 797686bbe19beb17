"""`advisor team status` for a clinic: N athletes × ~200 days of runs, on SQLite (and PostgreSQL when
`ADVISOR_TEST_POSTGRES_URL` is set, in a schema of its own that is dropped afterwards).

    .venv/bin/python bench/team_bench.py [--athletes 20,200,1000] [--days 200] [--repeat 7] [--no-sqlite]

For each database and clinic size it prints:
- the first `team_status` of the day (every stored report stale: each athlete assessed and their report kept);
- the next ones (every report current: one query), median and best, and milliseconds per athlete;
- one athlete's write, then the list again (one report recomputed);
- `advisor team status` and `--json` as a new process (start-up included), median;
- how many SQL statements the warm use case executes, and the plan of its one query (EXPLAIN), which must use the
  indexes, never scan the activities.
Figures to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

AS_OF = datetime.now(UTC).date()
"""Runs up to today: the list is each athlete's today, the day their report is stored for."""


def seed(url: str, athletes: int, days: int) -> int:
    """`athletes` runners (a few with thresholds and time zones of their own), a run on 6 days of 7, a pain score
    every fourth day, daily floors, rehab twice a week; returns the number of activities."""
    from sqlalchemy import insert

    from advisor.store.db import default_athlete_id, open_database
    from advisor.store.models import Activity, Athlete, DailyStairs, PainEntryRow, RehabSessionRow, SourceFile

    db = open_database(url)
    default_athlete_id(db)
    rng = random.Random(1)
    now = datetime.now(UTC)
    first = AS_OF - timedelta(days=days - 1)
    count = 0
    zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]
    with db.transaction() as session:
        session.execute(
            insert(Athlete),
            [
                {
                    "name": f"runner{i:03d}",
                    "created_at": now,
                    "timezone": zones[i % 4],
                    "units": "mi" if i % 7 == 0 else None,
                    "thresholds": '{"acwr_high": 1.4}' if i % 10 == 0 else None,
                }
                for i in range(athletes)
            ],
        )
    with db.transaction() as session:
        ids = [a.id for a in session.query(Athlete).filter(Athlete.name.like("runner%")).order_by(Athlete.name)]
        session.execute(
            insert(SourceFile),
            [
                {
                    "athlete_id": a,
                    "sha256": f"{a:064d}",
                    "name": "bench",
                    "size": 0,
                    "file_type": "activity",
                    "status": "imported",
                    "origin": "bench",
                    "imported_at": now,
                }
                for a in ids
            ],
        )
        sources = dict(session.query(SourceFile.athlete_id, SourceFile.id).filter(SourceFile.athlete_id.in_(ids)))
        for athlete in ids:
            activities, pain, stairs, rehab = [], [], [], []
            base = rng.uniform(5, 10)
            for n in range(days):
                day = first + timedelta(days=n)
                if day.weekday() != 0:
                    km = base * rng.uniform(0.7, 1.6 if day.weekday() == 6 else 1.1)
                    start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
                    activities.append(
                        {
                            "athlete_id": athlete,
                            "source_file_id": sources[athlete],
                            "activity_key": str(int(start.timestamp())),
                            "sport": "running",
                            "sub_sport": "generic",
                            "name": None,
                            "start_utc": start,
                            "utc_offset_s": 3600,
                            "n_records": 3600,
                            "distance_m": km * 1000,
                            "elapsed_s": km * 330,
                            "moving_s": km * 300,
                            "ascent_m": km * 8,
                            "descent_m": km * 8,
                            "descent_steep5_m": km * 2,
                            "distance_steep5_m": km * 40,
                            "descent_steep10_m": km * 0.5,
                            "distance_steep10_m": km * 5,
                            "avg_cadence_spm": 172.0,
                            "avg_heart_rate": 145.0,
                            "load": km * 9,
                            "load_method": "trimp",
                        }
                    )
                if n % 4 == 0:
                    pain.append(
                        {
                            "athlete_id": athlete,
                            "day": day,
                            "when": "after",
                            "score": rng.randint(0, 4),
                            "swelling": rng.random() < 0.002,
                            "locking": False,
                            "giving_way": False,
                            "rest_or_night_pain": False,
                            "note": None,
                            "created_at": now,
                        }
                    )
                stairs.append(
                    {
                        "athlete_id": athlete,
                        "day": day,
                        "source": "garmin",
                        "floors_up": rng.uniform(5, 20),
                        "floors_down": rng.uniform(5, 20),
                        "steps": 9000,
                        "updated_at": now,
                    }
                )
                if day.weekday() in (1, 4):
                    rehab.append(
                        {
                            "athlete_id": athlete,
                            "day": day,
                            "strength": True,
                            "mobility": True,
                            "band": False,
                            "pain": None,
                            "note": None,
                            "created_at": now,
                        }
                    )
            session.execute(insert(Activity), activities)
            session.execute(insert(PainEntryRow), pain)
            session.execute(insert(DailyStairs), stairs)
            session.execute(insert(RehabSessionRow), rehab)
            count += len(activities)
    db.dispose()
    return count


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def show(label: str, times: list[float], athletes: int) -> None:
    median = statistics.median(times)
    print(
        f"  {label:<36} median {median:7.3f} s   best {min(times):7.3f} s   "
        f"{median * 1000 / athletes:7.2f} ms per athlete   (n={len(times)})"
    )


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def bench(name: str, url: str, home: Path, athletes: int, args: argparse.Namespace) -> None:
    from sqlalchemy import event, text

    from advisor.config import load_settings
    from advisor.services.team import team_status
    from advisor.store.db import open_database
    from advisor.store.stored_reports import TEAM_QUERY

    started = time.perf_counter()
    activities = seed(url, athletes, args.days)
    print(f"{name}: {athletes} athletes, {activities} activities (seeded in {time.perf_counter() - started:.1f} s)")
    env = {**os.environ, "ADVISOR_HOME": str(home), "ADVISOR_DATABASE__URL": url}
    os.environ.update({"ADVISOR_HOME": str(home), "ADVISOR_DATABASE__URL": url})
    settings = load_settings()
    db = open_database(url)
    statements: list[str] = []
    try:
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        show("first list of the day (all stale)", timed(lambda: team_status(db, settings), 1), athletes)
        lines = team_status(db, settings).lines

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        team_status(db, settings)
        event.remove(db.engine, "before_cursor_execute", count)
        show("team_status (use case, all stored)", timed(lambda: team_status(db, settings), args.repeat), athletes)
        one = lines[len(lines) // 2].name

        def one_write_then_list() -> None:
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "UPDATE pain_entries SET score = 10 - score WHERE id = (SELECT MAX(id) FROM pain_entries "
                        "WHERE athlete_id = (SELECT id FROM athletes WHERE name = :name))"
                    ),
                    {"name": one},
                )
            team_status(db, settings)

        show("one athlete's write, then the list", timed(one_write_then_list, args.repeat), athletes)
        with db.engine.connect() as connection:
            explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
            plan = connection.execute(text(explain + TEAM_QUERY), {"source": "garmin"}).all()
    finally:
        db.dispose()
    command = [sys.executable, "-m", "advisor", "team", "status"]
    run = lambda extra: subprocess.run(command + extra, env=env, check=True, capture_output=True)  # noqa: E731
    show("advisor team status (process)", timed(lambda: run([]), args.repeat), athletes)
    show("advisor team status --json", timed(lambda: run(["--json"]), args.repeat), athletes)
    groups = {g: sum(1 for line in lines if line.group == g) for g in ("referral", "high", "other")}
    print(f"  SQL statements per team_status (all stored): {len(statements)}   lines: {len(lines)} {groups}")
    print("  plan of the one query:")
    for row in plan:
        print("    " + " | ".join(str(v) for v in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", default="20,200", help="clinic sizes, comma-separated (e.g. 20,200,1000,10000)")
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    args.repeat = max(args.repeat, 5)
    sizes = [int(n) for n in args.athletes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for athletes in sizes:
            if not args.no_sqlite:
                home = Path(tmp) / f"sqlite{athletes}"
                home.mkdir()
                bench("SQLite", f"sqlite:///{home / 'advisor.db'}", home, athletes, args)
            pg = os.environ.get("ADVISOR_TEST_POSTGRES_URL")
            if pg:
                home = Path(tmp) / f"postgresql{athletes}"
                home.mkdir()
                with postgres_schema(pg) as url:
                    bench("PostgreSQL", url, home, athletes, args)
            else:
                print("PostgreSQL: skipped (set ADVISOR_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
