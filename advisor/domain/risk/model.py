"""Inputs of the knee-risk engine and the thresholds that drive it.

The engine is a pure function of these values (see `advisor.domain.advice.report.assess`): the caller (a use case) reads
runs, pain entries and stair days from the store, picks an `as_of` day and hands them over. Nothing in here touches
a database, the clock or the network, which is what makes `advisor status --as-of` reproducible.

Inputs are frozen dataclasses rather than pydantic models on purpose: ten years of running is ~3,500 runs and the
caller already validated them when it stored them; the cheap `__post_init__` checks below only catch programming
errors (a naive datetime, a score of 11) that would otherwise produce quietly wrong advice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

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
    local_day: date = field(init=False, repr=False, compare=False)
    """The runner's calendar day of the start, which is what weeks and windows are cut on.

    Derived, not passed: computed once here because the rules read it ~500 times per run and report (the series,
    the spikes, the next-run cap), and a property recomputed it each time. Left out of repr, equality and hash so
    a `Run` compares exactly as before."""
    kind: ActivityKind = field(init=False, repr=False, compare=False)
    """What it counts toward (`activity_kind` of its sport names), derived once like `local_day`."""

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None or self.start_utc.utcoffset() is None:
            raise ValueError(f"run {self.activity_id}: start_utc must be timezone-aware")
        object.__setattr__(self, "local_day", (self.start_utc + timedelta(seconds=self.utc_offset_s)).date())
        object.__setattr__(self, "kind", activity_kind(self.sport, self.sub_sport))


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
    red_flags: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """Names of the signs in this entry that pause running — the red flags and the same-day signs.

    Derived once here (every report's red-flag and rehab replays ask each entry several times); left out of repr,
    equality and hash, so an entry compares exactly as before."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "red_flags", tuple(name for name in SIGN_WORDS if getattr(self, name)))
        if not 0 <= self.score <= 10:
            raise ValueError(f"pain entry {self.id}: score must be 0-10, got {self.score}")
        if self.when not in ("during", "after", "morning"):
            raise ValueError(f"pain entry {self.id}: when must be during, after or morning")
        if self.no_red_flags and self.red_flags:
            raise ValueError(f"pain entry {self.id}: a check with none of the signs cannot also report one")

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
