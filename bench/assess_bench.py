"""How long the pure knee engine (`assess`) takes over ten years of near-daily running — what `advisor status`
spends after reading the store. Moved here from the suite (issue 20): tests never time anything.

Ten years of seeded history (about 3,500 runs, 1,000 pain entries, 3,650 stair days); after a warm-up, `assess`
is timed `--rounds` times and the median and the best are printed.

    python bench/assess_bench.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from scenarios import DEFAULTS, PROFILE, pain, run, stairs

from advisor.domain.advice import assess


def ten_years(seed: int = 7) -> tuple[list, list, list, date]:
    rnd = random.Random(seed)
    start = date(2015, 1, 5)
    runs, entries, stair_days = [], [], []
    for i in range(3650):
        d = start + timedelta(days=i)
        if rnd.random() < 0.96:  # ~3,500 runs
            runs.append(
                run(
                    d,
                    rnd.uniform(4, 22),
                    descent_m=rnd.uniform(0, 400),
                    steep10_m=rnd.uniform(0, 600),
                    cadence=rnd.uniform(160, 185),
                )
            )
        if rnd.random() < 0.27:  # ~1,000 pain entries
            entries.append(pain(d, rnd.randint(0, 6), rnd.choice(["during", "after", "morning"])))
        stair_days.append(stairs(d, rnd.uniform(0, 30)))
    return runs, entries, stair_days, start + timedelta(days=3649)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    runs, entries, stair_days, as_of = ten_years()
    assess(runs, entries, stair_days, PROFILE, DEFAULTS, as_of)  # warm-up: the rehab TOML, imports
    times = []
    for _ in range(args.rounds):
        began = time.perf_counter()
        assess(runs, entries, stair_days, PROFILE, DEFAULTS, as_of)
        times.append(time.perf_counter() - began)
    sizes = f"{len(runs)} runs, {len(entries)} pain entries, {len(stair_days)} stair days"
    print(f"assess over {sizes}: median {statistics.median(times) * 1000:.1f} ms, best {min(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
