"""Phase 4, Build (PRODUCT.md "The weekly cap (Build)", `cap_next_run`, "History coverage").

Why the weekly cap is the *lowest* of its rules: the rules used to be applied one after another, each replacing the
last, so a later rule could raise what an earlier one had lowered — logging pain raised a cap (17.7 → 20 km), a
"step up of no more than 10 %" came out at +19 %. Here every rule that holds gives a ceiling, the cap is the lowest,
and its reason names the rule that set it, in one clause the runner reads beside the number.

History coverage: the runner's history starts at their first stored run; days before it are unknown, not zero. The
usual week is the average of the covered full weeks among the 4 before the last 7, and with under 7 days of history
there is no weekly cap. A newcomer who imports two weeks of 34 km used to be told "at most 9.3 km next week".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from advisor.domain.advice.rounding import floor_m
from advisor.domain.risk.aggregates import DailySeries, dist
from advisor.domain.risk.flags import RiskAssessment
from advisor.domain.risk.pain import PainEvent
from advisor.domain.risk.referral import settled
from advisor.domain.risk.spikes import downhill_week_high, stairs_week_high

if TYPE_CHECKING:
    from advisor.domain.advice.returning import Programme
    from advisor.domain.advice.settle import SettleEpisode

WEEK = 7
MIN_HISTORY_DAYS = 7


@dataclass(frozen=True, slots=True)
class Ceiling:
    """One rule's ceiling on the weekly cap: its value, the rule's code, and the clause that says why."""

    value: float
    basis: str
    reason: str


@dataclass(frozen=True, slots=True)
class CapsAt:
    """The caps as of the end of one day. None with a reason when there is no cap to give."""

    paused: bool
    weekly_m: float | None
    weekly_basis: str | None
    """step_up | hold | spike_limit | step_back | pain_threshold | reachable | return_to_run."""
    weekly_reason: str | None
    next_run_m: float | None
    next_run_basis: str | None
    """longest_run | single_run_pain_threshold | weekly_cap | return_to_run."""
    next_run_reason: str | None
    rest_days: int | None
    programme: Programme | None
    capped_by_reach: bool = False
    settle: SettleEpisode | None = None
    """Phase 2, Settle: no running until the knee has settled (caps None, `weekly_reason` says why)."""
    base_m: float | None = None
    """Build: the weekly cap's base (rule 1), what a step up or a hold is relative to."""


def history_days(risk: RiskAssessment, day: date) -> int:
    """Days from the first stored run to `day`, both included (0 with no run)."""
    first = risk.series.first_run_day
    return 0 if first is None or first > day else (day - first).days + 1


def covered_weeks(risk: RiskAssessment, day: date) -> list[tuple[float, int]]:
    """(distance, runs) of each covered full week among the 4 before the last 7 days ending `day`, most recent
    first: a week is covered when it starts on or after the first stored run."""
    return risk.series.covered_weeks_ending(day - timedelta(days=WEEK))


def build_caps(risk: RiskAssessment, day: date) -> CapsAt:
    """The Build caps for the 7 days after `day`."""
    t = risk.thresholds
    rest = t.rest_days
    next_run, n_basis, n_reason = next_run_cap(risk, day)
    if next_run is not None:
        next_run = floor_m(next_run)  # as shown: the reachable week is counted in runs of the printed cap
    if history_days(risk, day) < MIN_HISTORY_DAYS:
        days = history_days(risk, day)
        reason = (
            f"No weekly cap yet: {days} day{'s' * (days != 1)} of running is too little to tell your usual week — "
            "import your older runs (a Garmin or Strava export)."
        )
        return CapsAt(False, None, None, reason, next_run, n_basis, n_reason, rest, None)
    ceilings, base = _ceilings(risk, day)
    weeks = covered_weeks(risk, day)
    days = WEEK - rest
    if weeks:
        days = min(days, 1 + max(runs for _, runs in weeks))
    if next_run is not None:
        ceilings.append(
            Ceiling(
                next_run * days,
                "reachable",
                f"what {days} runs of at most {dist(next_run, risk.units)} can reach, with {rest} rest "
                f"day{'s' * (rest != 1)}",
            )
        )
    chosen = min(ceilings, key=lambda c: c.value)
    weekly = max(0.0, chosen.value)
    if next_run is not None and next_run > weekly:
        next_run, n_basis, n_reason = weekly, "weekly_cap", "no more than the whole week's cap"
    return CapsAt(
        False,
        floor_m(weekly),
        chosen.basis,
        chosen.reason,
        floor_m(next_run) if next_run is not None else None,
        n_basis,
        n_reason,
        rest,
        None,
        chosen.basis == "reachable",
        base_m=base,
    )


