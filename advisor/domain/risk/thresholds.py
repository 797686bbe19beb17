"""The thresholds that drive the knee-risk engine: every trigger of PRODUCT.md's "Knee-risk patterns", "The pain
threshold" and "The advice", with its default and why — the `[thresholds]` section of the config file, and an
athlete's own values on a clinic's database.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Thresholds(BaseModel):
    """Every trigger of PRODUCT.md's "Knee-risk patterns", "The pain threshold" and "The advice", with its default.

    The configuration layer embeds this model as the `[thresholds]` TOML section; the example config documents each
    key from the descriptions below, so they are written for a runner-engineer reading a config file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # session_spike
    session_spike_small_pct: float = Field(
        10.0,
        gt=0,
        description="A run more than this % longer than the longest run of the previous days is a "
        "session spike (small tier up to session_spike_moderate_pct). Frandsen et al., BJSM 2025.",
    )
    session_spike_moderate_pct: float = Field(
        30.0, gt=0, description="Above this % the session spike is moderate (up to session_spike_large_pct)."
    )
    session_spike_large_pct: float = Field(100.0, gt=0, description="Above this % the session spike is large.")
    session_lookback_days: int = Field(
        30, ge=1, description="Days before a run searched for the longest run it is compared with."
    )
    next_run_factor: float = Field(
        1.10,
        gt=0,
        description="Longest next run = this × the longest non-spike run of the last session_lookback_days days.",
    )
    # weekly_spike (acute:chronic)
    ewma_acute_days: int = Field(7, ge=1, description="N of the acute EWMA (lambda = 2/(N+1)), Williams 2017.")
    ewma_chronic_days: int = Field(28, ge=2, description="N of the chronic EWMA (lambda = 2/(N+1)).")
    rolling_chronic_days: int = Field(
        21,
        ge=7,
        description="Days before the last 7 whose weekly average is the chronic load of the uncoupled "
        "rolling ratio (the acute week is excluded).",
    )
    acwr_high: float = Field(1.5, gt=0, description="EWMA acute:chronic distance ratio above this: weekly_spike high.")
    acwr_caution: float = Field(1.3, gt=0, description="EWMA acute:chronic ratio above this: weekly_spike caution.")
    min_history_days: int = Field(
        28, ge=7, description="Days of running history needed before any acute:chronic ratio is shown."
    )
    # downhill / steep downhill
    baseline_days: int = Field(
        28, ge=7, description="Days before the last 7 that define 'usual' descent, steep-downhill and stair volume."
    )
    downhill_week_factor: float = Field(
        1.5, gt=0, description="downhill_spike when the last 7 days' descent exceeds this × the usual weekly descent."
    )
    downhill_run_factor: float = Field(
        2.0,
        gt=0,
        description="downhill_spike when one run descends more than this × the largest single-run descent of the "
        "28 days before the last 7 (a weekly hill session is the runner's normal).",
    )
    downhill_min_week_descent_m: float = Field(
        100.0, ge=0, description="Noise floor: 7-day descent below this many metres is never a downhill spike."
    )
    downhill_min_week_excess_m: float = Field(
        150.0, ge=0, description="downhill_spike's week rule also needs the 7-day descent this far above the usual."
    )
    downhill_min_run_descent_m: float = Field(
        100.0, ge=0, description="Noise floor: a run descending less than this is never a downhill spike."
    )
    steep_grade_pct: float = Field(
        10.0,
        gt=0,
        description="Informational: the steep-downhill grade (the per-run metrics measure distance on "
        "grades steeper than -10 %).",
    )
    steep_downhill_with_pain_m: float = Field(
        1000.0,
        ge=0,
        description="steep_downhill when more than this many metres were run/walked on steep descents "
        "in 7 days while pain is above pain_acceptable.",
    )
    steep_downhill_factor: float = Field(
        2.0, gt=0, description="steep_downhill when the 7-day steep-descent distance exceeds this × the usual weekly."
    )
    steep_downhill_min_m: float = Field(
        500.0,
        ge=0,
        description="Noise floor for the ratio rule: less steep-descent distance than this in 7 days is "
        "never flagged for being above usual.",
    )
    # stairs
    stairs_week_factor: float = Field(
        1.5, gt=0, description="stairs_spike when 7-day floors descended exceed this × the usual weekly floors."
    )
    stairs_min_week_floors: float = Field(
        10.0, ge=0, description="Noise floor: fewer floors descended than this in 7 days is never a stairs spike."
    )
    stairs_min_week_excess_floors: float = Field(
        30.0, ge=0, description="stairs_spike also needs the 7-day floors descended this many above the usual week."
    )
    metres_per_floor: float = Field(
        3.0, gt=0, description="Height of one floor, to turn a stair activity's ascent/descent into floors."
    )
    # pain
    pain_acceptable: int = Field(
        2, ge=0, le=10, description="Highest acceptable pain score during/after a run (TREK runner rules: <= 2/10)."
    )
    morning_rise_points: int = Field(
        2,
        ge=1,
        le=10,
        description="A morning score this many points above the runner's morning baseline (the median of the "
        "morning scores of the morning_baseline_days before) is a pain event; a one-point wobble is noise.",
    )
    morning_baseline_days: int = Field(14, ge=1, description="Days of morning scores the morning baseline is from.")
    morning_baseline_min_scores: int = Field(
        4,
        ge=1,
        description="Morning scores needed for a baseline; with fewer, only a score above pain_acceptable is an event.",
    )
    outgrow_factor: float = Field(
        0.8,
        gt=0,
        le=1,
        description="A pain event stops setting the threshold once two later, non-overlapping tolerated weeks "
        "reached this × its value (or after four consecutive tolerated ISO weeks).",
    )
    pain_window_weeks: int = Field(12, ge=1, description="Weeks of pain log the pain threshold is learned from.")
    threshold_factor: float = Field(
        0.9, gt=0, le=1, description="Caps stay at or below this × the runner's own pain threshold."
    )
    weekly_step_up_pct: float = Field(
        10.0, ge=0, description="After a tolerated week the weekly distance cap steps up by at most this %."
    )
    base_ceiling_factor: float = Field(
        1.3,
        ge=1,
        description="The weekly cap's base is held between the usual week and this × the usual week, so a "
        "spiked week is not rewarded and one light week does not collapse the cap.",
    )
    weekly_spike_min_increase_pct: float = Field(
        10.0,
        ge=0,
        description="Noise guard: weekly_spike also needs the last 7 days to exceed the usual week by more than "
        "this %, so a steady runner whose long run falls on the day asked never trips the daily EWMA's ripple.",
    )
    break_days: int = Field(14, ge=1, description="No run in this many days is a break: Return starts.")
    return_start_pct: float = Field(
        50.0, gt=0, le=100, description="Return's first level: this % of the reference week (the usual week before)."
    )
    return_long_start_pct: float = Field(
        30.0, gt=0, le=100, description="Return's first level after a break or pause longer than 8 weeks."
    )
    return_step_pct: float = Field(10.0, gt=0, description="Return: each level adds this % of the reference week.")
    return_last_pct: float = Field(
        90.0, gt=0, le=100, description="Return's last level: a week at it that moves up ends Return (Build)."
    )
    pain_run_step_back: float = Field(
        0.8,
        gt=0,
        le=1,
        description="After a pain event, runs stay at or below this × the longest run of the 7 days it judged.",
    )
    return_max_weeks: int = Field(
        12, ge=1, description="A return_to_run programme that started more than this many weeks ago has ended."
    )
    not_improving_weeks: int = Field(
        3,
        ge=2,
        description="pain_not_improving: a pain event in each of this many ISO weeks, the latest week's worst "
        "score at least the first's.",
    )
    not_improving_strength_sessions: int = Field(
        2, ge=0, description="Strength sessions a week that count as following the rehab advice."
    )
    refer_event_weeks: int = Field(
        4, ge=1, description="Refer anyway once pain events fall in this many of the last refer_window_weeks."
    )
    refer_window_weeks: int = Field(6, ge=1, description="ISO weeks looked at for refer_event_weeks.")
    red_flag_days: int = Field(
        14,
        ge=1,
        description="A red-flag report (swelling, locking, giving way, rest/night pain) pauses running "
        "advice for this many days.",
    )
    new_pain_days: int = Field(
        14,
        ge=1,
        description="Pain is 'new' (see a clinician once before building up) when the first pain event "
        "ever logged is this recent.",
    )
    not_settled_score: int = Field(
        5,
        ge=0,
        le=10,
        description="A pain event of this score or more is not settled (Settle, a referral when it is the first).",
    )
    # cadence
    low_cadence_spm: float = Field(
        170.0, gt=0, description="low_cadence when the last 7 days' average running cadence is at or below this."
    )
    cadence_raise_low_pct: float = Field(5.0, ge=0, description="Suggested step-rate increase, lower end (%).")
    cadence_raise_high_pct: float = Field(10.0, ge=0, description="Suggested step-rate increase, upper end (%).")
    # rest / cross-training
    rest_days: int = Field(1, ge=0, le=7, description="Rest days advised every week.")
    rest_days_after_pain: int = Field(
        2,
        ge=0,
        le=7,
        description="No longer read (kept so existing config files load): a pain event of 5/10 or more is now "
        "Settle, with no running at all.",
    )
    rest_days_pain_score: int = Field(5, ge=0, le=10, description="Pain score from which rest_days_after_pain applies.")
    default_pace_s_per_km: float = Field(
        360.0, gt=0, description="Pace assumed for the cross-training swap when recent runs have no moving time."
    )
    # rehab
    rehab_strength_target: int = Field(3, ge=1, le=7, description="Strength sessions a week the routine asks for.")
    rehab_mobility_target: int = Field(7, ge=1, le=7, description="Mobility days a week the routine asks for.")
    rehab_pain_limit: int = Field(
        2, ge=0, le=10, description="Rehab pain above this (0-10) drops the routine one progression step."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        """Settings that only make sense in order: an inverted config is one sentence, never quietly odd advice."""
        pairs = (
            ("session_spike_small_pct", "session_spike_moderate_pct"),
            ("session_spike_moderate_pct", "session_spike_large_pct"),
            ("acwr_caution", "acwr_high"),
            ("cadence_raise_low_pct", "cadence_raise_high_pct"),
            ("ewma_acute_days", "ewma_chronic_days"),
            ("rest_days", "rest_days_after_pain"),
            ("refer_event_weeks", "refer_window_weeks"),
            ("not_improving_weeks", "refer_window_weeks"),
        )
        strict = {"session_spike_small_pct", "session_spike_moderate_pct", "acwr_caution", "ewma_acute_days"}
        for low, high in pairs:
            a, b = getattr(self, low), getattr(self, high)
            if a > b or (low in strict and a == b):
                relation = "below" if low in strict else "at most"
                raise ValueError(f"{low} ({a:g}) must be {relation} {high} ({b:g})")
        return self
