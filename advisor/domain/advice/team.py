"""The coach's list as plain values: what `advisor.services.team` makes and `advisor.render.team` draws, kept on
this floor (beside the summary's view models) so the renderer never imports a use case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Group = Literal["referral", "high", "other"]


@dataclass(frozen=True, kw_only=True)
class LineFacts:
    """What a line takes from the athlete's report and history for one day: stored beside the report, so a coach's
    list of thousands reads these small facts and never a whole report (advisor.services.team)."""

    as_of: date
    group: Group
    flags: list[tuple[str, str]]
    """Every flag of the report, (code, severity), in the report's order."""
    worst_severity: str | None
    worst_flags: list[str]
    """The codes of the flags at the worst severity present (empty when there is no flag)."""
    referral: bool
    referral_urgent: bool
    paused: bool
    week_start: date
    """The 7 days the flags call "this week": week_start … as_of."""
    week_distance_m: float
    weekly_cap_m: float | None
    weekly_cap_reason: str | None
    """Why there is no weekly cap (paused, no history), None when there is one."""
    last_pain_score: int | None
    last_pain_day: date | None


@dataclass(frozen=True, kw_only=True)
class TeamLine(LineFacts):
    """One athlete's line: their facts, who they are and when their data last came. Distances in metres (km beside
    them in the JSON); `units` is for the text only."""

    name: str
    last_sync_at: datetime | None
    last_sync_source: Literal["garmin", "import"] | None
    days_since_sync: int | None
    """Whole local days from the last sync (or import) to today in the athlete's time zone; None: never."""
    units: str
    timezone: str


@dataclass(frozen=True)
class TeamStatus:
    lines: list[TeamLine]
    as_of: date | None
    """The date asked for (`--as-of`), None when each athlete's own today was used."""
    generated_at: datetime
