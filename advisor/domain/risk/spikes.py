"""Volume jumps against the runner's own recent baseline: one long run, a hilly week, a week of stairs.

`session_spike` follows Frandsen, Nielsen et al. (BJSM 2025;59:1203): each run is compared with the longest run of
the 30 days before its start; more than 10 % longer is a spike (tiers 10-30 %, 30-100 %, > 100 %). The baseline is
the longest of *all* those runs, spikes included, as in the study: a runner who runs 8, 8, 8 and 14 km every week has
one spike — the first 14 km — and from then on the Sunday 14 km is their normal long run. A run with no run in the
30 days before it is not judged. The next-run cap leaves out only runs that were spikes by this definition.

The downhill, steep-downhill and stair rules compare the last 7 days with the runner's "usual": the weekly average
of the `baseline_days` (28) days *before* those 7 (uncoupled, so a big week does not dilute its own baseline).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from advisor.domain.risk.aggregates import DailySeries, Units, dist, elev, km, m1
from advisor.domain.risk.model import Flag, Run
from advisor.domain.risk.sources import make_flag
from advisor.domain.risk.thresholds import Thresholds

Tier = Literal["small", "moderate", "large"]
WEEK = 7
EPS_PCT = 1e-6
"""Tolerance on percentages so 11 km after 10 km (exactly +10 %) is not a spike because of float rounding."""
MIN_BASELINE_DAYS = 14
"""A 'usual' needs at least two weeks of history in the baseline window; less is too noisy to call a spike."""


@dataclass(frozen=True, slots=True)
class SessionSpike:
    """One run against its baseline. `baseline_m` is None when no run preceded it within the lookback."""

    run: Run
    baseline_m: float | None
    increase_pct: float | None
    tier: Tier | None


def spike_tier(increase_pct: float, t: Thresholds) -> Tier | None:
    """Tier of an increase; the lower bound of each tier is exclusive (exactly +10 % is no spike)."""
    if increase_pct > t.session_spike_large_pct + EPS_PCT:
        return "large"
    if increase_pct > t.session_spike_moderate_pct + EPS_PCT:
        return "moderate"
    if increase_pct > t.session_spike_small_pct + EPS_PCT:
        return "small"
    return None


def session_spikes(runs: Sequence[Run], t: Thresholds) -> list[SessionSpike]:
    """Classify every run (sorted by start) against the longest run of any kind in [start - lookback, start).

    A sliding-window maximum over a monotonic deque keeps this O(n). Runs sharing a start time are judged together,
    each only against runs strictly before it. (Every report runs this over its 200 days of runs, so the loop
    compares dates rather than building timedeltas per run.)
    """
    lookback = timedelta(days=t.session_lookback_days)
    window: deque[tuple[datetime, float]] = deque()  # runs of the window, distances strictly decreasing
    out: list[SessionSpike] = []
    # PRODUCT.md: a run is judged only when 14 of the 30 days before it are covered by the history
    judged_from = runs[0].local_day + timedelta(days=MIN_BASELINE_DAYS) if runs else None
    n = len(runs)
    i = 0
    while i < n:
        start = runs[i].start_utc
        j = i + 1
        while j < n and runs[j].start_utc == start:
            j += 1
        horizon = start - lookback
        while window and window[0][0] < horizon:
            window.popleft()
        baseline = window[0][1] if window else None
        if judged_from is not None and runs[i].local_day < judged_from:
            baseline = None
        group = runs[i:j]
        for run in group:
            if baseline is None or run.distance_m <= 0:
                out.append(SessionSpike(run, baseline, None, None))
                continue
            pct = (run.distance_m / baseline - 1.0) * 100.0
            out.append(SessionSpike(run, baseline, pct, spike_tier(pct, t)))
        for run in group:
            if run.distance_m > 0:
                while window and window[-1][1] <= run.distance_m:
                    window.pop()
                window.append((run.start_utc, run.distance_m))
        i = j
    return out


def runs_between(runs: Sequence[Run], first: date, last: date) -> list[Run]:
    """Runs (sorted by start) whose local day is in [first, last]. Bisect on UTC with a margin wider than any
    UTC offset, then filter on the local day, so this stays cheap over long histories."""
    lo_t = datetime.combine(first - timedelta(days=2), time.min, tzinfo=UTC)
    hi_t = datetime.combine(last + timedelta(days=2), time.min, tzinfo=UTC)
    lo = bisect_left(runs, lo_t, key=_start)
    hi = bisect_right(runs, hi_t, key=_start)
    return [r for r in runs[lo:hi] if first <= r.local_day <= last]


def _start(run: Run) -> datetime:
    return run.start_utc


def _recent_spikes(spikes: Sequence[SessionSpike], first: date) -> list[SessionSpike]:
    """Spikes (sorted by start) whose run's local day is on or after `first`, scanning back only that far."""
    horizon = datetime.combine(first - timedelta(days=2), time.min, tzinfo=UTC)
    out: list[SessionSpike] = []
    for s in reversed(spikes):
        if s.run.start_utc < horizon:
            break
        if s.run.local_day >= first:
            out.append(s)
    out.reverse()
    return out


