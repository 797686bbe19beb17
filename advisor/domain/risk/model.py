"""Inputs of the knee-risk engine and the thresholds that drive it.

The engine is a pure function of these values (see `advisor.domain.advice.report.assess`): the caller (a use case) reads
runs, pain entries and stair days from the store, picks an `as_of` day and hands them over. Nothing in here touches
a database, the clock or the network, which is what makes `advisor status --as-of` reproducible.

Inputs are frozen dataclasses rather than pydantic models on purpose: ten years of running is ~3,500 runs and the
caller already validated them when it stored them; the cheap `__post_init__` checks below only catch programming
errors (a naive datetime, a score of 11) that would otherwise produce quietly wrong advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PainWhen = Literal["during", "after", "morning"]
Sex = Literal["female", "male", "unspecified"]
ActivityKind = Literal["run", "on_foot", "stairs", "other"]

# --- what counts as what -------------------------------------------------------------------------------------------
# Names are FIT profile enum names (fitdecode/profile.py: sport, sub_sport) plus the Garmin Connect activity type keys
# the sync may store (trail_running, treadmill_running, ...). Matching is case-insensitive, '-' and ' ' read as '_'.

RUN_SPORTS = frozenset(
    {
        "running",
        "trail_running",
        "treadmill_running",
        "track_running",
        "street_running",
        "indoor_running",
        "virtual_run",
        "ultra_run",
        "obstacle_run",
        "treadmill",
    }
)
"""Sports that are foot running whatever the sub-sport: they count for distance, longest run and spikes."""
RUN_SUB_SPORTS = frozenset({"treadmill", "trail", "street", "track", "indoor_running", "ultra", "obstacle"})
"""Sub-sports that mean running when the sport is a catch-all (a treadmill is sometimes `fitness_equipment`)."""
CATCH_ALL_SPORTS = frozenset({"fitness_equipment", "generic", "training"})
ON_FOOT_SPORTS = frozenset(
    {"walking", "hiking", "mountaineering", "snowshoeing", "casual_walking", "speed_walking", "indoor_walking"}
)
"""On foot but not running: their descent loads the bent knee (a long mountain descent is a classic trigger), so it
counts toward descent and steep-downhill volume — but not toward running distance, longest run or spikes."""
ON_FOOT_SUB_SPORTS = frozenset({"indoor_walking", "casual_walking", "speed_walking"})
STAIR_SPORTS = frozenset({"floor_climbing", "stair_climbing", "stair_stepper"})
STAIR_SUB_SPORTS = frozenset({"stair_climbing"})
"""Stair activities count toward floors (ascent / descent divided by metres_per_floor), not toward descent."""


def _norm(name: str | None) -> str:
    return (name or "").strip().lower().replace("-", "_").replace(" ", "_")


@lru_cache(maxsize=256)
def activity_kind(sport: str, sub_sport: str | None = None) -> ActivityKind:
    """Classify an activity by the FIT / Garmin sport names: 'run', 'on_foot' (walk/hike), 'stairs' or 'other'."""
    s, sub = _norm(sport), _norm(sub_sport)
    if s in STAIR_SPORTS or sub in STAIR_SUB_SPORTS:
        return "stairs"
    if s in RUN_SPORTS or (s in CATCH_ALL_SPORTS and sub in RUN_SUB_SPORTS):
        return "run"
    if s in ON_FOOT_SPORTS or (s in CATCH_ALL_SPORTS and sub in ON_FOOT_SUB_SPORTS):
        return "on_foot"
    return "other"


# --- inputs -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """One stored activity (any sport; `kind` decides what it counts toward). Distances in metres, times in seconds.

    `utc_offset_s` is the offset of the runner's local time at the start; when the file does not say, the caller
    passes the profile time zone's offset for that instant. The local day decides which day and ISO week it counts in.
    """

    activity_id: int
    start_utc: datetime
    utc_offset_s: int
    sport: str
    sub_sport: str | None
    distance_m: float
    moving_s: float
    elapsed_s: float
    ascent_m: float
    descent_m: float
    descent_steep5_m: float = 0.0
    distance_steep5_m: float = 0.0
    descent_steep10_m: float = 0.0
    distance_steep10_m: float = 0.0
    avg_cadence_spm: float | None = None
    load: float = 0.0
    name: str | None = None

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None or self.start_utc.utcoffset() is None:
            raise ValueError(f"run {self.activity_id}: start_utc must be timezone-aware")

    @property
    def local_day(self) -> date:
        """The runner's calendar day of the start, which is what weeks and windows are cut on."""
        return (self.start_utc + timedelta(seconds=self.utc_offset_s)).date()

    @property
    def kind(self) -> ActivityKind:
        return activity_kind(self.sport, self.sub_sport)


