"""Import benchmark: files/s, records/s, peak memory, and the cost of a whole import against a bare decode.

    .venv/bin/python bench/import_bench.py [--files 300] [--backend fitdecode|fitparse|both]

Generates realistic one-hour runs once (1 Hz records with heart rate, cadence and barometric altitude noise over
rolling hills; cached in bench/out/), then for each backend:
- bare decode: the library reads every frame of every file and nothing else;
- import: `advisor.usecases.importing.import_paths` into a fresh SQLite database (hashing, decoding into our model,
  metrics, one transaction per file);
and prints their ratio (target: import <= 1.15 x bare decode). Peak memory is measured in child processes importing
a quarter of the files and all of them (ru_maxrss): it must not grow with the number of files.
Timings are figures to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "tests"))


def generate(count: int) -> list[Path]:
    """One-hour runs at 1 Hz: 10-14 km over rolling hills, different each day; cached by count."""
    import math

    from fitgen import Point, write_activity

    folder = OUT / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    start = datetime(2020, 1, 1, 6, 0, tzinfo=UTC)
    for i in range(count):
        path = folder / f"run-{i:04d}.fit"
        paths.append(path)
        if path.exists():
            continue
        speed = 2.8 + (i % 7) * 0.15
        points = []
        for t in range(3600):
            distance = speed * t
            altitude = 200 + 25 * math.sin(distance / 700 + i) + 0.3 * math.sin(t * 1.7)
            hr = 135 + int(15 * math.sin(t / 400))
            points.append(Point(float(t), distance, altitude, speed, hr, 84.0 + (t % 5) * 0.25))
        write_activity(path, points, start=start + timedelta(days=i), serial_number=3000 + i)
        print(f"\rgenerated {i + 1}/{count}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return paths


def bare_decode(paths: list[Path], backend: str) -> tuple[float, int]:
    """Seconds to read every frame with the library alone, and the number of record messages."""
    records = 0
    started = time.perf_counter()
    for path in paths:
        if backend == "fitdecode":
            import fitdecode

            with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.RAISE) as reader:
                for frame in reader:
                    if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "record":
                        records += 1
        else:
            import fitparse

            for message in fitparse.FitFile(str(path)).get_messages():
                if message.name == "record":
                    records += 1
    return time.perf_counter() - started, records


def import_all(paths: list[Path], backend: str) -> float:
    from advisor.store.db import default_athlete_id, open_database
    from advisor.usecases.importing import ImportContext, import_paths

    with tempfile.TemporaryDirectory() as home:
        db = open_database(f"sqlite:///{home}/bench.db")
        ctx = ImportContext(db=db, athlete_id=default_athlete_id(db), decoder=backend)
        started = time.perf_counter()
        summary = import_paths(ctx, paths)
        elapsed = time.perf_counter() - started
        db.dispose()
    if summary.count("imported") != len(paths):
        raise SystemExit(f"benchmark import did not import every file: {summary.line()}")
    return elapsed


def child_peak_rss(count: int, backend: str) -> float:
    """Peak resident memory (MiB) of a fresh process importing the first `count` files."""
    code = (
        "import sys, json, resource; sys.path.insert(0, 'bench'); import import_bench as b;"
        f"paths = b.generate({count}); b.import_all(paths, {backend!r});"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(result.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--backend", choices=("fitdecode", "fitparse", "both"), default="both")
    args = parser.parse_args()
    paths = generate(args.files)
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} one-hour runs, {size / 1e6:.1f} MB, python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    backends = ("fitdecode", "fitparse") if args.backend == "both" else (args.backend,)
    figures = {}
    for backend in backends:
        bare_s, records = bare_decode(paths, backend)
        import_s = import_all(paths, backend)
        small = child_peak_rss(max(1, len(paths) // 4), backend)
        full = child_peak_rss(len(paths), backend)
        figures[backend] = {
            "bare_decode_s": round(bare_s, 2),
            "import_s": round(import_s, 2),
            "import_over_bare": round(import_s / bare_s, 3),
            "files_per_s": round(len(paths) / import_s, 1),
            "records_per_s": round(records / import_s),
            "peak_rss_mib_quarter": round(small, 1),
            "peak_rss_mib_all": round(full, 1),
        }
        print(
            f"{backend:>9}: bare decode {bare_s:6.2f} s | import {import_s:6.2f} s = {import_s / bare_s:.3f} x bare | "
            f"{len(paths) / import_s:5.1f} files/s | {records / import_s:8.0f} records/s | "
            f"peak RSS {small:.0f} MiB ({len(paths) // 4} files) vs {full:.0f} MiB ({len(paths)} files)"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
