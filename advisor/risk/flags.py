"""All knee-risk flags as of one day, plus the intermediate results the advice is built from.

`evaluate` is the risk stage of the pipeline: it lays the data on local days once, runs every rule, and orders the
flags the way a runner should read them — red flags first, then by severity, then in a fixed order — so the same
input always gives the same list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from advisor.risk.aggregates import DailySeries, build_daily
from advisor.risk.load import LoadRatios, load_ratios, weekly_spike_flag
from advisor.risk.model import Flag, PainEntry, Run, StairDay, Thresholds
from advisor.risk.pain import (
    PainEvent,
    PainThreshold,
    over_pain_threshold_flag,
    pain_events,
    pain_not_improving_flag,
    pain_reported_flag,
    pain_threshold,
    red_flag,
    sort_pain,
)
from advisor.risk.spikes import (
    SessionSpike,
    downhill_spike_flag,
    runs_between,
    session_spike_flag,
    session_spikes,
    stairs_spike_flag,
    steep_downhill_flag,
)

FLAG_ORDER = (
    "red_flag",
    "pain_not_improving",
    "pain_reported",
    "over_pain_threshold",
    "session_spike",
    "weekly_spike",
    "downhill_spike",
    "steep_downhill",
    "stairs_spike",
    "low_cadence",
)
"""Every flag code the engine emits, in reading order within a severity."""
SEVERITY_RANK = {"high": 0, "caution": 1, "info": 2}
WEEK = 7


def low_cadence_flag(series: DailySeries, t: Thresholds) -> Flag | None:
    """Average cadence of the last 7 days' runs (weighted by moving time) at or below `low_cadence_spm`."""
    recent = [
        r
        for r in runs_between(series.run_list, series.as_of - timedelta(days=WEEK - 1), series.as_of)
        if r.avg_cadence_spm is not None and r.avg_cadence_spm > 0
    ]
    if not recent:
        return None
    # Cadence is steps per minute, so a 90-minute run says three times as much as a 30-minute one.
    weights = [r.moving_s if r.moving_s > 0 else max(r.elapsed_s, 1.0) for r in recent]
    avg = math.fsum(r.avg_cadence_spm * w for r, w in zip(recent, weights, strict=True)) / math.fsum(weights)  # type: ignore[operator]
    if avg > t.low_cadence_spm:
        return None
    lo = avg * (1 + t.cadence_raise_low_pct / 100)
    hi = avg * (1 + t.cadence_raise_high_pct / 100)
    return Flag(
        code="low_cadence",
        severity="info",
        message=(
            f"Your running cadence averaged {avg:.0f} steps per minute this week; a slightly quicker, shorter step "
            f"({lo:.0f}-{hi:.0f}) takes load off the kneecap."
        ),
        evidence={
            "avg_cadence_spm": round(avg, 1),
            "runs_with_cadence": len(recent),
            "low_cadence_spm": t.low_cadence_spm,
            "target_low_spm": round(lo, 1),
            "target_high_spm": round(hi, 1),
        },
    )


@dataclass(slots=True)
class RiskAssessment:
    """What the risk stage found; the advice stage reads these rather than recomputing them."""

    as_of: date
    series: DailySeries
    spikes: list[SessionSpike]
    pain: list[PainEntry]
    """Pain entries on or before as_of, sorted by (day, id)."""
    events: list[PainEvent]
    threshold: PainThreshold
    ratios: LoadRatios
    flags: list[Flag]

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.flags)


def order_flags(flags: Iterable[Flag]) -> list[Flag]:
    return sorted(
        flags,
        key=lambda f: (f.code != "red_flag", SEVERITY_RANK[f.severity], FLAG_ORDER.index(f.code)),
    )


def evaluate(
    runs: Iterable[Run],
    pain: Iterable[PainEntry],
    stairs: Iterable[StairDay],
    as_of: date,
    thresholds: Thresholds,
) -> RiskAssessment:
    """Run every knee-risk rule on the data on or before `as_of`."""
    t = thresholds
    pain = list(pain)
    series = build_daily(runs, pain, stairs, as_of, t)
    entries = sort_pain([p for p in pain if p.day <= as_of])
    events = pain_events(entries, t)
    spikes = session_spikes(series.run_list, t)
    threshold = pain_threshold(series, entries, events, t)
    ratios = load_ratios(series, t)
    candidates = [
        red_flag(entries, as_of, t),
        pain_not_improving_flag(entries, as_of, t),
        pain_reported_flag(entries, events, as_of, t),
        over_pain_threshold_flag(series, threshold),
        session_spike_flag(spikes, as_of),
        weekly_spike_flag(ratios, t),
        downhill_spike_flag(series, t),
        steep_downhill_flag(series, t),
        stairs_spike_flag(series, t),
        low_cadence_flag(series, t),
    ]
    flags = order_flags(f for f in candidates if f is not None)
    return RiskAssessment(as_of, series, spikes, entries, events, threshold, ratios, flags)
