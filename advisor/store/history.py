"""The one read path of stored history: what `status`, `team status`, the web page and the weekly email assess.

It returns the engine's own values (`Run`, `PainEntry`, `StairDay`, `Assessment`, `RehabSession`), already cut to
the windows the engine reads for a day, for one athlete (`read_history`) or a whole team in one read
(`read_histories`: one SELECT per table however many athletes), so a coach's list and a runner's own report can
never disagree about what a stored row means.

Plain SQL on `Database.read()`: the standard library's `sqlite3` on a SQLite file (`advisor status` is the command a
runner types most, and importing SQLAlchemy was most of its time) and SQLAlchemy Core's `text()` elsewhere — the same
SQL text for both. tests/test_read_path.py reads the same generated rows through the ORM and through this module on
both databases, rows at every window's edge included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from advisor.domain.risk.aggregates import HISTORY_DAYS
from advisor.domain.risk.model import SIGN_WORDS, Assessment, PainEntry, RehabSession, Run, StairDay

if TYPE_CHECKING:
    from advisor.store.db import Database, Reader

STAIR_SOURCE_PRIORITY = ("manual", "garmin", "fit_monitoring")
"""When several sources give floors for one day, the runner's own entry wins, then Garmin's daily summary."""
WINDOW_MARGIN_DAYS = 2
"""Two days either side of the window in UTC, so a run's local day is cut in Python, in the runner's time zone."""


def window_start(as_of: date) -> date:
    """The first day whose activities and stairs the engine reads for `as_of` (plus the margin)."""
    return as_of - timedelta(days=HISTORY_DAYS + WINDOW_MARGIN_DAYS)


def midnight_utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@dataclass(frozen=True)
class History:
    """What `assess` takes for one athlete, already cut to their own windows for one day."""

    runs: list[Run] = field(default_factory=list)
    pain: list[PainEntry] = field(default_factory=list)
    stairs: list[StairDay] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    rehab: list[RehabSession] = field(default_factory=list)


@dataclass(frozen=True)
class Wanted:
    """Whose history, for which day, in which time zone (the zone places a run without a stored offset).

    `first`: the earliest day a `History` will be cut for from the same read (`HistorySpan.at`); default `as_of`."""

    as_of: date
    tz: ZoneInfo
    first: date | None = None


type StairRow = tuple[date, str, float | None, float | None, int | None]
"""A stairs row as read (day, source, floors up, floors down, steps); `stair_days` makes the engine's values."""
type DayInputs = tuple[list[Run], list[PainEntry], list[StairRow], list[Assessment], list[RehabSession]]
"""The rows one day's `History` is made of (`HistorySpan.inputs`)."""


@dataclass(frozen=True)
class HistorySpan:
    """One athlete's rows read once for every day from `first` to `last`; `at(day)` cuts the `History` the engine
    reads for that day, exactly as a read for that day alone would (the weekly chart's 13 week-ends, one read)."""

    first: date
    last: date
    runs: list[Run]
    pain: list[PainEntry]
    stair_rows: list[StairRow]
    assessments: list[Assessment]
    rehab: list[RehabSession]

    def at(self, as_of: date) -> History:
        runs, pain, stair_rows, assessments, rehab = self.inputs(as_of)
        return History(runs, pain, stair_days(stair_rows), assessments, rehab)

    def inputs(self, as_of: date) -> DayInputs:
        """The rows `at(as_of)` is made of, the stairs still as rows: all a report for that day depends on (what
        advisor.services.week_ends digests), without building the day's `History`."""
        if not self.first <= as_of <= self.last:
            raise ValueError(f"{as_of} is outside the span read, {self.first} to {self.last}")
        start = window_start(as_of)
        lo, hi = midnight_utc(start), midnight_utc(as_of + timedelta(days=WINDOW_MARGIN_DAYS))
        return (
            [r for r in self.runs if lo <= r.start_utc < hi],
            [p for p in self.pain if p.day <= as_of],
            [s for s in self.stair_rows if start <= s[0] <= as_of],
            [a for a in self.assessments if a.day <= as_of],
            [r for r in self.rehab if r.day <= as_of],
        )


def read_history(db: Database, athlete_id: int, tz: ZoneInfo, as_of: date) -> History:
    """One athlete's history for `as_of`, in one read transaction."""
    return read_histories(db, {athlete_id: Wanted(as_of, tz)})[athlete_id]


def read_history_span(db: Database, athlete_id: int, tz: ZoneInfo, first: date, last: date) -> HistorySpan:
    """One athlete's rows for every day from `first` to `last`, in one read (cut a day with `.at(day)`)."""
    return read_spans(db, {athlete_id: Wanted(last, tz, first)})[athlete_id]


