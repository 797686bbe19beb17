"""`advisor serve` under load: `/` (the week's report) and `/pain` (a form) at 1, 10 and 50 concurrent clients.

    .venv/bin/python bench/web_bench.py [--years 10] [--seconds 3] [--rounds 3] [--concurrency 1,10,50]
                                        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--against DIR]

Why: the page is what a runner opens on the phone after a run, and `/` re-assessed the whole history on every
request (issue 25 item 3: p99 4.5 × `/pain`'s at 50 clients; goal ≤ 1.5 ×: the report costs what a form costs).
Seeds a 10-year history (4 runs a week, a pain score after each, floors every other day, rehab twice a week, four
knee episodes each cleared by an assessment) into a fresh ADVISOR_HOME, starts `advisor serve --port 0` with a
password in a subprocess, logs in once and hands the session cookie to a load generator in a process of its own
(threads with keep-alive `http.client` connections, so the client never shares the server's interpreter). Each
round is one server, one page, one concurrency for `--seconds`; pages (and servers) alternate between rounds.
Prints p50 and p99 latency over all rounds' requests, the median pages/s, and `/`'s p99 ÷ `/pain`'s. Every
response must be 200 with the page's own marker (not the login page): anything else is counted and printed.

`--postgres URL` repeats it on PostgreSQL in a schema the bench creates and drops. `--against DIR` runs a second
server with DIR first on PYTHONPATH (a clean clone of the last commit, say): each server gets a home seeded by its
own code (so neither meets a schema revision it does not know), and they alternate round by round. A figure to
read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit

PASSWORD = "bench-Tempo-4x8km"
RUN_DAYS = (1, 3, 5, 6)  # Tuesday, Thursday, Saturday, Sunday (long)
REHAB_DAYS = (0, 3)
EPISODES = (400, 1300, 2200, 3100)  # days into the history with a swollen knee; cleared 10 days later
PAGES = {"/": 'id="phase"', "/pain": 'id="pain-form"'}
"""Each page and what only that page, rendered for a logged-in runner, contains."""
LOGIN_MARK = b"<h1>Log in</h1>"
START_TIMEOUT_S = 60
RUN = {"sport": "running", "sub_sport": "generic", "name": None, "utc_offset_s": 3600, "load_method": "trimp"}
RUN |= {"avg_cadence_spm": 172.0, "avg_heart_rate": 145.0}
PER_KM = {"distance_m": 1000, "elapsed_s": 330, "moving_s": 320, "ascent_m": 8, "descent_m": 8, "load": 9}
PER_KM |= {"descent_steep5_m": 2, "distance_steep5_m": 40, "descent_steep10_m": 0.5, "distance_steep10_m": 5}


def history_days(years: int, last: date) -> list[date]:
    return [last - timedelta(days=n) for n in range(365 * years - 1, -1, -1)]


def seed(url: str, years: int, last: date) -> dict[str, int]:
    """The default athlete's history up to `last`, by bulk inserts through the store's models; the row counts."""
    from sqlalchemy import insert

    from advisor.store.db import default_athlete_id, open_database
    from advisor.store.models import (
        Activity,
        ClinicianAssessment,
        DailyStairs,
        PainEntryRow,
        RehabSessionRow,
    )

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from stored import stand_in_source

    db = open_database(url)
    athlete = default_athlete_id(db)
    rng = random.Random(25)
    now = datetime.now(UTC)
    rows: dict[type, list[dict[str, object]]] = {
        Activity: [],
        PainEntryRow: [],
        DailyStairs: [],
        RehabSessionRow: [],
        ClinicianAssessment: [],
    }
    episodes = {n for n in EPISODES if n < 365 * years}
    with db.transaction() as session:
        source_id = stand_in_source(session, athlete, now, "bench")
        pain = {"athlete_id": athlete, "when": "after", "swelling": False, "locking": False, "giving_way": False}
        pain |= {"rest_or_night_pain": False, "note": None, "created_at": now}
        for n, day in enumerate(history_days(years, last)):
            if day.weekday() in RUN_DAYS:
                km = rng.uniform(14, 24) if day.weekday() == 6 else rng.uniform(6, 11)
                start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
                run = {"athlete_id": athlete, "source_file_id": source_id, "activity_key": str(int(start.timestamp()))}
                run |= {"start_utc": start, "n_records": int(km * 330), **{k: km * f for k, f in PER_KM.items()}}
                rows[Activity].append(RUN | run)
                rows[PainEntryRow].append({**pain, "day": day, "score": rng.choice((0, 0, 1, 1, 2, 3))})
            if n in episodes:
                rows[PainEntryRow].append({**pain, "day": day, "when": "morning", "score": 6, "swelling": True})
            if n - 10 in episodes:
                rows[ClinicianAssessment].append(
                    {"athlete_id": athlete, "day": day, "cleared": True, "note": "bench", "created_at": now}
                )
            if n % 2 == 0:
                up, down = rng.uniform(5, 25), rng.uniform(5, 25)
                rows[DailyStairs].append(
                    {"athlete_id": athlete, "day": day, "source": "garmin", "floors_up": up, "floors_down": down}
                    | {"steps": 9000, "updated_at": now}
                )
            if day.weekday() in REHAB_DAYS:
                rows[RehabSessionRow].append(
                    {"athlete_id": athlete, "day": day, "strength": True, "mobility": day.weekday() == 0}
                    | {"band": False, "pain": rng.choice((None, 0, 1)), "note": None, "created_at": now}
                )
        for model, values in rows.items():
            if values:
                session.execute(insert(model), values)
    db.dispose()
    return {model.__tablename__: len(values) for model, values in rows.items()}


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[str]
    url: str
    cookie: str
    output: list[str] = field(default_factory=list)


def server_env(home: Path, url: str, code: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_") and k != "PYTHONPATH"}
    env |= {
        "ADVISOR_HOME": str(home),
        "ADVISOR_DATABASE__URL": url,
        "ADVISOR_SERVE__PASSWORD": PASSWORD,
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
        "XDG_DATA_HOME": str(home / "xdg-data"),
        "PYTHONUNBUFFERED": "1",
    }
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def seed_home(home: Path, url: str, code: Path | None, years: int) -> dict[str, object]:
    """Seeds with the server's own code (cwd is the home, so `python -m` finds no other advisor first)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--seed", url, "--years", str(years)]
    done = subprocess.run(
        command, env=server_env(home, url, code), cwd=home, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.splitlines()[-1])