def _ceilings(risk: RiskAssessment, day: date) -> tuple[list[Ceiling], float]:
    """Rules 2-5 of PRODUCT.md's weekly cap, each as a ceiling when its condition holds; and rule 1's base."""
    t = risk.thresholds
    u = risk.units
    s = risk.series
    d7 = risk.last_7_days(day)
    usual = risk.usual_week(day)
    weeks = covered_weeks(risk, day)
    pain_28 = risk.pain_days.events_between(day - timedelta(days=4 * WEEK - 1), day)
    # 1. the base
    raised = ""
    if not usual:  # no covered week, or only empty ones: 1.3 × 0 would forbid any running at all
        base = d7
    else:
        base = min(d7, t.base_ceiling_factor * usual)
        steady = len(weeks) >= 3 and sum(1 for _, runs in weeks if runs > 0) >= 3 and not pain_28
        if steady and base < usual:
            base, raised = usual, f"your usual {dist(usual, u)} week"
        elif base < 0.5 * usual:
            base, raised = 0.5 * usual, f"half your usual {dist(usual, u)} week"
        elif d7 > t.base_ceiling_factor * usual:
            raised = f"{t.base_ceiling_factor:g} × your usual {dist(usual, u)} week"
    what = raised or f"your last 7 days ({dist(d7, u)})"
    # 2. step up, or hold until the knee's 24-hour response earns it
    pain_12 = risk.pain_days.events_between(day - timedelta(days=t.pain_window_weeks * WEEK - 1), day)
    tolerated = risk.pain_days.window_status(day, day, t) == "tolerated"
    ceilings: list[Ceiling] = []
    step = 1 + t.weekly_step_up_pct / 100
    if tolerated or not pain_12:
        ceilings.append(Ceiling(base * step, "step_up", f"{what} + {t.weekly_step_up_pct:g} %"))
    else:
        ceilings.append(Ceiling(base, "hold", f"hold at {what}: log how the knee feels after runs to earn a step up"))
    # 3. hold while a spike is up
    recent = day - timedelta(days=WEEK - 1)
    spike_runs = [
        sp.run for sp in risk.spikes if sp.tier in ("moderate", "large") and recent <= sp.run.local_day <= day
    ]
    weekly_spike = risk.weekly_spike_at(day)
    if weekly_spike or spike_runs:
        limit = base if usual is None else min(base, step * usual)
        ends = [r.local_day + timedelta(days=WEEK) for r in spike_runs]
        if weekly_spike:
            ends.append(_leaves(s, s.distance_m, day, lambda d: usual is None or d > step * usual))
        until = max(ends)
        ceilings.append(Ceiling(limit, "spike_limit", f"hold while your running's jump settles, to {until:%a %-d %b}"))
    if day == risk.as_of and (risk.has("downhill_spike") or risk.has("stairs_spike")):
        until = _hill_hold_until(risk, day)
        ceilings.append(Ceiling(base, "hold", f"hold while the downhill and stairs load settles, to {until:%a %-d %b}"))
    # 4. step back after a settled pain event in the last 7 days
    for event in _settled_recent(risk, day):
        at = s.total(s.distance_m, event.judged_day, WEEK)
        if at > 0:
            ceilings.append(
                Ceiling(
                    min(t.pain_run_step_back * at, d7),
                    "step_back",
                    f"{100 - t.pain_run_step_back * 100:g} % below the {dist(at, u)} week that hurt",
                )
            )
    # 5. always under the pain threshold
    threshold = risk.threshold_at(day)
    if threshold.distance_7d_m is not None:
        ceilings.append(
            Ceiling(
                t.threshold_factor * threshold.distance_7d_m,
                "pain_threshold",
                f"{t.threshold_factor * 100:g} % of the {dist(threshold.distance_7d_m, u)} week at which your knee "
                "has hurt",
            )
        )
    return ceilings, base


