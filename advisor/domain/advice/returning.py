"""Phase 3, Return (PRODUCT.md "Return to running"): a graded restart after a break, a pause or a flare.

Why levels earned by completed weeks: a return that added 10 % to whatever the runner happened to do let a holiday
return sit at 50 % for weeks when no scores were logged, and gave week caps the runs allowed could not reach. A
physio's return climbs fixed levels of the runner's own reference week (50, 60, 70, 80, 90 %), one per week that
was *completed* (2 runs or more, two thirds of its cap) and that the knee tolerated — or, after a holiday or an
illness with no pain in the 12 weeks before, simply completed. A settled pain event steps back a level; one that is
not settled is Settle again. A level-90 week that moves up ends Return: Build from the next day.

The reference is read from before the episode began (the first red-flag report, the pain event that started
Settle, or the first day of the break) and does not change while it lasts: the usual week of the 4 weeks before,
never more than 0.9 × the pain threshold in force then. A Return that follows Settle or a pause starts no higher
than the weekly cap of the day before the episode began: logging pain never raises a cap.

Pure: a function of the assessment and the day; `cap_before` (the Build cap on an earlier day) is passed in by
`caps`, which owns the Build rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from advisor.domain.advice.rounding import floor_m
from advisor.domain.advice.settle import settle_episodes
from advisor.domain.risk.flags import RiskAssessment, order_flags
from advisor.domain.risk.load import weekly_spike_flag
from advisor.domain.risk.model import Flag
from advisor.domain.risk.spikes import next_run_baseline

WEEK = 7
RUNS_A_WEEK = 4
"""Every other day at most: 4 runs and 3 rest days in 7."""
COMPLETED_SHARE = 2 / 3
COMPLETED_RUNS = 2
LONG_EPISODE = timedelta(weeks=8)
"""After a break or pause longer than this, Return starts lower (clinical judgement)."""


@dataclass(frozen=True, slots=True)
class Programme:
    """The Return in progress on a day: its level for the Return week in progress, and that week's progress."""

    start: date
    began: date
    """The day the episode began: the reference is read from before it."""
    cause: str
    """break | red_flag | clearance | settle."""
    reference_m: float
    level_pct: float
    cap_m: float
    """The level's distance for the week in progress (the start never above the cap before the episode)."""
    week: int
    """0-based Return week in progress (0 until the first run)."""
    week_start: date | None
    """First day of the Return week in progress (None before the first run)."""
    ran_this_week_m: float
    no_pain_before: bool
    """No pain event in the 12 weeks before the episode began: a completed week moves up without scores."""

    @property
    def week_end(self) -> date | None:
        return self.week_start + timedelta(days=WEEK - 1) if self.week_start is not None else None


def in_break(risk: RiskAssessment, day: date) -> bool:
    """PRODUCT.md: a break is no run in the last `break_days` (14) days, after some running before them."""
    s, t = risk.series, risk.thresholds
    i = s.index(day)
    first = i - t.break_days + 1
    if first < 0:
        return False
    # Run counts are never negative, so "sums to 0" is "none is set"; and some running up to `day` is the first
    # run's day on or before it (Return's scan asks this of ~100 days per report: no slice of the whole history).
    return not any(s.runs[first : i + 1]) and s.first_run_day is not None and s.index(s.first_run_day) <= i


def flags_in_return(risk: RiskAssessment, programme: Programme | None) -> list[Flag]:
    """The report's flags: while a Return is open, `weekly_spike` compares the last 7 days with 1.10 × its
    reference instead of the usual week (PRODUCT.md)."""
    if programme is None:
        return risk.flags
    spike = weekly_spike_flag(
        risk.ratios, risk.usual_week(risk.as_of), risk.thresholds, risk.units, programme.reference_m
    )
    return order_flags([*(f for f in risk.flags if f.code != "weekly_spike"), *([spike] if spike else [])])


def reference_before(risk: RiskAssessment, began: date, known: date) -> float:
    """The usual week of the 4 weeks before `began` — the average of the covered full ones, as Build reads it — or,
    with none of them covered, the highest 7-day distance before it; never more than `threshold_factor` × the pain
    threshold in force on `known` (that event included)."""
    s, t = risk.series, risk.thresholds
    before = began - timedelta(days=1)
    usual = s.usual_week_ending(before)
    if usual is None:
        days = range(s.index(before) + 1)
        usual = max((s.total(s.distance_m, before - timedelta(days=k), WEEK) for k in days), default=0.0)
    threshold = risk.threshold_at(known).distance_7d_m if s.index(known) >= 0 else None
    if threshold is not None:
        usual = min(usual, t.threshold_factor * threshold)
    return usual


def run_cap(risk: RiskAssessment, day: date, week_cap: float) -> float:
    """A Return run's cap for the days after `day`: a third of the week's level, ≤ 1.10 × the longest run of the
    last 30 days that was not a session spike, ≤ 0.8 × the longest run of the 7 days up to the day a pain event of
    the last 28 days judged (an event whose 7 days hold no run gives no value), and — as in every phase — ≤ 0.9 ×
    the single-run pain threshold."""
    s, t = risk.series, risk.thresholds
    cap = week_cap / 3
    base, _ = next_run_baseline(risk.spikes, day, t)
    if base is not None:
        cap = min(cap, t.next_run_factor * base)
    single = risk.threshold_at(day).single_run_m
    if single is not None:  # never above the single-run pain threshold's 90 %, in any phase
        cap = min(cap, t.threshold_factor * single)
    for e in risk.pain_days.events_between(day - timedelta(days=4 * WEEK - 1), day):
        if s.index(e.judged_day) >= 0:
            longest = max(s.window(s.longest_run_m, e.judged_day, WEEK), default=0.0)
            if longest > 0:
                cap = min(cap, t.pain_run_step_back * longest)
    return floor_m(cap)