def session_spike_flag(spikes: Sequence[SessionSpike], as_of: date, units: Units = "km") -> Flag | None:
    """The biggest session spike among runs of the last 7 days (one flag, the count in evidence)."""
    first = as_of - timedelta(days=WEEK - 1)
    recent = [s for s in _recent_spikes(spikes, first) if s.tier is not None and s.run.local_day <= as_of]
    if not recent:
        return None
    worst = max(recent, key=lambda s: (s.increase_pct or 0.0, s.run.start_utc))
    assert worst.baseline_m is not None and worst.increase_pct is not None
    pct = round(worst.increase_pct)
    severity = "high" if worst.tier == "large" else "caution"
    msg = (
        f"Your {dist(worst.run.distance_m, units)} run on {worst.run.local_day.isoformat()} was {pct} % longer than "
        f"your longest of the 30 days before ({dist(worst.baseline_m, units)}): a {worst.tier} jump."
    )
    return make_flag(
        "session_spike",
        severity,
        msg,
        {
            "activity_id": worst.run.activity_id,
            "run_day": worst.run.local_day.isoformat(),
            "run_distance_m": m1(worst.run.distance_m),
            "run_distance_km": km(worst.run.distance_m),
            "baseline_longest_run_m": m1(worst.baseline_m),
            "baseline_longest_run_km": km(worst.baseline_m),
            "increase_pct": round(worst.increase_pct, 1),
            "tier": worst.tier,
            "spike_runs_last_7_days": len(recent),
        },
    )


def next_run_baseline(spikes: Sequence[SessionSpike], as_of: date, t: Thresholds) -> tuple[float | None, bool]:
    """Longest run of the last `session_lookback_days` days ending as_of that was not itself a session spike, and
    whether spikes were left out.

    If every run in the window was a spike (possible only when each was judged against older, shorter runs), the
    shortest of them is used: nothing longer has been shown to be normal for this runner.
    """
    first = as_of - timedelta(days=t.session_lookback_days - 1)
    in_window = [s for s in _recent_spikes(spikes, first) if s.run.local_day <= as_of and s.run.distance_m > 0]
    plain = [s.run.distance_m for s in in_window if s.tier is None]
    skipped = len(plain) < len(in_window)
    if plain:
        return max(plain), skipped
    if in_window:
        return min(s.run.distance_m for s in in_window), skipped
    return None, False


# --- usual volumes -------------------------------------------------------------------------------------------------


def usual_weekly(series: DailySeries, values: Sequence[float], first_day: date | None, t: Thresholds) -> float | None:
    """Weekly average of `values` over the baseline window (the `baseline_days` before the last 7 days).

    Counts only days since `first_day` (the start of the runner's history), so a new runner's average is not
    diluted by the empty weeks before they started; None with under two weeks of baseline history.
    """
    if first_day is None:
        return None
    end = series.as_of - timedelta(days=WEEK)
    start = max(end - timedelta(days=t.baseline_days - 1), first_day)
    days = (end - start).days + 1
    if days < MIN_BASELINE_DAYS:
        return None
    return series.total(values, end, days) * WEEK / days


def _ratio(value: float, usual: float) -> float | None:
    return round(value / usual, 2) if usual > 0 else None


def downhill_week_high(descent_7d: float, usual: float, t: Thresholds) -> bool:
    """A 7-day descent well above the usual week: over `downhill_week_factor` × it and `downhill_min_week_excess_m`
    above it (a weekly hill session is the runner's normal)."""
    return (
        descent_7d >= t.downhill_min_week_descent_m
        and descent_7d > t.downhill_week_factor * usual
        and descent_7d - usual >= t.downhill_min_week_excess_m
    )


def stairs_week_high(floors_7d: float, usual: float, t: Thresholds) -> bool:
    """7-day floors descended well above the usual week (× `stairs_week_factor` and `stairs_min_week_excess_floors`
    above it)."""
    return (
        floors_7d >= t.stairs_min_week_floors
        and floors_7d > t.stairs_week_factor * usual
        and floors_7d - usual >= t.stairs_min_week_excess_floors
    )


