"""Use cases around the knee: logging pain and stairs, and assessing the stored history.

These are the I/O edges of the risk engine: they validate what the runner typed, read the store, turn rows into
the engine's plain values and call the pure `assess`. The clock is read only by the caller (the CLI's default
`--as-of` is "today in the runner's time zone"), so `assess_history` is reproducible for any date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, get_args

from advisor.domain.advice.report import KneeReport, assess
from advisor.domain.risk.model import SIGN_WORDS, Flag, PainEntry, PainWhen, Profile
from advisor.errors import InputError
from advisor.store.rows import local_date

if TYPE_CHECKING:
    from advisor.config import Settings
    from advisor.store.activities import StoredActivity
    from advisor.store.db import Database
    from advisor.store.history import History
    from advisor.store.logs import StairsEntry

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


def log_pain(db: Database, athlete_id: int, entry: PainInput, today: date) -> PainEntry:
    """Store one pain score after checking it; nothing is stored when any part is wrong. Returns it as stored."""
    from advisor.store.logs import add_pain

    return add_pain(db, athlete_id, _checked(entry, today))


def edit_pain(db: Database, athlete_id: int, entry_id: int, entry: PainInput, today: date) -> PainEntry:
    """Change a logged pain entry to `entry` (checked as a new one is); it keeps its id and its place in the log."""
    from advisor.store.logs import update_pain

    changed = update_pain(db, athlete_id, replace(_checked(entry, today), id=entry_id))
    if changed is None:
        raise InputError(f"there is no pain entry with id {entry_id} (see `advisor pain list`)")
    return changed


def _checked(entry: PainInput, today: date) -> PainEntry:
    """The entry as the engine's value, or the one sentence that says what is wrong with it."""
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
    return PainEntry(
        id=0,
        day=day,
        when=entry.when,  # type: ignore[arg-type]
        score=entry.score,
        **{sign: getattr(entry, sign) for sign in SIGN_WORDS},
        no_red_flags=entry.no_red_flags,
        note=entry.note or None,
    )


def list_pain(db: Database, athlete_id: int, since: date | None = None) -> list[PainEntry]:
    """The pain log (from `since`), oldest first, as the engine's values."""
    from advisor.store.history import read_pain_log

    return read_pain_log(db, athlete_id, since)


def delete_pain(db: Database, athlete_id: int, entry_id: int) -> None:
    from advisor.store.logs import delete_pain as delete

    if not delete(db, athlete_id, entry_id):
        raise InputError(f"there is no pain entry with id {entry_id} (see `advisor pain list`)")


def log_stairs(
    db: Database,
    athlete_id: int,
    floors_down: float,
    floors_up: float | None,
    day: date,
    today: date,
    *,
    add: bool = False,
) -> tuple[float, float] | None:
    """The runner's own count of floors for a day without a watch that counts them; replaces an earlier entry of
    theirs for that day, or adds to it (`add`). Returns the earlier entry (up, down), None when there was none."""
    if floors_down < 0 or (floors_up is not None and floors_up < 0):
        raise InputError("--floors must be zero or more")
    if floors_down > 1000:
        raise InputError(f"--floors {floors_down:g} is more than 1000 floors in a day; check the number")
    if day > today:
        raise InputError(f"--date {day.isoformat()} is in the future (today is {today.isoformat()})")
    from advisor.store.logs import put_manual_stairs

    up = floors_up if floors_up is not None else floors_down
    return put_manual_stairs(db, athlete_id, day, up, floors_down, add=add)


def list_stairs(db: Database, athlete_id: int, since: date | None = None) -> list[StairsEntry]:
    """Every stored day of floors, from every source, oldest first."""
    from advisor.store.logs import read_stairs

    return read_stairs(db, athlete_id, since)


def delete_stairs(db: Database, athlete_id: int, day: date) -> None:
    """Delete the floors the runner logged for `day` (a watch's count for the day stays)."""
    from advisor.store.logs import delete_manual_stairs

    if not delete_manual_stairs(db, athlete_id, day):
        raise InputError(f"you logged no floors for {day.isoformat()} (see `advisor stairs list`)")


def assess_history(db: Database, athlete_id: int, settings: Settings, as_of: date) -> KneeReport:
    """Read what the engine may use up to `as_of` (the store's one read path) and assess it, in one read."""
    from advisor.store.history import read_history

    return assess_athlete(settings, as_of, read_history(db, athlete_id, settings.tz, as_of))


def assess_athlete(settings: Settings, as_of: date, history: History) -> KneeReport:
    """The pure `assess` on one athlete's history, with their own profile and thresholds (`status` and
    `team status` both come through here)."""
    h = history
    return assess(h.runs, h.pain, h.stairs, profile_of(settings), settings.thresholds, as_of, h.assessments, h.rehab)


def profile_of(settings: Settings) -> Profile:
    p = settings.profile
    return Profile(sex=p.sex, flat_feet=p.flat_feet, orthotics=p.orthotics, timezone=p.timezone, units=p.units)


def newest_activity_day(db: Database, athlete_id: int, settings: Settings, as_of: date) -> date | None:
    """Local day of the newest counted activity on or before `as_of` (any age), for "your data is old" hints."""
    from advisor.store.history import newest_activity_day as newest

    return newest(db, athlete_id, settings.tz, as_of)


def history_start(db: Database, athlete_id: int, settings: Settings) -> date | None:
    """Local day of the first counted activity, for "your history starts on D" (None: no activity at all)."""
    from advisor.store.history import oldest_activity_day

    return oldest_activity_day(db, athlete_id, settings.tz)


def activity_flags(db: Database, athlete_id: int, settings: Settings, activity: StoredActivity) -> list[Flag]:
    """The flags a run raised, as the report of its own day says: the session spike, downhill or steep-downhill
    flag whose evidence names this activity. (A flag names only the worst run of its week.)"""
    if activity.excluded:
        return []
    day = local_date(activity, settings.tz)
    report = assess_history(db, athlete_id, settings, day)
    return [f for f in report.flags if f.evidence.get("activity_id") == activity.id]
