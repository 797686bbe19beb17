"""Use cases around the knee: logging pain and stairs, and assessing the stored history.

These are the I/O edges of the risk engine: they validate what the runner typed, read the store, turn rows into
the engine's plain values and call the pure `assess`. The clock is read only by the caller (the CLI's default
`--as-of` is "today in the runner's time zone"), so `assess_history` is reproducible for any date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, get_args
from zoneinfo import ZoneInfo

from advisor.advice.report import KneeReport, assess
from advisor.errors import InputError
from advisor.risk.aggregates import HISTORY_DAYS
from advisor.risk.model import Assessment, Flag, PainEntry, PainWhen, Profile, RehabSession, Run, StairDay

if TYPE_CHECKING:
    from advisor.config import Settings
    from advisor.store.db import Database, Reader
    from advisor.store.models import Activity, PainEntryRow

STAIR_SOURCE_PRIORITY = ("manual", "garmin", "fit_monitoring")
"""When several sources give floors for one day, the runner's own entry wins, then Garmin's daily summary."""
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class PainInput:
    score: int
    when: str = "after"
    day: date | None = None
    swelling: bool = False
    locking: bool = False
    giving_way: bool = False
    rest_or_night_pain: bool = False
    note: str | None = None


def log_pain(db: Database, athlete_id: int, entry: PainInput, today: date) -> PainEntryRow:
    """Store one pain score after checking it; nothing is stored when any part is wrong."""
    if not 0 <= entry.score <= 10:
        raise InputError(f"--score must be a whole number from 0 (no pain) to 10 (worst), got {entry.score}")
    if entry.when not in get_args(PainWhen):
        raise InputError(f"--when must be one of during, after, morning, got {entry.when!r}")
    day = entry.day or today
    if day > today:
        raise InputError(f"--date {day.isoformat()} is in the future (today is {today.isoformat()})")
    if day < today - timedelta(days=3650):
        raise InputError(f"--date {day.isoformat()} is more than ten years ago")
    if entry.note is not None and len(entry.note) > MAX_NOTE_CHARS:
        raise InputError(f"--note is longer than {MAX_NOTE_CHARS} characters")
    from advisor.store.models import PainEntryRow

    row = PainEntryRow(
        athlete_id=athlete_id,
        day=day,
        when=entry.when,
        score=entry.score,
        swelling=entry.swelling,
        locking=entry.locking,
        giving_way=entry.giving_way,
        rest_or_night_pain=entry.rest_or_night_pain,
        note=entry.note or None,
        created_at=datetime.now(UTC),
    )
    with db.transaction() as session:
        session.add(row)
    return row


def list_pain(db: Database, athlete_id: int, since: date | None = None) -> list[PainEntryRow]:
    from sqlalchemy import select

    from advisor.store.models import PainEntryRow

    query = select(PainEntryRow).where(PainEntryRow.athlete_id == athlete_id)
    if since is not None:
        query = query.where(PainEntryRow.day >= since)
    with db.transaction() as session:
        return list(session.scalars(query.order_by(PainEntryRow.day, PainEntryRow.id)))


def delete_pain(db: Database, athlete_id: int, entry_id: int) -> None:
    from sqlalchemy import delete

    from advisor.store.models import PainEntryRow

    with db.transaction() as session:
        result = session.execute(
            delete(PainEntryRow).where(PainEntryRow.athlete_id == athlete_id, PainEntryRow.id == entry_id)
        )
        if result.rowcount == 0:
            raise InputError(f"there is no pain entry with id {entry_id} (see `advisor pain list`)")


def log_stairs(
    db: Database, athlete_id: int, floors_down: float, floors_up: float | None, day: date, today: date
) -> None:
    """The runner's own count of floors for a day without a watch that counts them; replaces an earlier entry."""
    if floors_down < 0 or (floors_up is not None and floors_up < 0):
        raise InputError("--floors must be zero or more")
    if floors_down > 1000:
        raise InputError(f"--floors {floors_down:g} is more than 1000 floors in a day; check the number")
    if day > today:
        raise InputError(f"--date {day.isoformat()} is in the future (today is {today.isoformat()})")
    from advisor.store.models import DailyStairs

    with db.transaction() as session:
        session.merge(
            DailyStairs(
                athlete_id=athlete_id,
                day=day,
                source="manual",
                floors_up=floors_up if floors_up is not None else floors_down,
                floors_down=floors_down,
                steps=None,
                updated_at=datetime.now(UTC),
            )
        )