def _starts(risk: RiskAssessment, day: date) -> list[tuple[date, date, str]]:
    """Every Return start that can be in progress on `day`: (its first day, the day its episode began, cause)."""
    t = risk.thresholds
    starts: list[tuple[date, date, str]] = []
    red = risk.red_flags_at(day)
    if red.status == "open" and red.checked_on is not None and red.flag_day is not None:
        starts.append((red.checked_on, red.flag_day, "red_flag"))  # the runner's check after the urgent days
    if red.status == "none" and red.cleared_on is not None and red.flag_day is not None:
        starts.append((red.cleared_on, red.flag_day, "clearance"))
    ended = [e for e in settle_episodes(risk) if e.end is not None and e.end <= day]
    if ended and ended[-1].end is not None:
        starts.append((ended[-1].end, ended[-1].began, "settle"))
    scan_from = max(day - timedelta(weeks=t.return_max_weeks + 2), risk.series.origin)
    probe = day
    while probe >= scan_from:
        if in_break(risk, probe):  # the latest day of the latest break: the break began the day after the last run
            last_run = probe - timedelta(days=t.break_days)
            s = risk.series
            while last_run >= s.origin and s.runs[s.index(last_run)] == 0:
                last_run -= timedelta(days=1)
            starts.append((probe, last_run + timedelta(days=1), "break"))
            break
        probe -= timedelta(days=1)
    return starts


def programme_at(risk: RiskAssessment, day: date, cap_before: Callable[[date], float | None]) -> Programme | None:
    """The Return in progress on `day` (as known at its end), or None: never started, or ended (Build)."""
    t = risk.thresholds
    starts = [s for s in _starts(risk, day) if s[0] <= day]
    if not starts:
        return None
    # the latest start with something to return to: a flare inside a break, with no running before it, continues
    # the break's Return rather than ending it
    for start, began, cause in sorted(starts, key=lambda s: s[0], reverse=True):  # noqa: B007 (used after)
        reference = reference_before(risk, began, start)
        if reference > 0:
            break
    else:
        return None
    first = t.return_long_start_pct if start - began > LONG_EPISODE else t.return_start_pct
    levels: list[float] = []
    pct = first
    while pct <= t.return_last_pct + 1e-9:
        levels.append(pct)
        pct += t.return_step_pct
    ceiling = cap_before(began - timedelta(days=1)) if cause != "break" else None
    s = risk.series
    from_day = max(start, s.origin)
    first_run = next(
        (from_day + timedelta(days=k) for k in range((day - from_day).days + 1) if s.runs[s.index(from_day) + k]),
        None,
    )
    if first_run is not None and day - first_run >= timedelta(weeks=t.return_max_weeks):
        return None  # a Return not ended 12 weeks after its first run has ended
    window = (began - timedelta(weeks=t.pain_window_weeks), began - timedelta(days=1))
    no_pain_before = not risk.pain_days.events_between(*window)

    def level_cap(level: int) -> float:
        cap = reference * levels[level] / 100
        return min(cap, ceiling) if level == 0 and ceiling is not None else cap

    level, week, week_start = 0, 0, None
    if first_run is not None:
        week = (day - first_run).days // WEEK
        if (day - first_run).days % WEEK == WEEK - 1:
            week += 1  # the Return week ending today is complete: the caps are for the next one
        for j in range(week):
            block_start = first_run + timedelta(days=WEEK * j)
            block_end = block_start + timedelta(days=WEEK - 1)
            cap = level_cap(level)
            lowered = min(cap, RUNS_A_WEEK * run_cap(risk, block_start - timedelta(days=1), cap))
            ran = s.total(s.distance_m, block_end, WEEK)
            runs = sum(s.window(s.runs, block_end, WEEK))
            completed = runs >= COMPLETED_RUNS and ran + 0.5 >= COMPLETED_SHARE * lowered
            pain = risk.pain_days.events_between(block_start, block_end)
            if pain:
                level = max(0, level - 1)
            elif completed and (risk.pain_days.window_status(block_end, day, t) == "tolerated" or no_pain_before):
                level += 1
                if level == len(levels):
                    return None  # a level-90 week moved up: Return is over, Build from the next day
        week_start = first_run + timedelta(days=WEEK * week)
    ran_this_week = 0.0
    if week_start is not None and week_start <= day:
        ran_this_week = s.total(s.distance_m, day, (day - week_start).days + 1)
    return Programme(
        start,
        began,
        cause,
        reference,
        levels[level],
        level_cap(level),
        week,
        week_start,
        ran_this_week,
        no_pain_before,
    )


__all__ = ["RUNS_A_WEEK", "Programme", "floor_m", "in_break", "programme_at", "reference_before", "run_cap"]
