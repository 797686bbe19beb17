"""Use cases around the knee: logging pain and stairs, and assessing the stored history.

These are the I/O edges of the risk engine: they validate what the runner typed, read the store, turn rows into
the engine's plain values and call the pure `assess`. The clock is read only by the caller (the CLI's default
`--as-of` is "today in the runner's time zone"), so `assess_history` is reproducible for any date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, get_args

from advisor.domain.advice.report import KneeReport
from advisor.domain.risk.model import SIGN_WORDS, Flag, PainWhen
from advisor.errors import InputError
from advisor.services.history import (
    WINDOW_MARGIN_DAYS,
    assess_athlete,
    history_for,
    midnight_utc,
    run_from_row,
    window_start,
)

if TYPE_CHECKING:
    from advisor.config import Settings
    from advisor.store.db import Database
    from advisor.store.models import Activity, PainEntryRow

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
    hot_red_or_fever: bool = False
    injury_swelling: bool = False
    calf_pain: bool = False
    numbness: bool = False
    no_red_flags: bool = False
    note: str | None = None

    @property
    def signs(self) -> tuple[str, ...]:
        return tuple(name for name in SIGN_WORDS if getattr(self, name))


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
    if entry.no_red_flags and entry.signs:
        raise InputError("--no-red-flags says none of the signs is there: it cannot come with one of them")
    if entry.note is not None and len(entry.note) > MAX_NOTE_CHARS:
        raise InputError(f"--note is longer than {MAX_NOTE_CHARS} characters")
    from advisor.store.models import PainEntryRow

    row = PainEntryRow(
        athlete_id=athlete_id,
        day=day,
        when=entry.when,
        score=entry.score,
        **{sign: getattr(entry, sign) for sign in SIGN_WORDS},
        no_red_flags=entry.no_red_flags,
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
    """Read what the engine may use up to `as_of` (the windows of `history_for`) and assess it, in one read."""
    from advisor.store.history import read_history

    start = window_start(as_of)
    rows = read_history(
        db,
        athlete_id,
        since=midnight_utc(start),
        until=midnight_utc(as_of + timedelta(days=WINDOW_MARGIN_DAYS)),
        first_day=start,
        as_of=as_of,
    )
    history = history_for(as_of, settings.tz, rows.activities, rows.pain, rows.stairs, rows.assessments, rows.rehab)
    return assess_athlete(settings, as_of, history)


def newest_activity_day(db: Database, athlete_id: int, settings: Settings, as_of: date) -> date | None:
    """Local day of the newest counted activity on or before `as_of` (any age), for "your data is old" hints."""
    from advisor.store.history import newest_activities

    newest = newest_activities(db, athlete_id, midnight_utc(as_of + timedelta(days=WINDOW_MARGIN_DAYS)))
    days = [r.local_day for r in (run_from_row(a, settings.tz) for a in newest) if r.local_day <= as_of]
    return max(days, default=None)


def activity_flags(db: Database, athlete_id: int, settings: Settings, activity: Activity) -> list[Flag]:
    """The flags a run raised, as the report of its own day says: the session spike, downhill or steep-downhill
    flag whose evidence names this activity. (A flag names only the worst run of its week.)"""
    if activity.excluded:
        return []
    day = run_from_row(activity, settings.tz).local_day
    report = assess_history(db, athlete_id, settings, day)
    return [f for f in report.flags if f.evidence.get("activity_id") == activity.id]
