"""What the clinician's visit report says, already decided: the view model `advisor.render.visit_report` draws.

Plain frozen dataclasses in SI units (metres), so the use case that gathers them (advisor.services.visit_report)
and the renderer that formats them in the runner's units both depend on this module and never on each other; the
renderer only formats, every number and every choice (which cap applied to a week, whether the week kept to it,
which runs were the longest) is made in the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "Adherence",
    "AssessmentLine",
    "FlagLine",
    "NoteLine",
    "PhaseSpan",
    "RedFlagLine",
    "TopActivity",
    "VisitReport",
    "WeekRow",
]


@dataclass(frozen=True)
class WeekRow:
    """One ISO week of the report (the last one cut at the report's day)."""

    week: str
    """`2026-W10`."""
    start: date
    end: date
    distance_m: float
    runs: int
    longest_run_m: float
    cap_m: float | None
    """The weekly cap the engine gave on the day before the week began: the cap in force at its start (None when
    there was none: paused, settling, or too little history)."""
    cap_note: str | None
    """Why there was no cap (`paused`, `settle`, `no cap yet`); None when there was one."""
    kept: bool | None
    """Whether the week's distance stayed within that cap, as the page shows both (one decimal in the runner's
    units); None without a cap."""
    threshold_m: float | None
    """The 7-day pain threshold known at the week's end (the chart's dashed line)."""
    pain_during: int | None
    """The worst score logged during runs that week (None: none logged); likewise after runs and next mornings."""
    pain_after: int | None
    pain_morning: int | None
    pain_scores: tuple[int, ...]
    """Every score of the week, in the order logged (the chart's dots)."""
    strength_sessions: int
    mobility_days: int
    rehab_step: int
    """The routine's progression step at the week's end."""
    phases: tuple[str, ...]
    """The phase names the week's days were in, in order (`Build`, `Settle`, ...)."""


@dataclass(frozen=True)
class PhaseSpan:
    """A run of consecutive days in one phase episode."""

    start: date
    end: date
    code: str
    name: str
    reason: str
    """Why the runner was in it, as the engine said on its first day in the report."""
    began: date | None
    """The day the episode began when that is before `start` (it began before the report's first day)."""


@dataclass(frozen=True)
class RedFlagLine:
    day: date
    score: int
    when: str
    signs: tuple[str, ...]
    """The signs in words (`swelling`, `giving way`)."""
    same_day: bool
    """A same-day sign (get seen today) among them."""


@dataclass(frozen=True)
class AssessmentLine:
    day: date
    cleared: bool


@dataclass(frozen=True)
class FlagLine:
    """A flag (or the referral) of the report's day, with its source."""

    severity: str
    message: str
    source: str


@dataclass(frozen=True)
class TopActivity:
    """One of the longest runs or biggest descents."""

    day: date
    sport: str
    """`run`, `walk`, `hike`: what the activity was."""
    name: str | None
    distance_m: float
    descent_m: float
    steep_descent_m: float
    """Descent on grades steeper than -10 %."""


@dataclass(frozen=True)
class NoteLine:
    """Something the runner wrote, with what it was written on."""

    day: date
    kind: str
    """`pain 6/10 after`, `rehab`, `assessment: cleared`."""
    text: str


@dataclass(frozen=True)
class Adherence:
    """How the runner kept to the plan over the report's weeks."""

    weeks_with_cap: int
    weeks_kept: int
    strength_target: int
    mobility_target: int
    weeks_strength_met: int
    mobility_days_per_week: float
    run_days_against_advice: int
    """Days with a run after the day before had said not to run (Paused or Settle)."""
    rehab_step: int
    rehab_step_name: str


@dataclass(frozen=True)
class VisitReport:
    """Everything the clinician's page shows, for `athlete` over `weeks` ending with the week of `as_of`."""

    athlete: str | None
    """The athlete's name; None for a runner who never named theirs (the config's `default`)."""
    units: str
    """km | mi: how the page writes distances (and metres or feet for descents)."""
    as_of: date
    start: date
    """The Monday of the first week."""
    generated_on: date
    weeks: list[WeekRow]
    phases: list[PhaseSpan]
    phase_now: str
    phase_reason_now: str
    today_now: str
    weekly_cap_now_m: float | None
    weekly_cap_reason_now: str | None
    referral: FlagLine | None
    flags: list[FlagLine]
    red_flags: list[RedFlagLine]
    assessments: list[AssessmentLine]
    longest_runs: list[TopActivity]
    biggest_descents: list[TopActivity]
    notes: list[NoteLine]
    adherence: Adherence
    coverage: str | None
    """The engine's note when the report rests on under 4 weeks of running."""
    disclaimer: str
