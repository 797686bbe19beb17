"""The next 7 days' caps (PRODUCT.md "The weekly cap", "Return to running"), as of any day.

`caps_at(risk, day)` is a pure function of what was known at the end of `day`, so the same code gives this week's
caps and the cap that was issued on an earlier Monday (which `pain_not_improving` checks the runner kept to).

The weekly cap, in order: a base held between the usual week and 1.3 × it (when the four weeks before the last 7
each had a run); a step up of 10 % when the last 7 days were tolerated or no pain happened in 12 weeks, else a hold;
no more than 1.1 × the usual week while a spike is up; a step back after pain in the last 7 days that never exceeds
what the runner has been doing; a break starts `return_to_run`; and always ≤ 0.9 × the pain threshold and reachable
with next-run-sized runs on the days left after the rest days. Caps are floored to whole metres so a cap derived
from 0.9 × the threshold never ends a float crumb above it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from advisor.advice.settle import SettleEpisode, settle_episodes, settle_on
from advisor.risk.flags import RiskAssessment
from advisor.risk.model import Thresholds
from advisor.risk.spikes import next_run_baseline

WEEK = 7


def floor_m(x: float) -> float:
    return float(math.floor(x + 1e-6))


@dataclass(frozen=True, slots=True)
class Programme:
    """A graded restart in progress: week `week` (0-based) of the programme that began on `start`."""

    start: date
    week: int
    reference_m: float
    """The level it returns to: the tolerated level, else the usual week before the break or flag."""
    cap_m: float
    cause: str
    """break | red_flag | clearance."""


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


def _paused(reason: str) -> CapsAt:
    return CapsAt(True, None, None, reason, None, None, reason, None, None)


def rest_days_at(risk: RiskAssessment, day: date) -> int:
    t = risk.thresholds
    recent = risk.pain_days.events_between(day - timedelta(days=WEEK - 1), day)
    return t.rest_days_after_pain if any(e.entry.score >= t.rest_days_pain_score for e in recent) else t.rest_days


def _in_break(risk: RiskAssessment, day: date) -> bool:
    """No run in `break_days`, or pain in them with the last 7 days under half the usual week."""
    s, t = risk.series, risk.thresholds
    if s.index(day) - t.break_days + 1 < 0:
        return False
    if sum(s.window(s.runs, day, t.break_days)) == 0:
        return any(s.runs[: s.index(day) + 1])  # a break needs running before it; no data at all is not a break
    pain = risk.pain_days.events_between(day - timedelta(days=t.break_days - 1), day)
    return bool(pain) and risk.last_7_days(day) < 0.5 * risk.usual_week(day)


def _reference(risk: RiskAssessment, began: date, known: date) -> float:
    """PRODUCT.md "Return to running": the usual week of the 4 weeks before the episode began, but not more than
    `threshold_factor` × the pain threshold in force when it was known (that event included). The tolerated level
    is information for the report, never a reference (it sets no cap)."""
    before = began - timedelta(days=1)
    usual = risk.series.total(risk.series.distance_m, before, 4 * WEEK) / 4
    threshold = risk.threshold_at(known).distance_7d_m if risk.series.index(known) >= 0 else None
    if threshold is not None:
        usual = min(usual, risk.thresholds.threshold_factor * threshold)
    return usual


def programme_at(risk: RiskAssessment, day: date) -> Programme | None:
    """The return_to_run programme in progress on `day`, or None (never started, or ended at its reference)."""
    t = risk.thresholds
    starts: list[tuple[date, date, str]] = []  # (programme start, when the trouble began, cause)
    red = risk.red_flags_at(day)
    if red.status == "open" and red.pause_end is not None and red.pause_end <= day and red.flag_day is not None:
        starts.append((red.pause_end, red.flag_day, "red_flag"))
    if red.status == "none" and red.cleared_on is not None and red.flag_day is not None:
        starts.append((red.cleared_on, red.flag_day, "clearance"))
    settled_before = [e for e in settle_episodes(risk) if e.end is not None and e.end <= day]
    if settled_before:
        last = settled_before[-1]
        assert last.end is not None
        starts.append((last.end, last.began, "settle"))
    scan_from = max(day - timedelta(weeks=t.return_max_weeks), risk.series.origin + timedelta(days=t.break_days))
    last_break: date | None = None
    probe = day
    while probe >= scan_from:
        if _in_break(risk, probe):
            last_break = probe
            break
        probe -= timedelta(days=1)
    if last_break is not None:
        first = last_break
        while first - timedelta(days=1) >= scan_from and _in_break(risk, first - timedelta(days=1)):
            first -= timedelta(days=1)
        began = first - timedelta(days=t.break_days - 1)
        starts.append((last_break if last_break == day else last_break + timedelta(days=1), began, "break"))
    starts = [s for s in starts if day - s[0] < timedelta(weeks=t.return_max_weeks)]
    if not starts:
        return None
    start, began, cause = max(starts, key=lambda s: s[0])
    reference = _reference(risk, began, min(start, day))
    if reference <= 0:
        return None
    week = max(0, (day - start).days // WEEK)
    step = 0
    for j in range(week):
        end = start + timedelta(days=WEEK * j + WEEK - 1)
        status = risk.pain_days.window_status(end, day, t)
        if status == "tolerated":
            step += 1
        elif status == "painful":
            step = max(0, step - 1)
    cap = reference * t.return_start_pct / 100 * (1 + t.return_step_pct / 100) ** step
    if cap >= reference:
        return None
    return Programme(start, week, reference, cap, cause)


def caps_at(risk: RiskAssessment, day: date) -> CapsAt:
    """Weekly and next-run caps and rest days for the 7 days after `day`, from what was known at its end."""
    t = risk.thresholds
    red = risk.red_flags_at(day)
    if red.paused(day):
        if red.status == "awaiting_clearance":
            return _paused(
                "Running advice is paused until your clinician clears you to run (`advisor pain assessed --cleared`)."
            )
        words = ", ".join(s.replace("_", " ") for s in red.signs)
        return _paused(f"Running advice is paused until a clinician has looked at the knee: you reported {words}.")
    episode = settle_on(risk, day)
    if episode is not None:
        reason = settle_reason(episode, t)
        return CapsAt(False, None, "settle", reason, None, "settle", None, None, None, settle=episode)
    threshold = risk.threshold_at(day)
    limit = t.threshold_factor * threshold.distance_7d_m if threshold.distance_7d_m is not None else None
    programme = programme_at(risk, day)
    if programme is not None:
        cap = programme.cap_m if limit is None else min(programme.cap_m, limit)
        cap = floor_m(cap)
        single = threshold.single_run_m
        run_cap = floor_m(cap / 3 if single is None else min(cap / 3, t.threshold_factor * single))
        rest = WEEK // 2  # every other day at most: 4 runs and 3 rest days in 7
        cap = min(cap, run_cap * (WEEK - rest))  # never a week the runs allowed cannot reach (PRODUCT.md, Return)
        return CapsAt(False, cap, "return_to_run", None, run_cap, "return_to_run", None, rest, programme)
    weekly, basis, reason = _weekly_cap(risk, day, limit)
    rest = rest_days_at(risk, day)
    next_run, n_basis, n_reason = _next_run_cap(risk, day, threshold.single_run_m)
    reached = False
    if weekly is not None and next_run is not None and weekly > next_run * (WEEK - rest):
        weekly, basis, reached = next_run * (WEEK - rest), "reachable", True
        reason = (
            f"Lowered to what {WEEK - rest} runs of at most the next-run cap can reach after {rest} rest "
            f"day{'s' if rest != 1 else ''}."
        )
    if weekly is not None and next_run is not None and next_run > weekly:
        next_run, n_basis = weekly, "weekly_cap"
    return CapsAt(
        False,
        floor_m(weekly) if weekly is not None else None,
        basis,
        reason,
        floor_m(next_run) if next_run is not None else None,
        n_basis,
        n_reason,
        rest,
        None,
        reached,
    )


def settle_reason(episode: SettleEpisode, t: Thresholds) -> str:
    """Why there is no running this week, in the runner's words."""
    e = episode.trigger.entry
    if episode.why == "without_running":
        return (
            f"No running while the knee settles: it hurt ({e.score}/10 on {e.day:%-d %b}) without running, so the "
            "running load does not explain it."
        )
    if e.score >= t.not_settled_score:
        return f"No running while the knee settles: it hurt {e.score}/10 ({e.when}) on {e.day:%-d %b}."
    return (
        f"No running while the knee settles: it still hurt the morning after the {e.score}/10 ({e.when}) on "
        f"{e.day:%-d %b}."
    )


