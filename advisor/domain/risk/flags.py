"""All knee-risk flags as of one day, plus the intermediate results the advice is built from.

`evaluate` is the risk stage of the pipeline: it lays the data on local days once, runs every rule, and orders the
flags the way a runner should read them — red flags first, then by severity, then in a fixed order — so the same
input always gives the same list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from advisor.domain.risk.aggregates import DailySeries, Units, build_daily
from advisor.domain.risk.load import LoadRatios, load_ratios, weekly_spike_flag
from advisor.domain.risk.model import Assessment, Flag, PainEntry, Run, StairDay
from advisor.domain.risk.pain import (
    PainThreshold,
    over_pain_threshold_flag,
    pain_events,
    pain_reported_flag,
    pain_threshold,
    sort_pain,
)
from advisor.domain.risk.pain_days import PainDays, PainEvent, pain_days
from advisor.domain.risk.referral import (
    NotImproving,
    RedFlagState,
    new_pain,
    not_improving,
    pain_not_improving_flag,
    red_flag,
    red_flag_state,
)
from advisor.domain.risk.sources import make_flag
from advisor.domain.risk.spikes import (
    SessionSpike,
    downhill_spike_flag,
    runs_between,
    session_spike_flag,
    session_spikes,
    stairs_spike_flag,
    steep_downhill_flag,
)
from advisor.domain.risk.thresholds import Thresholds

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
    return make_flag(
        "low_cadence",
        "info",
        (
            f"Cadence averaged {avg:.0f} steps/min this week; a quicker, shorter step ({lo:.0f}-{hi:.0f}) takes load "
            "off the kneecap."
        ),
        {
            "avg_cadence_spm": round(avg, 1),
            "runs_with_cadence": len(recent),
            "low_cadence_spm": t.low_cadence_spm,
            "target_low_spm": round(lo, 1),
            "target_high_spm": round(hi, 1),
        },
    )


@dataclass(slots=True)
class RiskAssessment:
    """What the risk stage found; the advice stage reads these rather than recomputing them.

    The `*_at(day)` methods answer for an earlier day with only what was known then, which is how the advice stage
    finds the cap that was issued on a past Monday.
    """

    as_of: date
    thresholds: Thresholds
    series: DailySeries
    spikes: list[SessionSpike]
    pain: list[PainEntry]
    """Every pain entry on or before as_of, sorted by (day, id): red flags and new pain read the whole log."""
    assessments: list[Assessment]
    events: list[PainEvent]
    pain_days: PainDays
    threshold: PainThreshold
    ratios: LoadRatios
    red_flags: RedFlagState
    not_improving: NotImproving | None
    flags: list[Flag]
    units: Units = "km"
    """Distances in sentences follow the runner's units; numbers stay SI."""
    _thresholds_at: dict[date, PainThreshold] = field(default_factory=dict)
    memo: dict[str, object] = field(default_factory=dict)
    """What the advice stage derives once per report and reads for many days (the Settle episodes)."""

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.flags)

    def usual_week(self, day: date) -> float | None:
        """PRODUCT.md's usual week: the average weekly distance of the covered full weeks among the 4 before the
        last 7 days ending `day` (None with none)."""
        return self.series.usual_week_ending(day - timedelta(days=WEEK))

    def last_7_days(self, day: date) -> float:
        return self.series.total(self.series.distance_m, day, WEEK)

    def threshold_at(self, day: date) -> PainThreshold:
        if day == self.as_of:
            return self.threshold
        found = self._thresholds_at.get(day)
        if found is None:
            found = self._thresholds_at[day] = pain_threshold(self.pain_days, day, self.thresholds)
        return found

    def weekly_spike_at(self, day: date) -> bool:
        if day == self.as_of:
            return self.has("weekly_spike")
        ratios = load_ratios(self.series, self.thresholds, day)
        return weekly_spike_flag(ratios, self.usual_week(day), self.thresholds) is not None

    def session_spike_tiers_at(self, day: date) -> set[str]:
        """Tiers of the session spikes among runs of the 7 days ending `day`."""
        first = day - timedelta(days=WEEK - 1)
        return {s.tier for s in self.spikes if s.tier is not None and first <= s.run.local_day <= day}

    def red_flags_at(self, day: date) -> RedFlagState:
        if day == self.as_of:
            return self.red_flags
        return red_flag_state(self.pain, self.assessments, day, self.thresholds)


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
    assessments: Iterable[Assessment] = (),
    units: Units = "km",
) -> RiskAssessment:
    """Run every knee-risk rule on the data on or before `as_of`."""
    t = thresholds
    entries = sort_pain([p for p in pain if p.day <= as_of])
    done = sorted((a for a in assessments if a.day <= as_of), key=lambda a: (a.day, a.id))
    series = build_daily(runs, entries, stairs, as_of, t)
    events = pain_events(entries, t)
    pd = pain_days(series, entries, events)
    spikes = session_spikes(series.run_list, t)
    threshold = pain_threshold(pd, as_of, t)
    ratios = load_ratios(series, t)
    usual = series.usual_week_ending(as_of - timedelta(days=WEEK))
    red = red_flag_state(entries, done, as_of, t)
    pattern = not_improving(events, entries, as_of, t)
    candidates = [
        red_flag(red, as_of, t),
        pain_not_improving_flag(pattern, t),
        pain_reported_flag(pd, as_of, t, first_to_watch=new_pain(events, done, as_of, t) == "watch"),
        over_pain_threshold_flag(pd, as_of, t, units),
        session_spike_flag(spikes, as_of, units),
        weekly_spike_flag(ratios, usual, t, units),
        downhill_spike_flag(series, t, units),
        steep_downhill_flag(series, t, units),
        stairs_spike_flag(series, t),
        low_cadence_flag(series, t),
    ]
    flags = order_flags(f for f in candidates if f is not None)
    return RiskAssessment(
        as_of, t, series, spikes, entries, done, events, pd, threshold, ratios, red, pattern, flags, units
    )