def read_histories(db: Database, wanted: Mapping[int, Wanted]) -> dict[int, History]:
    """Every wanted athlete's `History` for their own `as_of` (see `read_spans`)."""
    return {athlete_id: span.at(wanted[athlete_id].as_of) for athlete_id, span in read_spans(db, wanted).items()}


def read_spans(db: Database, wanted: Mapping[int, Wanted]) -> dict[int, HistorySpan]:
    """Every wanted athlete's rows, for every day from their `first` to their `as_of`, in one read transaction and one
    SELECT per table.

    What is read: counted (not excluded) activities and stair days of the window (`HISTORY_DAYS`, so the answer
    never depends on where the stored history starts), and the whole pain, assessment and rehab logs up to the day
    (an unassessed red flag and the first pain ever count however old).
    """
    if not wanted:
        return {}
    first = min(w.first or w.as_of for w in wanted.values())
    last = max(w.as_of for w in wanted.values())
    ids, bound = _athletes(wanted)
    with db.read() as reader:
        day, flag, utc = reader.day, reader.flag, reader.utc
        activities = reader.rows(
            f"SELECT athlete_id, {_ACTIVITY_COLUMNS} FROM activities WHERE athlete_id IN ({ids}) "
            "AND excluded = :excluded AND start_utc >= :since AND start_utc < :until ORDER BY start_utc",
            excluded=False,
            since=midnight_utc(window_start(first)),
            until=midnight_utc(last + timedelta(days=WINDOW_MARGIN_DAYS)),
            **bound,
        )
        pain = reader.rows(
            f"SELECT athlete_id, {_PAIN_COLUMNS} FROM pain_entries WHERE athlete_id IN ({ids}) AND day <= :last "
            "ORDER BY day, id",
            last=last,
            **bound,
        )
        stairs = reader.rows(
            "SELECT athlete_id, day, source, floors_up, floors_down, steps FROM daily_stairs "
            f"WHERE athlete_id IN ({ids}) AND day >= :first AND day <= :last",
            first=window_start(first),
            last=last,
            **bound,
        )
        assessments = reader.rows(
            "SELECT athlete_id, id, day, cleared, note FROM clinician_assessments "
            f"WHERE athlete_id IN ({ids}) AND day <= :last",
            last=last,
            **bound,
        )
        rehab = reader.rows(
            "SELECT athlete_id, day, strength, mobility, band, pain FROM rehab_sessions "
            f"WHERE athlete_id IN ({ids}) AND day <= :last",
            last=last,
            **bound,
        )
    runs = _by_athlete((r[0], _run(r[1:], utc(r[2]), wanted[r[0]].tz)) for r in activities)
    pains = _by_athlete((p[0], _pain(p[1:], reader)) for p in pain)
    stair_rows = _by_athlete((s[0], (day(s[1]), s[2], s[3], s[4], s[5])) for s in stairs)
    assessed = _by_athlete(
        (a[0], Assessment(id=a[1], day=day(a[2]), cleared=bool(flag(a[3])), note=a[4])) for a in assessments
    )
    sessions = _by_athlete(
        (
            r[0],
            RehabSession(
                day=day(r[1]), strength=bool(flag(r[2])), mobility=bool(flag(r[3])), band=bool(flag(r[4])), pain=r[5]
            ),
        )
        for r in rehab
    )
    return {
        athlete_id: HistorySpan(
            first=w.first or w.as_of,
            last=w.as_of,
            runs=runs.get(athlete_id, []),
            pain=pains.get(athlete_id, []),
            stair_rows=stair_rows.get(athlete_id, []),
            assessments=assessed.get(athlete_id, []),
            rehab=sessions.get(athlete_id, []),
        )
        for athlete_id, w in wanted.items()
    }


def read_pain_log(db: Database, athlete_id: int, since: date | None = None) -> list[PainEntry]:
    """The athlete's pain log (from `since`), by day then by the order it was logged."""
    with db.read() as reader:
        rows = reader.rows(
            f"SELECT {_PAIN_COLUMNS} FROM pain_entries WHERE athlete_id = :athlete"
            + (" AND day >= :since" if since is not None else "")
            + " ORDER BY day, id",
            athlete=athlete_id,
            **({"since": since} if since is not None else {}),
        )
        return [_pain(row, reader) for row in rows]


