"""Stored rows → the engine's plain values, and the windows the engine reads: shared by `advisor status` (one
athlete, `advisor.services.knee`) and `advisor team status` (every athlete, `advisor.services.team`), so a coach's
list and a runner's own report can never disagree about what a stored row means.

Every function takes any object with the columns' names as attributes: an ORM row, a SQLAlchemy `Row` or one of
`advisor.store.history`'s named tuples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from advisor.domain.advice.report import KneeReport, assess
from advisor.domain.risk.aggregates import HISTORY_DAYS
from advisor.domain.risk.model import SIGN_WORDS, Assessment, PainEntry, Profile, RehabSession, Run, StairDay

if TYPE_CHECKING:
    from advisor.config import Settings

STAIR_SOURCE_PRIORITY = ("manual", "garmin", "fit_monitoring")
"""When several sources give floors for one day, the runner's own entry wins, then Garmin's daily summary."""
WINDOW_MARGIN_DAYS = 2
"""Two days either side of the window in UTC, so a run's local day is cut in Python, in the runner's time zone."""


def window_start(as_of: date) -> date:
    """The first day whose activities and stairs the engine reads for `as_of` (plus the margin)."""
    return as_of - timedelta(days=HISTORY_DAYS + WINDOW_MARGIN_DAYS)


def midnight_utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def run_from_row(a: Any, tz: ZoneInfo) -> Run:
    """An activity row as the engine's `Run`; a row without a stored UTC offset takes the runner's zone's."""
    offset = a.utc_offset_s
    if offset is None:
        utcoffset = a.start_utc.astimezone(tz).utcoffset()
        offset = int(utcoffset.total_seconds()) if utcoffset else 0
    return Run(
        activity_id=a.id,
        start_utc=a.start_utc,
        utc_offset_s=offset,
        sport=a.sport,
        sub_sport=a.sub_sport,
        distance_m=a.distance_m,
        moving_s=a.moving_s,
        elapsed_s=a.elapsed_s,
        ascent_m=a.ascent_m,
        descent_m=a.descent_m,
        descent_steep5_m=a.descent_steep5_m,
        distance_steep5_m=a.distance_steep5_m,
        descent_steep10_m=a.descent_steep10_m,
        distance_steep10_m=a.distance_steep10_m,
        avg_cadence_spm=a.avg_cadence_spm,
        load=a.load,
        name=a.name,
    )


def pain_from_row(p: Any) -> PainEntry:
    return PainEntry(
        id=p.id,
        day=p.day,
        when=p.when,
        score=p.score,
        **{sign: bool(getattr(p, sign)) for sign in SIGN_WORDS},
        no_red_flags=bool(p.no_red_flags),
        note=p.note,
    )


def assessment_from_row(a: Any) -> Assessment:
    return Assessment(id=a.id, day=a.day, cleared=bool(a.cleared), note=a.note)


def rehab_from_row(r: Any) -> RehabSession:
    return RehabSession(day=r.day, strength=bool(r.strength), mobility=bool(r.mobility), band=bool(r.band), pain=r.pain)


def stair_days_from_rows(rows: Iterable[Any]) -> list[StairDay]:
    """One `StairDay` per day, from the source `STAIR_SOURCE_PRIORITY` prefers."""
    best: dict[date, Any] = {}
    for row in rows:
        current = best.get(row.day)
        if current is None or STAIR_SOURCE_PRIORITY.index(row.source) < STAIR_SOURCE_PRIORITY.index(current.source):
            best[row.day] = row
    return [
        StairDay(day=d, floors_up=r.floors_up, floors_down=r.floors_down, steps=r.steps)
        for d, r in sorted(best.items())
    ]


def profile_of(settings: Settings) -> Profile:
    p = settings.profile
    return Profile(sex=p.sex, flat_feet=p.flat_feet, orthotics=p.orthotics, timezone=p.timezone, units=p.units)


@dataclass(frozen=True)
class History:
    """What `assess` takes for one athlete, already cut to their own windows."""

    runs: list[Run] = field(default_factory=list)
    pain: list[PainEntry] = field(default_factory=list)
    stairs: list[StairDay] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    rehab: list[RehabSession] = field(default_factory=list)


def history_for(
    as_of: date,
    tz: ZoneInfo,
    activities: Iterable[Any],
    pain: Iterable[Any],
    stairs: Iterable[Any],
    assessments: Iterable[Any],
    rehab: Iterable[Any],
) -> History:
    """One athlete's rows, cut to what the engine reads for `as_of`: activities and stair days of the window
    (`HISTORY_DAYS`, so the answer never depends on where the stored history starts), and the whole pain,
    assessment and rehab logs up to `as_of` (an unassessed red flag and the first pain ever count however old)."""
    start, end = window_start(as_of), as_of + timedelta(days=WINDOW_MARGIN_DAYS)
    lo, hi = midnight_utc(start), midnight_utc(end)
    return History(
        runs=[run_from_row(a, tz) for a in activities if lo <= a.start_utc < hi],
        pain=[pain_from_row(p) for p in pain if p.day <= as_of],
        stairs=stair_days_from_rows(s for s in stairs if start <= s.day <= as_of),
        assessments=[assessment_from_row(a) for a in assessments if a.day <= as_of],
        rehab=[rehab_from_row(r) for r in rehab if r.day <= as_of],
    )


def assess_athlete(settings: Settings, as_of: date, history: History) -> KneeReport:
    """The pure `assess` on one athlete's history, with their own profile and thresholds."""
    h = history
    return assess(h.runs, h.pain, h.stairs, profile_of(settings), settings.thresholds, as_of, h.assessments, h.rehab)
