"""Speed: `assess` over ten years of near-daily running must stay far below the 1 s `advisor status` budget."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from scenarios import DEFAULTS, PROFILE, pain, run, stairs

from advisor.advice import assess

BUDGET_S = 0.2


def ten_years(seed: int = 7):
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


def test_ten_years_is_fast():
    runs, entries, stair_days, as_of = ten_years()
    assert 3400 <= len(runs) <= 3600 and 900 <= len(entries) <= 1100
    assess(runs, entries, stair_days, PROFILE, DEFAULTS, as_of)  # warm-up (rehab TOML load, imports)
    best = min(_timed(runs, entries, stair_days, as_of) for _ in range(5))
    sizes = f"{len(runs)} runs, {len(entries)} pain entries, {len(stair_days)} stair days"
    print(f"assess over {sizes}: {best * 1000:.1f} ms")
    assert best < BUDGET_S


def _timed(runs, entries, stair_days, as_of) -> float:
    t0 = time.perf_counter()
    assess(runs, entries, stair_days, PROFILE, DEFAULTS, as_of)
    return time.perf_counter() - t0