def newest_activity_day(db: Database, athlete_id: int, tz: ZoneInfo, as_of: date) -> date | None:
    """Local day of the newest counted activity on or before `as_of` (any age), for "your data is old" hints.

    The three newest before the UTC margin are read, because a run's local day is only known in Python."""
    until = midnight_utc(as_of + timedelta(days=WINDOW_MARGIN_DAYS))
    with db.read() as reader:
        rows = reader.rows(
            f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE athlete_id = :athlete AND excluded = :excluded "
            "AND start_utc < :until ORDER BY start_utc DESC LIMIT 3",
            athlete=athlete_id,
            excluded=False,
            until=until,
        )
        runs = [_run(r, reader.utc(r[1]), tz) for r in rows]
    return max((r.local_day for r in runs if r.local_day <= as_of), default=None)


def oldest_activity_day(db: Database, athlete_id: int, tz: ZoneInfo) -> date | None:
    """Local day of the athlete's first counted activity: where their history starts ("your history starts on
    D" for an `--as-of` before it)."""
    with db.read() as reader:
        rows = reader.rows(
            f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE athlete_id = :athlete AND excluded = :excluded "
            "ORDER BY start_utc LIMIT 3",
            athlete=athlete_id,
            excluded=False,
        )
        runs = [_run(r, reader.utc(r[1]), tz) for r in rows]
    return min((r.local_day for r in runs), default=None)


def stair_days(rows: Iterable[tuple[date, str, float | None, float | None, int | None]]) -> list[StairDay]:
    """One `StairDay` per day, from the source `STAIR_SOURCE_PRIORITY` prefers; rows are (day, source, floors up,
    floors down, steps)."""
    best: dict[date, tuple[date, str, float | None, float | None, int | None]] = {}
    for row in rows:
        current = best.get(row[0])
        if current is None or STAIR_SOURCE_PRIORITY.index(row[1]) < STAIR_SOURCE_PRIORITY.index(current[1]):
            best[row[0]] = row
    return [StairDay(day=d, floors_up=r[2], floors_down=r[3], steps=r[4]) for d, r in sorted(best.items())]


# --- rows → values ------------------------------------------------------------------------------------------------

_RUN_FIELDS = (
    "id",
    "start_utc",
    "utc_offset_s",
    "sport",
    "sub_sport",
    "distance_m",
    "moving_s",
    "elapsed_s",
    "ascent_m",
    "descent_m",
    "descent_steep5_m",
    "distance_steep5_m",
    "descent_steep10_m",
    "distance_steep10_m",
    "avg_cadence_spm",
    "load",
    "name",
)
_ACTIVITY_COLUMNS = ", ".join(_RUN_FIELDS)
_PAIN_COLUMNS = ", ".join(f'"{name}"' for name in ("id", "day", "when", "score", *SIGN_WORDS, "no_red_flags", "note"))
"""Quoted, because `when` is an SQL keyword."""


def _run(row: Sequence[Any], start_utc: datetime | None, tz: ZoneInfo) -> Run:
    """An activity row (the `_RUN_FIELDS` columns) as the engine's `Run`; a row without a stored UTC offset takes
    the runner's zone's offset at its start."""
    assert start_utc is not None, "start_utc is NOT NULL"
    offset = row[2]
    if offset is None:
        utcoffset = start_utc.astimezone(tz).utcoffset()
        offset = int(utcoffset.total_seconds()) if utcoffset else 0
    # `Run`'s fields are `_RUN_FIELDS` in that order: tests/test_read_path.py compares with Runs built by name.
    return Run(row[0], start_utc, offset, *row[3:])


def _pain(row: Sequence[Any], reader: Reader) -> PainEntry:
    """A `pain_entries` row (the `_PAIN_COLUMNS`) as the engine's `PainEntry`."""
    flag = reader.flag
    return PainEntry(
        id=row[0],
        day=reader.day(row[1]),
        when=row[2],
        score=row[3],
        **{sign: bool(flag(v)) for sign, v in zip(SIGN_WORDS, row[4:-2], strict=True)},
        no_red_flags=bool(flag(row[-2])),
        note=row[-1],
    )


def _athletes(athlete_ids: Iterable[int]) -> tuple[str, dict[str, int]]:
    """`athlete_id IN (...)` as bound parameters (`:a0, :a1, ...`): the same SQL text on both drivers."""
    bound = {f"a{i}": int(a) for i, a in enumerate(athlete_ids)}
    return ", ".join(f":{name}" for name in bound), bound


def _by_athlete[T](pairs: Iterable[tuple[int, T]]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = {}
    for athlete_id, value in pairs:
        grouped.setdefault(athlete_id, []).append(value)
    return grouped