def _weekly_cap(risk: RiskAssessment, day: date, limit: float | None) -> tuple[float | None, str | None, str | None]:
    t = risk.thresholds
    s = risk.series
    d7 = risk.last_7_days(day)
    usual = risk.usual_week(day)
    weeks_with_runs = all(sum(s.window(s.runs, day - timedelta(days=WEEK * k), WEEK)) > 0 for k in range(1, 5))
    base = min(max(d7, usual), t.base_ceiling_factor * usual) if weeks_with_runs else d7
    if base <= 0:
        return None, None, "No running in the last weeks to build from: start with short, easy runs."
    pain_12 = risk.pain_days.events_between(day - timedelta(days=t.pain_window_weeks * WEEK - 1), day)
    status = risk.pain_days.window_status(day, day, t)
    step_up = base * (1 + t.weekly_step_up_pct / 100)
    if status == "tolerated" or not pain_12:
        cap, basis = step_up, "step_up"
    else:
        cap, basis = base, "hold"
    spiking = risk.weekly_spike_at(day) or bool(risk.session_spike_tiers_at(day) & {"moderate", "large"})
    if spiking:
        spike_cap = usual * (1 + t.weekly_step_up_pct / 100) if usual > 0 else d7
        if cap > spike_cap:
            cap, basis = spike_cap, "spike_limit"
    recent = risk.pain_days.events_between(day - timedelta(days=WEEK - 1), day)
    if recent:
        at_events = [risk.last_7_days(e.judged_day) for e in recent if s.index(e.judged_day) >= 0]
        options = [d7, step_up, cap]
        options += [t.threshold_factor * v for v in at_events if v > 0]
        tolerated = risk.threshold_at(day).tolerated_7d_m
        if tolerated:
            options.append(tolerated)
        cap, basis = min(options), "step_back"
        if cap <= 0:
            return (
                None,
                None,
                "Your knee hurt this week without much running: rest it, and restart with short, easy runs once "
                "it has settled.",
            )
    if limit is not None and cap > limit:
        cap, basis = limit, "pain_threshold"
    return cap, basis, None


def _next_run_cap(risk: RiskAssessment, day: date, single: float | None) -> tuple[float | None, str | None, str | None]:
    t: Thresholds = risk.thresholds
    base, _ = next_run_baseline(risk.spikes, day, t)
    if base is None:
        return (
            None,
            None,
            f"No runs in the last {t.session_lookback_days} days to build from: start with a short, easy run.",
        )
    cap, basis = base * t.next_run_factor, "longest_run"
    if single is not None and cap > t.threshold_factor * single:
        cap, basis = t.threshold_factor * single, "single_run_pain_threshold"
    return cap, basis, None
