"""The risk engine fed the most extreme values the import can store, and the import refusing the rest.

The import's plausibility gates are the guard in front of the engine (advisor/services/importing.py): on foot no
stored run exceeds 7 m/s for 72 h (1,814.4 km), no activity exceeds 30 days, and nothing non-finite is stored. These
tests give `assess` histories at and around those bounds (and zeros) and require every number it returns to be
finite; values beyond the bounds must fail at the import instead of reaching it.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from scenarios import DEFAULTS, pain, run

from advisor.domain.advice import assess
from advisor.domain.metrics.model import RunMetrics
from advisor.domain.metrics.plausibility import FOOT_MAX_DURATION_S, FOOT_MAX_MOVING_SPEED_MPS, implausible
from advisor.domain.risk.model import Profile

AS_OF = date(2025, 6, 30)
LONGEST_FOOT_KM = FOOT_MAX_MOVING_SPEED_MPS * FOOT_MAX_DURATION_S / 1000  # 1,814.4 km


def numbers(value: object):
    if isinstance(value, float | int) and not isinstance(value, bool):
        yield float(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from numbers(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from numbers(v)


def history(km: float, descent_m: float, cadence: float | None, pace_s_per_km: float) -> list:
    days = [AS_OF - timedelta(days=d) for d in range(0, 60, 3)]
    return [
        run(day, km if i % 4 == 0 else 0.001, descent_m=descent_m, steep10_m=km * 1000 if i % 5 == 0 else 0.0,
            cadence=cadence, pace_s_per_km=pace_s_per_km)
        for i, day in enumerate(days)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("km", "descent_m", "cadence", "pace"),
    [
        (LONGEST_FOOT_KM, 2_592_000.0, 400.0, 1000 / FOOT_MAX_MOVING_SPEED_MPS),  # at every bound at once
        (LONGEST_FOOT_KM, 0.0, None, 1000 / FOOT_MAX_MOVING_SPEED_MPS),
        (0.0, 0.0, 0.0, 0.0),  # zero-length, zero-time runs
        (1e-9, 1e-9, 1.0, 1e-9),
    ],
)
@pytest.mark.parametrize("with_pain", [False, True])
def test_assess_returns_only_finite_numbers_at_the_bounds(km, descent_m, cadence, pace, with_pain) -> None:
    runs = history(km, descent_m, cadence, pace)
    entries = [pain(AS_OF - timedelta(days=d), 6, "after") for d in (3, 12, 30)] if with_pain else []
    report = assess(runs, entries, [], Profile(), DEFAULTS, AS_OF).model_dump(mode="python")
    found = list(numbers(report))
    assert found and all(math.isfinite(x) for x in found)


def metrics(distance_m: float, moving_s: float, elapsed_s: float) -> RunMetrics:
    return RunMetrics(distance_m, elapsed_s, moving_s, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None, None, 0.0, "duration")


@pytest.mark.parametrize(
    ("m", "reason"),
    [
        (metrics(1e308 * 10, 3600.0, 3600.0), "is not a finite number"),
        (metrics(float("nan"), 3600.0, 3600.0), "is not a finite number"),
        (metrics(47_244_000.0, 3420.0, 3420.0), "faster than anyone moves on foot"),  # the 47,244 km
        (metrics(10_000.0, 108 * 365.25 * 86400, 108 * 365.25 * 86400), "longer than 72 h"),
        (metrics(LONGEST_FOOT_KM * 1000 + 1000, FOOT_MAX_DURATION_S, FOOT_MAX_DURATION_S), "faster than anyone"),
    ],
)
def test_values_beyond_the_bounds_never_pass_the_import_gate(m: RunMetrics, reason: str) -> None:
    problem = implausible(m, None, "running")
    assert problem is not None and reason in problem


def test_the_bounds_themselves_pass() -> None:
    assert (
        implausible(metrics(LONGEST_FOOT_KM * 1000, FOOT_MAX_DURATION_S, FOOT_MAX_DURATION_S), None, "running") is None
    )
    # PRODUCT.md: judged by timer (moving) time — a 25-minute run left paused for a month is a 25-minute run
    assert implausible(metrics(5_000.0, 1500.0, 30.7 * 86400), None, "running") is None
