"""Builders of training histories for the knee-risk tests: runs, pain entries and stair days with known numbers.

Everything is in UTC with a zero offset unless a test says otherwise, runs start at 07:00, so the local day is the
calendar day given. Distances are given in km for readability and stored in metres like the real store does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from advisor.domain.risk.model import PainEntry, PainWhen, Profile, Run, StairDay
from advisor.domain.risk.thresholds import Thresholds

_ids = itertools.count(1)

PACE_S_PER_KM = 300.0
"""5:00 per km: moving time of every built run unless given."""
DEFAULTS = Thresholds()
PROFILE = Profile()


def run(
    day: date,
    km: float,
    *,
    descent_m: float = 0.0,
    steep10_m: float = 0.0,
    cadence: float | None = 175.0,
    sport: str = "running",
    sub_sport: str | None = None,
    at: time = time(7, 0),
    offset_s: int = 0,
    pace_s_per_km: float = PACE_S_PER_KM,
    activity_id: int | None = None,
) -> Run:
    """One activity on `day` (local), `km` long. The start is chosen so that start + offset falls on `day`."""
    start = datetime.combine(day, at, tzinfo=UTC) - timedelta(seconds=offset_s)
    moving = km * pace_s_per_km
    return Run(
        activity_id=activity_id if activity_id is not None else next(_ids),
        start_utc=start,
        utc_offset_s=offset_s,
        sport=sport,
        sub_sport=sub_sport,
        distance_m=km * 1000.0,
        moving_s=moving,
        elapsed_s=moving + 60.0,
        ascent_m=descent_m,
        descent_m=descent_m,
        descent_steep5_m=0.0,
        distance_steep5_m=steep10_m,
        descent_steep10_m=steep10_m * 0.12,
        distance_steep10_m=steep10_m,
        avg_cadence_spm=cadence,
        load=km * 10.0,
        name=None,
    )


def days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def daily_runs(start: date, n: int, km: float | Callable[[int, date], float], **kw: object) -> list[Run]:
    """A run every day for `n` days; `km` may be a function of (index, day). Days with 0 km get no run."""
    out = []
    for i, d in enumerate(days(start, n)):
        dist = km(i, d) if callable(km) else km
        if dist > 0:
            out.append(run(d, dist, **kw))  # type: ignore[arg-type]
    return out


def weeks_of(monday: date, weekly_km: Sequence[float], per_week: int = 7, **kw: object) -> list[Run]:
    """For each weekly total, `per_week` equal runs on the first `per_week` days of that week (Monday onward)."""
    assert monday.weekday() == 0, "weeks start on Monday"
    out: list[Run] = []
    for w, total in enumerate(weekly_km):
        for d in range(per_week):
            out.append(run(monday + timedelta(days=7 * w + d), total / per_week, **kw))  # type: ignore[arg-type]
    return out


def pain(day: date, score: int, when: PainWhen = "after", **kw: object) -> PainEntry:
    return PainEntry(id=next(_ids), day=day, when=when, score=score, **kw)  # type: ignore[arg-type]


def stairs(day: date, floors_down: float | None, floors_up: float | None = None) -> StairDay:
    return StairDay(day=day, floors_up=floors_up, floors_down=floors_down)


def stair_days(start: date, n: int, floors_down: float) -> list[StairDay]:
    return [stairs(d, floors_down) for d in days(start, n)]


def codes(items: Iterable[object]) -> list[str]:
    return [i.code for i in items]  # type: ignore[attr-defined]


def flag(report: object, code: str):
    """The flag with `code` in a report, or None."""
    return next((f for f in report.flags if f.code == code), None)  # type: ignore[attr-defined]


def advice(report: object, code: str):
    return next((a for a in report.advice if a.code == code), None)  # type: ignore[attr-defined]
