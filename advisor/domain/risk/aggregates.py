"""Daily and weekly volumes cut on the runner's local calendar (ISO weeks, Monday to Sunday).

Every rule reads volumes over day windows (the last 7 days, the 28 before them, 12 weeks of pain history), so the
engine first lays all activities onto one array per quantity, indexed by local day. Window sums are then a slice
and `math.fsum` (exactly rounded, so 7 × 5 km is exactly 35 km and a cap is not off by a float crumb), and the whole
engine stays linear in the number of activities: ten years of daily running is ~3,650 array cells.

What counts toward what (see `advisor.domain.risk.model.activity_kind`):
- distance, longest run, run count, cadence, pace: runs only (running, trail, treadmill...);
- descent and steep-downhill distance: runs plus walks and hikes — a long downhill hike loads the bent knee too;
- floors descended: the daily floors counter (highest source per day) or, if higher, the day's stair activities
  (descent / metres_per_floor) — the watch's daily counter usually already includes those, so they are not added;
- load: the heart-rate load of every activity (cross-training keeps fitness, so it is shown, but no rule uses it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from advisor.domain.risk.model import PainEntry, Run, StairDay
from advisor.domain.risk.thresholds import Thresholds

HISTORY_DAYS = 200
"""The arrays hold exactly this many days ending as_of, and nothing older is used: the longest chain of windows a
rule reads (a return_to_run programme of up to 12 weeks, whose reference is the tolerated level of the 12 weeks
before it began, checked again at the Mondays of the last 3 weeks) fits inside. Cutting at a fixed distance from
as_of, not at the first stored day, is what makes `--as-of D` independent of where the history starts."""


def km(metres: float) -> float:
    """Kilometres for people to read (2 decimals)."""
    return round(metres / 1000.0, 2)


METRES_PER_MILE = 1609.344
METRES_PER_FOOT = 0.3048
Units = Literal["km", "mi"]


def dist(metres: float, units: Units = "km") -> str:
    """A distance in a sentence, in the runner's units: '12.4 km' or '7.71 mi' (2 decimals at most)."""
    if units == "mi":
        return f"{round(metres / METRES_PER_MILE, 2):g} mi"
    return f"{km(metres):g} km"


def elev(metres: float, units: Units = "km") -> str:
    """A climb or descent in a sentence: metres with km, feet with miles."""
    return f"{metres / METRES_PER_FOOT:.0f} ft" if units == "mi" else f"{metres:.0f} m"


def m1(metres: float) -> float:
    """Metres rounded to 0.1 m for output: the inputs are not more precise and JSON stays readable."""
    return round(metres, 1)


def iso_week(day: date) -> str:
    """'YYYY-Www' of a day (ISO year, which differs from the calendar year around New Year)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(slots=True)
class DailySeries:
    """One value per local day from `origin` to `as_of` inclusive. Only data on or before as_of is in here."""

    origin: date
    as_of: date
    distance_m: list[float]
    longest_run_m: list[float]
    runs: list[int]
    run_moving_s: list[float]
    descent_m: list[float]
    steep_downhill_m: list[float]
    floors_down: list[float]
    floors_known: list[bool]
    worst_pain: list[int]
    """-1 when no pain was logged that day."""
    load: list[float]
    run_list: list[Run] = field(default_factory=list)
    """Runs (kind 'run' only) on or before as_of, sorted by start."""
    first_run_day: date | None = None
    first_foot_day: date | None = None
    """First day with a run, walk or hike: where the descent history starts."""

    def index(self, day: date) -> int:
        return (day - self.origin).days

    def window(self, values: Sequence[float], end: date, days: int) -> Sequence[float]:
        """The `days` values ending on `end` inclusive (fewer when the window starts before origin)."""
        i_end = self.index(end)
        if i_end < 0:
            return ()
        return values[max(0, i_end - days + 1) : i_end + 1]

    def total(self, values: Sequence[float], end: date, days: int) -> float:
        return math.fsum(self.window(values, end, days))

    def covered_weeks_ending(self, end: date) -> list[tuple[float, int]]:
        """(distance, runs) of the covered full weeks among the 4 ending on `end` (7-day blocks), most recent first.

        PRODUCT.md "History coverage": a week is covered when it starts on or after the first stored run; the days
        before it are unknown, not rest, so a newcomer's usual week is not diluted by weeks they never recorded."""
        out = []
        for k in range(4):
            last = end - timedelta(days=7 * k)
            if self.first_run_day is None or last - timedelta(days=6) < self.first_run_day or self.index(last) < 6:
                continue
            out.append((self.total(self.distance_m, last, 7), int(sum(self.window(self.runs, last, 7)))))
        return out

    def usual_week_ending(self, end: date) -> float | None:
        """The average weekly distance of the covered full weeks among the 4 ending on `end` (None with none)."""
        weeks = self.covered_weeks_ending(end)
        return sum(d for d, _ in weeks) / len(weeks) if weeks else None


