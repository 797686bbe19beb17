"""`advisor status` over ten years of daily running: wall time of the whole command, start-up included.

    .venv/bin/python bench/status_bench.py [--years 10] [--repeat 7]

Seeds a fresh SQLite database (under a temporary ADVISOR_HOME) with a run on six days of every week for `--years`
years up to today (~3,100 runs a decade, plus long runs, so ~3,500 activities), a pain entry every third day and
daily floors, then runs `advisor status` (today's stored report: terminal page and `--json`) and `advisor status
--as-of <yesterday>` (computed: a past date is never stored) as separate processes `--repeat` times,
alternating with a bare `python -c pass` and with importing what Typer 0.29 and pydantic cost by themselves (the
floor under every command with options), and prints the median and best wall time of each. Goal (issue 11):
0.4 s. A figure to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from startup_bench import BARE, alternate, print_ratios

ROOT = Path(__file__).resolve().parents[1]


def seed(home: Path, years: int) -> tuple[date, int]:
    from advisor.store.db import default_athlete_id, open_database
    from advisor.store.models import Activity, DailyStairs, PainEntryRow

    sys.path.insert(0, str(ROOT / "tests"))
    from stored import stand_in_source

    db = open_database(f"sqlite:///{home / 'advisor.db'}")
    athlete = default_athlete_id(db)
    rng = random.Random(1)
    last = datetime.now(UTC).date()
    first = last - timedelta(days=365 * years)
    now = datetime.now(UTC)
    count = 0
    with db.transaction() as session:
        source_id = stand_in_source(session, athlete, now, "bench")
        day = first
        while day <= last:
            km_list = [] if day.weekday() == 0 else [rng.uniform(5, 12)]
            if day.weekday() == 6:
                km_list.append(rng.uniform(3, 6))
            for i, km in enumerate(km_list):
                start = datetime(day.year, day.month, day.day, 6 + 10 * i, tzinfo=UTC)
                distance = km * 1000
                session.add(
                    Activity(
                        athlete_id=athlete,
                        source_file_id=source_id,
                        activity_key=str(int(start.timestamp())),
                        sport="running",
                        sub_sport="generic",
                        start_utc=start,
                        utc_offset_s=3600,
                        n_records=3600,
                        distance_m=distance,
                        elapsed_s=distance / 2.9,
                        moving_s=distance / 3.0,
                        ascent_m=km * 8,
                        descent_m=km * 8,
                        descent_steep5_m=km * 2,
                        distance_steep5_m=km * 40,
                        descent_steep10_m=km * 0.5,
                        distance_steep10_m=km * 5,
                        avg_cadence_spm=172.0,
                        avg_heart_rate=145.0,
                        load=km * 9,
                        load_method="trimp",
                    )
                )
                count += 1
            if day.toordinal() % 3 == 0:
                session.add(
                    PainEntryRow(
                        athlete_id=athlete,
                        day=day,
                        when="after",
                        score=rng.randint(0, 4),
                        swelling=False,
                        locking=False,
                        giving_way=False,
                        rest_or_night_pain=False,
                        note=None,
                        created_at=now,
                    )
                )
            session.add(
                DailyStairs(
                    athlete_id=athlete,
                    day=day,
                    source="garmin",
                    floors_up=rng.uniform(5, 20),
                    floors_down=rng.uniform(5, 20),
                    steps=9000,
                    updated_at=now,
                )
            )
            day += timedelta(days=1)
    db.dispose()
    return last, count


FLOOR = "import typer, typer._adapters, pydantic.plugin._loader"
"""What any command with an option imports before advisor's own code runs: Typer 0.29 validates every option
through a pydantic TypeAdapter (`typer._adapters`), and building one loads pydantic's plugin loader
(`importlib.metadata`)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    # advisor's own bytecode, as an installed package has it (PYTHONDONTWRITEBYTECODE would make every round
    # compile advisor's modules from source)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "advisor")], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        last, runs = seed(home, args.years)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
        env |= {"ADVISOR_HOME": str(home), "COLUMNS": "120"}
        status = [sys.executable, "-m", "advisor", "status"]
        past = [*status, "--as-of", (last - timedelta(days=1)).isoformat()]
        contenders = {
            BARE: [sys.executable, "-c", "pass"],
            "Typer 0.29 + pydantic, imported alone": [sys.executable, "-c", FLOOR],
            "advisor status (today: the stored report)": status,
            "advisor status --json (today)": [*status, "--json"],
            "advisor status --as-of yesterday (computed)": past,
        }
        subprocess.run(status, env=env, check=True, capture_output=True)  # the first status of the day keeps it
        wall, cpu = alternate({name: (argv, env) for name, argv in contenders.items()}, args.repeat)
        print(f"{runs} runs over {args.years} years; as of {last}")
        print_ratios(wall, cpu, args.repeat)


if __name__ == "__main__":
    main()
