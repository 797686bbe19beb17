"""What a weekly summary says, already decided: the view models the mail templates render.

Plain frozen dataclasses in the domain, so the use case that gathers them and the renderer that formats them both
depend on this module and never on each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from advisor.domain.advice.report import KneeReport
from advisor.domain.risk.aggregates import WeekAggregate
from advisor.domain.risk.model import Flag

CHART_WEEKS = 12
CHART_CID = "chart"
"""Content-ID by which the HTML part refers to the chart image."""


@dataclass(frozen=True)
class WeekPoint:
    """One bar of the chart: a week's label, distance, the cap and pain threshold that applied, its pain scores.

    ``cap_km`` / ``threshold_km`` are None when there was no cap yet or no pain history to learn a threshold
    from; the line then simply has a gap that week rather than an invented value.
    """

    label: str
    distance_km: float
    cap_km: float | None = None
    threshold_km: float | None = None
    pain_scores: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ActivityLine:
    """One activity of the summary week, as the runner will read it. `name` is whatever the watch or runner typed."""

    day: date
    sport: str
    name: str | None
    distance_km: float
    descent_m: float
    steep_downhill_km: float
    cadence_spm: float | None


@dataclass(frozen=True)
class PainLine:
    """One pain entry of the summary week; `note` is the runner's own text (escaped when rendered)."""

    day: date
    when: str
    score: int
    note: str | None
    signs: tuple[str, ...]


@dataclass(frozen=True)
class SummaryView:
    """Everything the templates show, already decided: templates format, they do not compute."""

    week: str
    start: date
    end: date
    report: KneeReport
    """As of the day the mail is built: the flags, caps and advice for the days ahead."""
    last_week: WeekAggregate
    last_week_cap_km: float | None
    """The weekly cap that applied to the summary week (the report of the Sunday before it), None when none did."""
    last_week_next_run_cap_km: float | None
    activities: list[ActivityLine]
    pain: list[PainLine]
    chart: list[WeekPoint]
    red_flag: Flag | None
    profile_name: str
    generated_on: date
    units: str = "km"
    """km | mi: how the mail writes distances."""

    @property
    def next_week_start(self) -> date:
        return self.end + timedelta(days=1)


@dataclass(frozen=True)
class RenderedSummary:
    """A finished summary: what `queue_summary` turns into a mail and `--preview` writes to a file."""

    week: str
    subject: str
    text: str
    html: str
    png: bytes
    view: SummaryView = field(repr=False)


Render = Callable[[SummaryView], RenderedSummary]
"""How the entrypoints hand a renderer to the use cases (which import no renderer themselves)."""