def assess_history(db: Database, athlete_id: int, settings: Settings, as_of: date) -> KneeReport:
    """Read what the engine may use up to `as_of` and assess it, in one transaction.

    Activities and stair days are read only for the engine's window (`HISTORY_DAYS` before as_of, plus two days
    for time zones), so the answer never depends on where the stored history starts; the pain, assessment and
    rehab logs are read whole, because an unassessed red flag and the first pain ever count however old they are.
    """
    start = as_of - timedelta(days=HISTORY_DAYS + 2)
    tz = settings.tz
    since = datetime.combine(start, datetime.min.time(), UTC)
    until = datetime.combine(as_of + timedelta(days=2), datetime.min.time(), UTC)
    with db.read() as reader:
        activities = _activities(
            reader,
            "AND start_utc >= :since AND start_utc < :until ORDER BY start_utc",
            athlete_id,
            since=since,
            until=until,
        )
        pain_rows = reader.rows(
            'SELECT id, day, "when", score, swelling, locking, giving_way, rest_or_night_pain, note '
            "FROM pain_entries WHERE athlete_id = :athlete AND day <= :as_of",
            athlete=athlete_id,
            as_of=as_of,
        )
        stair_rows = reader.rows(
            "SELECT day, source, floors_up, floors_down, steps FROM daily_stairs "
            "WHERE athlete_id = :athlete AND day >= :start AND day <= :as_of",
            athlete=athlete_id,
            start=start,
            as_of=as_of,
        )
        assessment_rows = reader.rows(
            "SELECT id, day, cleared, note FROM clinician_assessments WHERE athlete_id = :athlete AND day <= :as_of",
            athlete=athlete_id,
            as_of=as_of,
        )
        rehab_rows = reader.rows(
            "SELECT day, strength, mobility, band, pain FROM rehab_sessions "
            "WHERE athlete_id = :athlete AND day <= :as_of",
            athlete=athlete_id,
            as_of=as_of,
        )
        runs = [_run(a, tz) for a in activities]
        day, flag = reader.day, reader.flag
        pain = [
            PainEntry(
                id=p[0],
                day=day(p[1]),
                when=p[2],
                score=p[3],
                swelling=flag(p[4]),
                locking=flag(p[5]),
                giving_way=flag(p[6]),
                rest_or_night_pain=flag(p[7]),
                note=p[8],
            )
            for p in pain_rows
        ]
        stairs = _stair_days([_StairRow(day(r[0]), *r[1:]) for r in stair_rows])
        assessments = [Assessment(id=a[0], day=day(a[1]), cleared=flag(a[2]), note=a[3]) for a in assessment_rows]
        rehab = [
            RehabSession(day=day(r[0]), strength=flag(r[1]), mobility=flag(r[2]), band=flag(r[3]), pain=r[4])
            for r in rehab_rows
        ]
    profile = Profile(
        sex=settings.profile.sex,
        flat_feet=settings.profile.flat_feet,
        orthotics=settings.profile.orthotics,
        timezone=settings.profile.timezone,
        units=settings.profile.units,
    )
    return assess(runs, pain, stairs, profile, settings.thresholds, as_of, assessments, rehab)


class _ActivityRow(NamedTuple):
    """The columns of `activities` the engine reads, as `Activity` names them."""

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


_ACTIVITY_COLUMNS = ", ".join(_ActivityRow._fields)


def _activities(reader: Reader, where: str, athlete_id: int, **bounds: datetime) -> list[_ActivityRow]:
    """Counted (not excluded) activities of the athlete; `where` adds conditions on the `bounds` parameters."""
    rows = reader.rows(
        f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE athlete_id = :athlete AND excluded = :excluded {where}",
        athlete=athlete_id,
        excluded=False,
        **bounds,
    )
    utc = reader.utc
    return [_ActivityRow(r[0], utc(r[1]), *r[2:]) for r in rows]


class _StairRow(NamedTuple):
    day: date
    source: str
    floors_up: float | None
    floors_down: float | None
    steps: int | None


def _run(a: Activity | _ActivityRow, tz: ZoneInfo) -> Run:
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


def _stair_days(rows: list[_StairRow]) -> list[StairDay]:
    best: dict[date, _StairRow] = {}
    for row in rows:
        current = best.get(row.day)
        if current is None or STAIR_SOURCE_PRIORITY.index(row.source) < STAIR_SOURCE_PRIORITY.index(current.source):
            best[row.day] = row
    return [
        StairDay(day=d, floors_up=r.floors_up, floors_down=r.floors_down, steps=r.steps)
        for d, r in sorted(best.items())
    ]


def newest_activity_day(db: Database, athlete_id: int, settings: Settings, as_of: date) -> date | None:
    """Local day of the newest counted activity on or before `as_of` (any age), for "your data is old" hints."""
    until = datetime.combine(as_of + timedelta(days=2), datetime.min.time(), UTC)
    with db.read() as reader:
        newest = _activities(reader, "AND start_utc < :until ORDER BY start_utc DESC LIMIT 3", athlete_id, until=until)
    days = [r.local_day for r in (_run(a, settings.tz) for a in newest) if r.local_day <= as_of]
    return max(days, default=None)


def activity_flags(db: Database, athlete_id: int, settings: Settings, activity: Activity) -> list[Flag]:
    """The flags a run raised, as the report of its own day says: the session spike, downhill or steep-downhill
    flag whose evidence names this activity. (A flag names only the worst run of its week.)"""
    if activity.excluded:
        return []
    day = _run(activity, settings.tz).local_day
    report = assess_history(db, athlete_id, settings, day)
    return [f for f in report.flags if f.evidence.get("activity_id") == activity.id]
