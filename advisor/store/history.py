"""The reads behind one athlete's knee report, in plain SQL on `Database.read()`: `advisor status` is the command a
runner types most, and on SQLite this path never imports SQLAlchemy (its import was most of the command's time).

The rows come back as named tuples whose fields are named as the models' columns (`Activity.start_utc`...), with
the values the models' types would give (UTC instants, dates, booleans), so the use cases turn them into engine
values with the same functions they use for ORM rows (`advisor.services.history`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from advisor.store.db import Database, Reader


class ActivityRow(NamedTuple):
    """The columns of `activities` the engine reads."""

    id: int
    start_utc: datetime
    utc_offset_s: int | None
    sport: str
    sub_sport: str | None
    distance_m: float
    moving_s: float
    elapsed_s: float
    ascent_m: float
    descent_m: float
    descent_steep5_m: float
    distance_steep5_m: float
    descent_steep10_m: float
    distance_steep10_m: float
    avg_cadence_spm: float | None
    load: float
    name: str | None


class PainRow(NamedTuple):
    id: int
    day: date
    when: str
    score: int
    swelling: bool
    locking: bool
    giving_way: bool
    rest_or_night_pain: bool
    hot_red_or_fever: bool
    injury_swelling: bool
    calf_pain: bool
    numbness: bool
    no_red_flags: bool
    note: str | None


class StairRow(NamedTuple):
    day: date
    source: str
    floors_up: float | None
    floors_down: float | None
    steps: int | None


class AssessmentRow(NamedTuple):
    id: int
    day: date
    cleared: bool
    note: str | None


class RehabRow(NamedTuple):
    day: date
    strength: bool
    mobility: bool
    band: bool
    pain: int | None


_PAIN_COLUMNS = ", ".join(f'"{name}"' for name in PainRow._fields)
"""Quoted, because `when` is an SQL keyword."""


@dataclass(frozen=True)
class HistoryRows:
    activities: list[ActivityRow]
    pain: list[PainRow]
    stairs: list[StairRow]
    assessments: list[AssessmentRow]
    rehab: list[RehabRow]


def read_history(
    db: Database, athlete_id: int, *, since: datetime, until: datetime, first_day: date, as_of: date
) -> HistoryRows:
    """In one read transaction: counted activities starting in [since, until), stair days from `first_day`, and
    the whole pain, assessment and rehab logs up to `as_of`."""
    with db.read() as reader:
        day, flag = reader.day, reader.flag
        pain = reader.rows(
            f"SELECT {_PAIN_COLUMNS} FROM pain_entries WHERE athlete_id = :athlete AND day <= :as_of",
            athlete=athlete_id,
            as_of=as_of,
        )
        stairs = reader.rows(
            "SELECT day, source, floors_up, floors_down, steps FROM daily_stairs "
            "WHERE athlete_id = :athlete AND day >= :first AND day <= :as_of",
            athlete=athlete_id,
            first=first_day,
            as_of=as_of,
        )
        assessments = reader.rows(
            "SELECT id, day, cleared, note FROM clinician_assessments WHERE athlete_id = :athlete AND day <= :as_of",
            athlete=athlete_id,
            as_of=as_of,
        )
        rehab = reader.rows(
            "SELECT day, strength, mobility, band, pain FROM rehab_sessions "
            "WHERE athlete_id = :athlete AND day <= :as_of",
            athlete=athlete_id,
            as_of=as_of,
        )
        return HistoryRows(
            activities=_activities(
                reader,
                "AND start_utc >= :since AND start_utc < :until ORDER BY start_utc",
                athlete_id,
                since=since,
                until=until,
            ),
            pain=[PainRow(p[0], day(p[1]), p[2], p[3], *(flag(v) for v in p[4:-1]), p[-1]) for p in pain],
            stairs=[StairRow(day(r[0]), *r[1:]) for r in stairs],
            assessments=[AssessmentRow(a[0], day(a[1]), flag(a[2]), a[3]) for a in assessments],
            rehab=[RehabRow(day(r[0]), *(flag(v) for v in r[1:4]), r[4]) for r in rehab],
        )


def newest_activities(db: Database, athlete_id: int, until: datetime, limit: int = 3) -> list[ActivityRow]:
    """The newest counted activities starting before `until`, newest first."""
    with db.read() as reader:
        return _activities(
            reader, f"AND start_utc < :until ORDER BY start_utc DESC LIMIT {int(limit)}", athlete_id, until=until
        )


_ACTIVITY_COLUMNS = ", ".join(ActivityRow._fields)


def _activities(reader: Reader, where: str, athlete_id: int, **bounds: datetime) -> list[ActivityRow]:
    """Counted (not excluded) activities of the athlete; `where` adds conditions on the `bounds` parameters."""
    rows = reader.rows(
        f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE athlete_id = :athlete AND excluded = :excluded {where}",
        athlete=athlete_id,
        excluded=False,
        **bounds,
    )
    utc = reader.utc
    return [ActivityRow(r[0], utc(r[1]), *r[2:]) for r in rows]
