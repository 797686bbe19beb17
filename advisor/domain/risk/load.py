"""Acute:chronic distance ratios (the `weekly_spike` flag), shown as weak evidence.

Two ratios on daily running distance:
- **EWMA** (Williams et al., BJSM 2017): each day `e = λ·x + (1 − λ)·e_prev` with `λ = 2/(N+1)`, N = 7 (acute) and
  28 (chronic); the ratio is acute / chronic. Both averages are seeded with the mean daily distance of the first
  `min_history_days` days of history rather than 0: a zero seed makes the chronic average lag and every new runner
  look like they are spiking. No ratio is given before `min_history_days` days of history exist, so the seed only
  ever uses data on or before as_of.
- **Uncoupled rolling ratio**: the last 7 days' sum over the weekly average of the `rolling_chronic_days` (21) days
  before them, so the acute week is not part of its own baseline (Windt & Gabbett 2018).

The flag follows the EWMA ratio only; the rolling ratio is reported beside it. Both say "not enough history"
(None and a reason) instead of a number under four weeks of data. The acute:chronic model is contested
(Impellizzeri 2021) and Frandsen 2025 found no association for runners, so every message says it is weak evidence.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from advisor.domain.risk.aggregates import DailySeries, Units, dist, m1
from advisor.domain.risk.model import Flag
from advisor.domain.risk.sources import make_flag
from advisor.domain.risk.thresholds import Thresholds

WEEK = 7


class LoadRatios(BaseModel):
    """Acute:chronic figures as of a day. Distances in metres (EWMA values are metres per day)."""

    model_config = ConfigDict(frozen=True)

    history_days: int
    ewma_acute_m_per_day: float | None
    ewma_chronic_m_per_day: float | None
    ewma_ratio: float | None
    rolling_acute_m: float | None
    rolling_chronic_weekly_m: float | None
    rolling_ratio: float | None
    reason: str | None
    """Why the ratios are missing, in words; None when they are given."""
    evidence_strength: str = "weak"


def ewma_last(values: list[float], n_days: int, seed: float) -> float:
    """The EWMA after the last of `values`, λ = 2/(N+1), starting from `seed` (Williams 2017)."""
    lam = 2.0 / (n_days + 1)
    keep = 1.0 - lam
    e = seed
    for x in values:
        e = lam * x + keep * e
    return e


def load_ratios(series: DailySeries, t: Thresholds, day: date | None = None) -> LoadRatios:
    """EWMA and uncoupled rolling acute:chronic distance ratios at the end of `day` (default series.as_of).

    History starts at the first run inside the series, which itself starts a fixed distance before as_of, so the
    ratio never depends on how much older history happens to be stored."""
    day = day or series.as_of
    first = series.first_run_day
    history = (day - first).days + 1 if first is not None and first <= day else 0
    if history < t.min_history_days:
        return LoadRatios(
            history_days=history,
            ewma_acute_m_per_day=None,
            ewma_chronic_m_per_day=None,
            ewma_ratio=None,
            rolling_acute_m=None,
            rolling_chronic_weekly_m=None,
            rolling_ratio=None,
            reason=(
                f"Not enough history: {history} days of running logged, the acute:chronic ratio needs "
                f"{t.min_history_days}."
            ),
        )
    assert first is not None
    daily = series.distance_m[series.index(first) : series.index(day) + 1]
    seed = sum(daily[: t.min_history_days]) / t.min_history_days
    acute = ewma_last(daily, t.ewma_acute_days, seed)
    chronic = ewma_last(daily, t.ewma_chronic_days, seed)
    ewma_ratio = acute / chronic if chronic > 0 else None
    r_acute = series.total(series.distance_m, day, WEEK)
    r_chronic = (
        series.total(series.distance_m, day - timedelta(days=WEEK), t.rolling_chronic_days)
        * WEEK
        / t.rolling_chronic_days
    )
    rolling_ratio = r_acute / r_chronic if r_chronic > 0 else None
    reason = None
    if ewma_ratio is None or rolling_ratio is None:
        reason = "No running in the chronic window, so there is nothing to compare the last week with."
    return LoadRatios(
        history_days=history,
        ewma_acute_m_per_day=m1(acute),
        ewma_chronic_m_per_day=m1(chronic),
        ewma_ratio=round(ewma_ratio, 3) if ewma_ratio is not None else None,
        rolling_acute_m=m1(r_acute),
        rolling_chronic_weekly_m=m1(r_chronic),
        rolling_ratio=round(rolling_ratio, 3) if rolling_ratio is not None else None,
        reason=reason,
    )


def weekly_spike_flag(
    ratios: LoadRatios,
    usual_week_m: float | None,
    t: Thresholds,
    units: Units = "km",
    return_reference_m: float | None = None,
) -> Flag | None:
    """`weekly_spike` on the EWMA ratio: > acwr_high is high, > acwr_caution is caution; never without history.

    While a Return is open the last 7 days are compared with its reference instead of the usual week
    (`return_reference_m`, PRODUCT.md): the break or pause emptied the usual week, and a Return's level week is
    no spike.

    The daily EWMA ripples within a week (a steady runner's acute average peaks right after the long run), so the
    flag also needs the last 7 days to be above the usual week (the 28 days before them) by more than
    `weekly_spike_min_increase_pct`: a week no bigger than usual is not a weekly spike whatever the ripple says.
    This also keeps the advice consistent: while the flag is up the cap (≤ 1.1 × usual) is below the last 7 days.
    """
    r = ratios.ewma_ratio
    if r is None or r <= t.acwr_caution:
        return None
    weekly = ratios.rolling_acute_m or 0.0
    usual = return_reference_m if return_reference_m is not None else usual_week_m
    if usual is not None and weekly <= usual * (1 + t.weekly_spike_min_increase_pct / 100) + 0.05:
        return None
    severity = "high" if r > t.acwr_high else "caution"
    return make_flag(
        "weekly_spike",
        severity,
        (
            f"Your last 7 days ({dist(weekly, units)}) put your load at {r:.2f}× its longer-term average: a jump "
            "(weak evidence for runners)."
        ),
        {
            "ewma_ratio": r,
            "ewma_acute_m_per_day": ratios.ewma_acute_m_per_day,
            "ewma_chronic_m_per_day": ratios.ewma_chronic_m_per_day,
            "rolling_ratio": ratios.rolling_ratio,
            "rolling_acute_m": ratios.rolling_acute_m,
            "rolling_chronic_weekly_m": ratios.rolling_chronic_weekly_m,
            "caution_above": t.acwr_caution,
            "high_above": t.acwr_high,
            "history_days": ratios.history_days,
            "usual_week_m": m1(usual_week_m) if usual_week_m is not None else None,
            "return_reference_m": m1(return_reference_m) if return_reference_m is not None else None,
            "evidence_strength": "weak",
        },
    )
