"""The weekly round's cost per athlete: building each athlete's summary (history, the 13 reports of its chart,
the chart, the mail) for a clinic of N athletes with ~200 days of runs each, on SQLite (and PostgreSQL when
`ADVISOR_TEST_POSTGRES_URL` is set, in a schema of its own that is dropped afterwards).

    .venv/bin/python bench/summary_bench.py [--athletes 200] [--days 200] [--rounds 3] [--against DIR]

Each round builds every athlete's summary of last week in this process (`build_summary` with the e-mail renderer,
then the MIME message, as `queue_summary` does before storing it) and prints the median wall and CPU time per
athlete and the size of a mail. `--against DIR` runs the same rounds with the `advisor` package of another checkout
(a clone of an earlier commit) in a child process, alternating with this one, so a before/after is one command.
Figures to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def one_round(url: str, home: str) -> dict[str, float]:
    """Build every athlete's summary once; seconds of wall and CPU, athletes, bytes of the last mail."""
    os.environ.update({"ADVISOR_HOME": home, "ADVISOR_DATABASE__URL": url})
    from advisor.bootstrap import Runtime
    from advisor.config import load_settings
    from advisor.mail.transport import build_message
    from advisor.render.summary import render_summary
    from advisor.services.athletes import list_athletes
    from advisor.services.summary import build_summary

    settings = load_settings()
    probe = Runtime(settings)
    names = [a.name for a in list_athletes(probe.db, settings) if a.name != settings.profile.name]
    probe.close()
    size = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for name in names:
        rt = Runtime.for_athlete(settings, name)
        rendered = build_summary(rt, render_summary)
        message = build_message(rendered.subject, "advisor@example.org", "r@example.org", rendered.text,
                                rendered.html, {"chart": rendered.png})  # fmt: skip
        size = len(message.as_bytes())
        rt.close()
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "athletes": len(names),
        "bytes": size,
    }


def in_child(against: str, url: str, home: str) -> dict[str, float]:
    """`one_round` with the other checkout's `advisor` first on the path, in a process of its own."""
    code = f"import json, summary_bench; print(json.dumps(summary_bench.one_round({url!r}, {home!r})))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([against, str(Path(__file__).parent)])}
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True, cwd=home)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(name: str, url: str, home: Path, args: argparse.Namespace) -> None:
    import team_bench

    started = time.perf_counter()
    activities = team_bench.seed(url, args.athletes, args.days)
    took = time.perf_counter() - started
    print(f"{name}: {args.athletes} athletes, {activities} activities (seeded in {took:.1f} s)")
    contenders = {"this checkout": lambda: in_child(str(Path(__file__).parents[1]), url, str(home))}
    if args.against:
        contenders[f"--against {args.against}"] = lambda: in_child(args.against, url, str(home))
    figures: dict[str, list[dict[str, float]]] = {label: [] for label in contenders}
    for _ in range(args.rounds):
        for label, run in contenders.items():
            figures[label].append(run())
    for label, rounds in figures.items():
        n = rounds[0]["athletes"]
        wall = statistics.median(r["wall"] for r in rounds) * 1000 / n
        cpu = statistics.median(r["cpu"] for r in rounds) * 1000 / n
        print(f"  {label:<40} {wall:7.1f} ms per athlete, CPU {cpu:7.1f} ms, a mail {rounds[0]['bytes'] / 1000:.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=200)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", help="another checkout's root, to compare with (its advisor package)")
    args = parser.parse_args()
    import team_bench

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "sqlite"
        home.mkdir()
        bench("SQLite", f"sqlite:///{home / 'advisor.db'}", home, args)
        pg = os.environ.get("ADVISOR_TEST_POSTGRES_URL")
        if pg:
            home = Path(tmp) / "postgresql"
            home.mkdir()
            with team_bench.postgres_schema(pg) as url:
                bench("PostgreSQL", url, home, args)
        else:
            print("PostgreSQL: skipped (set ADVISOR_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