@contextmanager
def serve(name: str, home: Path, url: str, code: Path | None) -> Iterator[Server]:
    """`advisor serve --port 0` (the OS picks a free loopback port), logged in once; stopped with SIGTERM."""
    import httpx2

    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", "serve", "--port", "0"],
        env=server_env(home, url, code),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()
    assert proc.stdout is not None
    stdout = proc.stdout

    def drain() -> None:  # keeps reading, so a chatty server never blocks on a full pipe
        for line in stdout:
            lines.append(line)
            found.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        match = None
        while match is None and proc.poll() is None and time.monotonic() < deadline:
            found.wait(0.1)
            found.clear()
            match = next((m for line in lines if (m := re.search(r"listening on (http://\S+/)", line))), None)
        if match is None:
            raise SystemExit(f"{name}: advisor serve did not start:\n{''.join(lines)}")
        base = match.group(1)
        with httpx2.Client(base_url=base, timeout=START_TIMEOUT_S) as client:
            while True:  # the URL is printed once the socket is bound, a moment before uvicorn listens on it
                try:
                    page = client.get("/login")
                    break
                except httpx2.ConnectError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, "the login page carries a CSRF token"
            login = client.post("/login", data={"csrf_token": token.group(1), "password": PASSWORD})
            if login.status_code != 303:
                raise SystemExit(f"{name}: login answered {login.status_code}")
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        yield Server(name, proc, base, cookie, lines)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def load(url: str, path: str, cookie: str, clients: int, seconds: float) -> tuple[list[float], list[str], float]:
    """In the load generator's process: `clients` keep-alive connections asking for `path` one request after
    another for `seconds`; the latencies (s) of good answers, the errors, the wall time."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    mark = PAGES[path].encode()
    latencies: list[float] = []
    errors: list[str] = []
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=120)
        conn.connect()
        ready.wait()
        while time.perf_counter() < deadline[0]:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__}: {error}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=120)
                continue
            elapsed = time.perf_counter() - started
            if response.status != 200:
                errors.append(f"HTTP {response.status} ({response.getheader('location') or 'no redirect'})")
            elif mark not in body:
                errors.append("200 with the login page" if LOGIN_MARK in body else "200 without the page's marker")
            else:
                latencies.append(elapsed)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    ready.wait()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def percentile(self, q: float) -> float:
        """Nearest rank, in ms (NaN without a good answer)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def bench(label: str, servers: list[Server], args: argparse.Namespace, pool: ProcessPoolExecutor) -> bool:
    for server in servers:  # warm: templates, caches, the stored report
        for path in PAGES:
            _, errors, _ = pool.submit(load, server.url, path, server.cookie, 1, 0.5).result()
            if errors:
                raise SystemExit(f"{server.name} {path}: {errors[0]}\n{''.join(server.output)}")
    figures: dict[tuple[str, str, int], Figures] = {}
    for clients in args.concurrency:
        for round_ in range(args.rounds):
            order = [(server, path) for server in servers for path in PAGES]
            for server, path in order[::-1] if round_ % 2 else order:
                latencies, errors, wall = pool.submit(
                    load, server.url, path, server.cookie, clients, args.seconds
                ).result()
                got = figures.setdefault((server.name, path, clients), Figures())
                got.latencies += latencies
                got.rates.append(len(latencies) / wall)
                got.errors.update(errors)
    print(f"\n{label}: p50/p99 over {args.rounds} rounds of {args.seconds:g} s each; pages/s the rounds' median")
    print(f"  {'clients':>7}  {'server':<8} {'page':<6} {'p50 ms':>8} {'p99 ms':>8} {'pages/s':>8} {'n':>6}  errors")
    failed = False
    for clients in args.concurrency:
        for server in servers:
            for path in PAGES:
                got = figures[(server.name, path, clients)]
                p50, p99 = got.percentile(0.50), got.percentile(0.99)
                rate, count, bad = median(got.rates), len(got.latencies), sum(got.errors.values())
                print(
                    f"  {clients:>7}  {server.name:<8} {path:<6} {p50:>8.1f} {p99:>8.1f} {rate:>8.1f} {count:>6}  {bad}"
                )
                for message, times in got.errors.most_common():
                    print(f"  {'':>7}  {'':<8} {'':<6} {times} × {message}")
                failed |= bad > 0
            home, pain = (figures[(server.name, path, clients)] for path in PAGES)
            ratio = home.percentile(0.99) / pain.percentile(0.99)
            print(f"  {clients:>7}  {server.name:<8} `/` p99 ÷ `/pain` p99 = {ratio:.2f}  (goal ≤ 1.5)")
    return failed


