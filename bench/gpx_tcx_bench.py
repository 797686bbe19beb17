"""How fast the GPX and TCX path is: records (track points) per second, median of several rounds.

Writes a one-hour run (1 Hz, heart rate, cadence, altitude noise) as GPX 1.1 and as TCX, then times, per format:
the bare decode (`decode_activity`), decode + plausibility gate (which computes the geodesic distance for GPX) +
metrics, and the same for the FIT file of the same run as the reference. Prints the figures; tests never time.

    python bench/gpx_tcx_bench.py [--minutes 60] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fitgen import track_from_segments, write_activity
from xmlgen import gpx, tcx

from advisor.domain.metrics import HeartRateProfile, compute_run_metrics
from advisor.domain.metrics.plausibility import gate_stream
from advisor.ingest.decode import decode_activity


def median_seconds(step: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        step()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(data: bytes, name: str) -> None:
    decoded = decode_activity(data, name)
    session = decoded.sessions[0]
    gated = gate_stream(decoded.records, session.sport, session.sub_sport)
    compute_run_metrics(gated.records, session.sport, HeartRateProfile(), session)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    points = track_from_segments([(args.minutes * 60 * 3.0 / 3, 0.0), (args.minutes * 60 * 3.0 / 3, -0.06),
                                  (args.minutes * 60 * 3.0 / 3, 0.06)], speed=3.0, noise_m=0.3, seed=1)  # fmt: skip
    files = {"fit": write_activity(None, points), "gpx": gpx(points), "tcx": tcx(points)}
    n = len(points)
    print(f"{n} records ({args.minutes} min at 1 Hz), median of {args.rounds} rounds")
    print(f"{'format':<6} {'size KiB':>9} {'decode rec/s':>13} {'decode+gate+metrics rec/s':>26}")
    for kind, data in files.items():
        name = f"run.{kind}"
        decode_s = median_seconds(lambda data=data, name=name: decode_activity(data, name), args.rounds)
        full_s = median_seconds(lambda data=data, name=name: measure(data, name), args.rounds)
        print(f"{kind:<6} {len(data) / 1024:>9.0f} {n / decode_s:>13,.0f} {n / full_s:>26,.0f}")


if __name__ == "__main__":
    main()