def downhill_spike_flag(series: DailySeries, t: Thresholds, units: Units = "km") -> Flag | None:
    """Descent (runs, walks, hikes) of the last 7 days vs usual, or one run descending far more than usual."""
    as_of = series.as_of
    acute = series.total(series.descent_m, as_of, WEEK)
    usual = usual_weekly(series, series.descent_m, series.first_foot_day, t)
    if usual is None:
        return None
    evidence: dict[str, float | int | str | bool | None] = {
        "descent_7d_m": m1(acute),
        "usual_weekly_descent_m": m1(usual),
        "ratio": _ratio(acute, usual),
        "factor": t.downhill_week_factor,
    }
    week_hit = downhill_week_high(acute, usual, t)
    # single runs against the *largest* single-run descent of the baseline window: judged against the average per
    # run, a weekly hill session was a spike every week although it is the runner's normal (issue 18, finding 4)
    base_end = as_of - timedelta(days=WEEK)
    base_runs = runs_between(series.run_list, base_end - timedelta(days=t.baseline_days - 1), base_end)
    run_hit = None
    if base_runs:
        largest = max(r.descent_m for r in base_runs)
        recent = runs_between(series.run_list, as_of - timedelta(days=WEEK - 1), as_of)
        hits = [
            r
            for r in recent
            if r.descent_m >= t.downhill_min_run_descent_m and r.descent_m > t.downhill_run_factor * largest
        ]
        if hits:
            run_hit = max(hits, key=lambda r: (r.descent_m, r.start_utc))
            evidence |= {
                "activity_id": run_hit.activity_id,
                "run_day": run_hit.local_day.isoformat(),
                "run_descent_m": m1(run_hit.descent_m),
                "largest_run_descent_m": m1(largest),
                "run_factor": t.downhill_run_factor,
            }
    if not week_hit and run_hit is None:
        return None
    if week_hit:
        msg = (
            f"You descended {elev(acute, units)} in the last 7 days, well above your usual {elev(usual, units)} a "
            "week — downhill running brakes hard through the bent knee."
        )
    else:
        assert run_hit is not None
        msg = (
            f"Your run on {run_hit.local_day.isoformat()} descended {elev(run_hit.descent_m, units)}, more than "
            "twice your biggest descent of the 4 weeks before — downhill running brakes hard through the bent knee."
        )
    return make_flag("downhill_spike", "caution", msg, evidence)


def steep_downhill_flag(series: DailySeries, t: Thresholds, units: Units = "km") -> Flag | None:
    """Distance on grades steeper than -10 % in 7 days: over 1 km while in pain, or over 2 × usual."""
    as_of = series.as_of
    acute = series.total(series.steep_downhill_m, as_of, WEEK)
    worst = max(series.window(series.worst_pain, as_of, WEEK), default=-1)
    in_pain = worst > t.pain_acceptable
    usual = usual_weekly(series, series.steep_downhill_m, series.first_foot_day, t)
    pain_hit = in_pain and acute > t.steep_downhill_with_pain_m
    ratio_hit = usual is not None and acute >= t.steep_downhill_min_m and acute > t.steep_downhill_factor * usual
    if not (pain_hit or ratio_hit):
        return None
    if pain_hit:
        msg = (
            f"You covered {dist(acute, units)} on steep descents (steeper than -10 %) in the last 7 days while your "
            "knee hurts — walk the steep downhills for now."
        )
    else:
        msg = (
            f"You covered {dist(acute, units)} on steep descents (steeper than -10 %) in the last 7 days, more than "
            "twice your usual — steep downhills load the knee most."
        )
    return make_flag(
        "steep_downhill",
        "high" if pain_hit else "caution",
        msg,
        {
            "steep_downhill_7d_m": m1(acute),
            "steep_downhill_7d_km": km(acute),
            "usual_weekly_steep_downhill_m": m1(usual) if usual is not None else None,
            "ratio": _ratio(acute, usual) if usual is not None else None,
            "worst_pain_7d": worst if worst >= 0 else None,
            "with_pain_limit_m": t.steep_downhill_with_pain_m,
            "factor": t.steep_downhill_factor,
        },
    )


def stairs_spike_flag(series: DailySeries, t: Thresholds) -> Flag | None:
    """Floors descended in the last 7 days vs the usual weekly floors (days with stair data only)."""
    as_of = series.as_of
    end = as_of - timedelta(days=WEEK)
    known = series.window(series.floors_known, end, t.baseline_days)
    floors = series.window(series.floors_down, end, t.baseline_days)
    known_days = sum(known)
    if known_days < MIN_BASELINE_DAYS:
        return None  # PRODUCT.md: judged only when 14 of the 28 baseline days have stair data
    usual = sum(f for f, k in zip(floors, known, strict=True) if k) / known_days * WEEK
    acute = series.total(series.floors_down, as_of, WEEK)
    if not stairs_week_high(acute, usual, t):
        return None
    return make_flag(
        "stairs_spike",
        "caution",
        (
            f"You went down {acute:.0f} floors of stairs in the last 7 days, well above your usual {usual:.0f} a "
            "week — stairs load the kneecap far more than level walking."
        ),
        {
            "floors_descended_7d": round(acute, 1),
            "usual_weekly_floors_descended": round(usual, 1),
            "ratio": _ratio(acute, usual),
            "factor": t.stairs_week_factor,
            "baseline_days_with_data": known_days,
        },
    )