def build_daily(
    runs: Iterable[Run],
    pain: Iterable[PainEntry],
    stairs: Iterable[StairDay],
    as_of: date,
    thresholds: Thresholds,
) -> DailySeries:
    """Lay the `HISTORY_DAYS` days ending `as_of` onto per-day arrays (local days). Input order does not matter."""
    origin = as_of - timedelta(days=HISTORY_DAYS - 1)
    dated = [(r.local_day, r) for r in runs]  # local_day once per run: it is the hot spot over ten years
    dated = [(d, r) for d, r in dated if origin <= d <= as_of]
    kept_pain = [p for p in pain if origin <= p.day <= as_of]
    kept_stairs = [s for s in stairs if origin <= s.day <= as_of]
    n = HISTORY_DAYS
    series = DailySeries(
        origin=origin,
        as_of=as_of,
        distance_m=[0.0] * n,
        longest_run_m=[0.0] * n,
        runs=[0] * n,
        run_moving_s=[0.0] * n,
        descent_m=[0.0] * n,
        steep_downhill_m=[0.0] * n,
        floors_down=[0.0] * n,
        floors_known=[False] * n,
        worst_pain=[-1] * n,
        load=[0.0] * n,
    )
    stair_activity_floors = [0.0] * n
    runs_dated: list[tuple[date, Run]] = []
    # Local names and `if b > a: a = b` (what `max(a, b)` does) in these loops: they run once per activity and
    # stair day of 200 days, for each of the ~14 reports of a weekly summary.
    load, distance, longest, runs_per_day = series.load, series.distance_m, series.longest_run_m, series.runs
    moving, descent, steep = series.run_moving_s, series.descent_m, series.steep_downhill_m
    floors_down = series.floors_down
    for day, r in dated:
        i = (day - origin).days
        kind = r.kind
        load[i] += r.load
        if kind == "run":
            runs_dated.append((day, r))
            distance[i] += r.distance_m
            if r.distance_m > longest[i]:
                longest[i] = r.distance_m
            runs_per_day[i] += 1
            moving[i] += r.moving_s
        if kind == "run" or kind == "on_foot":
            if series.first_foot_day is None or day < series.first_foot_day:
                series.first_foot_day = day
            descent[i] += r.descent_m
            steep[i] += r.distance_steep10_m
        elif kind == "stairs":
            stair_activity_floors[i] += r.descent_m / thresholds.metres_per_floor
            series.floors_known[i] = True
    for s in kept_stairs:
        i = (s.day - origin).days
        # Floors descended; when a source only counts floors climbed, assume the runner came back down them.
        down = s.floors_down if s.floors_down is not None else s.floors_up
        if down is None:
            continue
        series.floors_known[i] = True
        if down > floors_down[i]:
            floors_down[i] = down
    for i, f in enumerate(stair_activity_floors):
        if f > floors_down[i]:
            floors_down[i] = f
    worst_pain = series.worst_pain
    for p in kept_pain:
        i = (p.day - origin).days
        if p.score > worst_pain[i]:
            worst_pain[i] = p.score
    runs_dated.sort(key=lambda dr: (dr[1].start_utc, dr[1].activity_id))
    series.run_list = [r for _, r in runs_dated]
    series.first_run_day = min((d for d, _ in runs_dated), default=None)
    return series


class WeekAggregate(BaseModel):
    """One ISO week (Monday-Sunday, local time); the week containing as_of only counts days up to as_of."""

    model_config = ConfigDict(frozen=True)

    week: str
    start: date
    end: date
    distance_m: float
    distance_km: float
    longest_run_m: float
    longest_run_km: float
    descent_m: float
    steep_downhill_m: float
    steep_downhill_km: float
    floors_descended: float | None
    """None when no stair data at all exists for that week (unknown is not zero)."""
    worst_pain: int | None
    runs: int
    load: float


def weekly_aggregates(series: DailySeries, weeks: int = 8) -> list[WeekAggregate]:
    """The last `weeks` ISO weeks ending with the week that contains as_of, oldest first."""
    monday = series.as_of - timedelta(days=series.as_of.weekday())
    out: list[WeekAggregate] = []
    for k in range(weeks - 1, -1, -1):
        start = monday - timedelta(days=7 * k)
        end = min(start + timedelta(days=6), series.as_of)
        days = (end - start).days + 1
        # The week's days as one slice (what `series.window(values, end, days)` cuts), reused for every quantity.
        i_end = series.index(end)
        week = slice(max(0, i_end - days + 1), i_end + 1) if i_end >= 0 else slice(0, 0)
        known = any(series.floors_known[week])
        pains = [p for p in series.worst_pain[week] if p >= 0]
        distance = math.fsum(series.distance_m[week])
        longest = max(series.longest_run_m[week], default=0.0)
        steep = math.fsum(series.steep_downhill_m[week])
        out.append(
            WeekAggregate(
                week=iso_week(start),
                start=start,
                end=start + timedelta(days=6),
                distance_m=m1(distance),
                distance_km=km(distance),
                longest_run_m=m1(longest),
                longest_run_km=km(longest),
                descent_m=m1(math.fsum(series.descent_m[week])),
                steep_downhill_m=m1(steep),
                steep_downhill_km=km(steep),
                floors_descended=round(math.fsum(series.floors_down[week]), 1) if known else None,
                worst_pain=max(pains) if pains else None,
                runs=sum(series.runs[week]),
                load=round(math.fsum(series.load[week]), 1),
            )
        )
    return out