RED_FLAG_SIGNS: dict[str, str] = {
    "swelling": "swelling",
    "locking": "locking",
    "giving_way": "giving way",
    "rest_or_night_pain": "pain at rest or at night",
}
"""PRODUCT.md "Referral": the red flags, by the field that records each, with the words a runner reads."""
SAME_DAY_SIGNS: dict[str, str] = {
    "hot_red_or_fever": "a hot, red knee or a fever",
    "injury_swelling": "swelling or not bearing weight after a twist or fall",
    "calf_pain": "calf pain or swelling",
    "numbness": "numbness",
}
"""PRODUCT.md "Same-day signs": "get seen today (urgent care)"; they pause running as a red flag does."""
SIGN_WORDS: dict[str, str] = RED_FLAG_SIGNS | SAME_DAY_SIGNS
NEEDS_CLINICIAN = frozenset({"locking", "giving_way"})
"""Signs a runner's own "none of these" check cannot answer: only a clinician's assessment ends their pause."""


@dataclass(frozen=True, slots=True)
class PainEntry:
    """One knee-pain score the runner logged. `when`: during a run, after it, or the next morning.

    Each sign of `SIGN_WORDS` is a field; `no_red_flags` is the runner's check that none of them is there (it ends
    an unassessed red flag's pause after its 14 days, PRODUCT.md "Referral")."""

    id: int
    day: date
    when: PainWhen
    score: int
    swelling: bool = False
    locking: bool = False
    giving_way: bool = False
    rest_or_night_pain: bool = False
    hot_red_or_fever: bool = False
    injury_swelling: bool = False
    calf_pain: bool = False
    numbness: bool = False
    no_red_flags: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.score <= 10:
            raise ValueError(f"pain entry {self.id}: score must be 0-10, got {self.score}")
        if self.when not in ("during", "after", "morning"):
            raise ValueError(f"pain entry {self.id}: when must be during, after or morning")
        if self.no_red_flags and self.red_flags:
            raise ValueError(f"pain entry {self.id}: a check with none of the signs cannot also report one")

    @property
    def red_flags(self) -> tuple[str, ...]:
        """Names of the signs in this entry that pause running — the red flags and the same-day signs."""
        return tuple(name for name in SIGN_WORDS if getattr(self, name))

    @property
    def same_day_signs(self) -> tuple[str, ...]:
        return tuple(name for name in SAME_DAY_SIGNS if getattr(self, name))


@dataclass(frozen=True, slots=True)
class StairDay:
    """Daily floors from a watch (Garmin, monitoring FIT) or logged by hand. Several sources for one day are allowed;
    the engine keeps the highest value per day because they measure the same staircases."""

    day: date
    floors_up: float | None = None
    floors_down: float | None = None
    steps: int | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """A clinician's assessment the runner recorded: `cleared` ends a red-flag pause and starts return_to_run."""

    id: int
    day: date
    cleared: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RehabSession:
    """One session of the rehab routine; `pain` is the knee during it (0-10), None when not given."""

    day: date
    strength: bool = True
    mobility: bool = True
    band: bool = False
    pain: int | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """Only what the rules need. `timezone` is informational here: the caller turns it into per-run offsets."""

    sex: Sex = "unspecified"
    flat_feet: bool = False
    orthotics: bool = False
    timezone: str = "UTC"
    units: Literal["km", "mi"] = "km"
    """Distances in the report's sentences; every number stays in metres."""


# --- thresholds ---------------------------------------------------------------------------------------------------


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


# --- outputs of the rules -----------------------------------------------------------------------------------------

Severity = Literal["info", "caution", "high"]
Number = float | int | str | bool | None
"""Evidence and advice numbers are flat scalars so `--json` stays one stable, easily read document."""


class Flag(BaseModel):
    """A knee-risk pattern found in the data: stable `code`, severity, one runner-readable sentence, the numbers."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    evidence: dict[str, Number]
    source: str
    """The study or guideline behind the rule, in one line (advisor.domain.risk.sources)."""
