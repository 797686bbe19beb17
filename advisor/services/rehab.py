"""Use cases for what the runner does about the knee: rehab sessions and a clinician's assessment.

Both are logs the knee engine replays: rehab sessions drive the routine's progression and tell "did the work and it
hasn't helped" from "do the work first"; an assessment ends (cleared) or keeps (not cleared) a red-flag pause.

    from advisor.services.rehab import RehabInput, log_rehab
    log_rehab(db, athlete_id, RehabInput(day=date(2026, 5, 4), strength=True), today=date(2026, 5, 4))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from advisor.domain.risk.model import Assessment
from advisor.services.knee import MAX_NOTE_CHARS, InputError
from advisor.store.db import Database
from advisor.store.logs import RehabEntry, add_assessment, add_rehab, read_assessments, read_rehab


@dataclass(frozen=True)
class RehabInput:
    day: date | None = None
    strength: bool = True
    mobility: bool = True
    band: bool = False
    pain: int | None = None
    note: str | None = None


def _check_day(day: date, today: date) -> None:
    if day > today:
        raise InputError(f"--date {day.isoformat()} is in the future (today is {today.isoformat()})")
    if day < today - timedelta(days=3650):
        raise InputError(f"--date {day.isoformat()} is more than ten years ago")


def _check_note(note: str | None) -> None:
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise InputError(f"--note is longer than {MAX_NOTE_CHARS} characters")


def log_rehab(db: Database, athlete_id: int, entry: RehabInput, today: date) -> RehabEntry:
    """Store one rehab session; nothing is stored when any part is wrong."""
    day = entry.day or today
    _check_day(day, today)
    _check_note(entry.note)
    if not (entry.strength or entry.mobility):
        raise InputError("a session is --strength, --mobility or both")
    if entry.pain is not None and not 0 <= entry.pain <= 10:
        raise InputError(f"--pain must be a whole number from 0 to 10, got {entry.pain}")
    return add_rehab(
        db,
        athlete_id,
        day,
        strength=entry.strength,
        mobility=entry.mobility,
        band=entry.band,
        pain=entry.pain,
        note=entry.note or None,
    )


def list_rehab(db: Database, athlete_id: int, since: date | None = None) -> list[RehabEntry]:
    return read_rehab(db, athlete_id, since)


def delete_rehab(db: Database, athlete_id: int, entry_id: int) -> None:
    from advisor.store.logs import delete_rehab as delete

    if not delete(db, athlete_id, entry_id):
        raise InputError(f"there is no rehab session with id {entry_id} (see `advisor rehab list`)")


def record_assessment(
    db: Database, athlete_id: int, cleared: bool, day: date | None, note: str | None, today: date
) -> Assessment:
    """Store a clinician's assessment: cleared to run, or not yet."""
    when = day or today
    _check_day(when, today)
    _check_note(note)
    return add_assessment(db, athlete_id, when, cleared, note or None)


def list_assessments(db: Database, athlete_id: int) -> list[Assessment]:
    return read_assessments(db, athlete_id)