def _leaves(s: DailySeries, values: Sequence[float], day: date, high: Callable[[float], bool]) -> date:
    """PRODUCT.md: a hold says until when it lasts — the first day after `day` on which the last 7 days of `values`,
    with nothing more added, are no longer `high` (the day the load that set it leaves the last 7 days)."""
    for k in range(1, WEEK):
        if not high(s.total(values, day, WEEK - k)):  # the days of the last 7 still in the window k days on
            return day + timedelta(days=k)
    return day + timedelta(days=WEEK)


def _hill_hold_until(risk: RiskAssessment, day: date) -> date:
    """The day the descent or the stairs that raised `downhill_spike` / `stairs_spike` leave the last 7 days."""
    t, s = risk.thresholds, risk.series
    ends = [day + timedelta(days=1)]
    for f in risk.flags:
        if f.code == "downhill_spike":
            usual = float(f.evidence["usual_weekly_descent_m"] or 0.0)
            ends.append(_leaves(s, s.descent_m, day, lambda d, u=usual: downhill_week_high(d, u, t)))
            if f.evidence.get("run_day"):
                ends.append(date.fromisoformat(str(f.evidence["run_day"])) + timedelta(days=WEEK))
        elif f.code == "stairs_spike":
            usual = float(f.evidence["usual_weekly_floors_descended"] or 0.0)
            ends.append(_leaves(s, s.floors_down, day, lambda d, u=usual: stairs_week_high(d, u, t)))
    return max(ends)


def _settled_recent(risk: RiskAssessment, day: date) -> list[PainEvent]:
    """Settled pain events entered in the 7 days ending `day` (one not settled would be Settle, not Build)."""
    t = risk.thresholds
    recent = risk.pain_days.events_between(day - timedelta(days=WEEK - 1), day)
    known = [e for e in risk.events if e.entry.day <= day]
    return [e for e in recent if settled(e, known, day, t)]


def next_run_cap(risk: RiskAssessment, day: date) -> tuple[float | None, str | None, str | None]:
    """PRODUCT.md `cap_next_run` in Build: ≤ 1.10 × the longest run of the last 30 days that was not a session
    spike (only runs after the day the latest pain event judged, when one is in those 30 days and a run has followed
    it); ≤ 0.8 × the longest run of the 7 days up to a settled pain event of the last 7 days; ≤ 0.9 × the single-run
    threshold. (≤ the weekly cap is applied by `build_caps`.)"""
    t, s, u = risk.thresholds, risk.series, risk.units
    first = day - timedelta(days=t.session_lookback_days - 1)
    window = [sp for sp in risk.spikes if first <= sp.run.local_day <= day and sp.run.distance_m > 0]
    last_run = max((sp.run.local_day for sp in window), default=None)
    # the latest pain event of the 30 days that a run has followed: only the runs after it count (a later event no
    # run has followed yet changes nothing, so logging pain can never bring an older, longer run back)
    followed = [
        e.judged_day
        for e in risk.events
        if first <= e.judged_day <= day and e.entry.day <= day and last_run is not None and last_run > e.judged_day
    ]
    after = max(followed, default=None)
    candidates = [sp for sp in window if after is None or sp.run.local_day > after]
    if not candidates:
        return None, None, f"No runs in the last {t.session_lookback_days} days to build from: start short and easy."
    plain = [sp.run.distance_m for sp in candidates if sp.tier is None]
    longest = max(plain) if plain else min(sp.run.distance_m for sp in candidates)
    options = [
        (t.next_run_factor * longest, "longest_run", f"your longest recent run ({dist(longest, u)}) + 10 %"),
    ]
    for event in _settled_recent(risk, day):
        top = max(s.window(s.longest_run_m, event.judged_day, WEEK), default=0.0)
        if top > 0:
            options.append(
                (
                    t.pain_run_step_back * top,
                    "step_back",
                    f"{t.pain_run_step_back * 100:g} % of your {dist(top, u)} long run of the week that hurt",
                )
            )
    single = risk.threshold_at(day).single_run_m
    if single is not None:
        options.append(
            (
                t.threshold_factor * single,
                "single_run_pain_threshold",
                f"below the {dist(single, u)} run that has hurt before",
            )
        )
    value, basis, reason = min(options, key=lambda o: o[0])
    return value, basis, reason


__all__ = [
    "CapsAt",
    "build_caps",
    "covered_weeks",
    "floor_m",
    "history_days",
    "next_run_cap",
]