def run(label: str, database: str | None, codes: dict[str, Path | None], tmp: Path, args: argparse.Namespace) -> bool:
    from team_bench import postgres_schema  # a schema of its own, dropped afterwards

    with ExitStack() as stack, ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        servers = []
        for name, code in codes.items():
            home = tmp / f"{label}-{name}"
            home.mkdir()
            url = stack.enter_context(postgres_schema(database)) if database else f"sqlite:///{home / 'advisor.db'}"
            started = time.perf_counter()
            seeded = seed_home(home, url, code, args.years)
            took = time.perf_counter() - started
            print(f"{label}, {name} ({seeded['advisor']}): {seeded['rows']} (seeded in {took:.1f} s)")
            servers.append(stack.enter_context(serve(name, home, url, code)))
        return bench(label, servers, args, pool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0, help="per round (one server, one page, one load)")
    parser.add_argument("--rounds", type=int, default=3, help="per page, server and concurrency")
    parser.add_argument("--concurrency", default="1,10,50", help="concurrent clients, comma-separated")
    parser.add_argument("--postgres", metavar="URL", help="also on PostgreSQL, in a schema made and dropped here")
    parser.add_argument("--against", metavar="DIR", type=Path, help="a second server with DIR first on PYTHONPATH")
    parser.add_argument("--seed", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:  # the seeding subprocess, with the server's code
        import advisor

        rows = seed(args.seed, args.years, date.today() - timedelta(days=1))
        print(json.dumps({"rows": rows, "advisor": str(Path(advisor.__file__).parent)}))
        return
    args.concurrency = [int(n) for n in args.concurrency.split(",")]
    codes: dict[str, Path | None] = {"this": None}
    if args.against:
        if not (args.against / "advisor" / "__init__.py").is_file():
            parser.error(f"--against {args.against}: no advisor package there")
        codes["against"] = args.against.resolve()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        failed |= run("SQLite", None, codes, Path(tmp), args)
        if args.postgres:
            failed |= run("PostgreSQL", args.postgres, codes, Path(tmp), args)
    if failed:
        print("\nSome responses were not the page: the figures above count only the good ones.")
        sys.exit(1)


if __name__ == "__main__":
    main()
