"""Use cases for what the runner does about the knee: rehab sessions and a clinician's assessment.

Both are logs the knee engine replays: rehab sessions drive the routine's progression and tell "did the work and it
hasn't helped" from "do the work first"; an assessment ends (cleared) or keeps (not cleared) a red-flag pause.

    from advisor.services.rehab import RehabInput, log_rehab
    log_rehab(db, athlete_id, RehabInput(day=date(2026, 5, 4), strength=True), today=date(2026, 5, 4))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from advisor.services.knee import MAX_NOTE_CHARS, InputError
from advisor.store.db import Database
from advisor.store.models import ClinicianAssessment, RehabSessionRow


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


def log_rehab(db: Database, athlete_id: int, entry: RehabInput, today: date) -> RehabSessionRow:
    """Store one rehab session; nothing is stored when any part is wrong."""
    day = entry.day or today
    _check_day(day, today)
    _check_note(entry.note)
    if not (entry.strength or entry.mobility):
        raise InputError("a session is --strength, --mobility or both")
    if entry.pain is not None and not 0 <= entry.pain <= 10:
        raise InputError(f"--pain must be a whole number from 0 to 10, got {entry.pain}")
    row = RehabSessionRow(
        athlete_id=athlete_id,
        day=day,
        strength=entry.strength,
        mobility=entry.mobility,
        band=entry.band,
        pain=entry.pain,
        note=entry.note or None,
        created_at=datetime.now(UTC),
    )
    with db.transaction() as session:
        session.add(row)
    return row


def list_rehab(db: Database, athlete_id: int, since: date | None = None) -> list[RehabSessionRow]:
    query = select(RehabSessionRow).where(RehabSessionRow.athlete_id == athlete_id)
    if since is not None:
        query = query.where(RehabSessionRow.day >= since)
    with db.transaction() as session:
        return list(session.scalars(query.order_by(RehabSessionRow.day, RehabSessionRow.id)))


def record_assessment(
    db: Database, athlete_id: int, cleared: bool, day: date | None, note: str | None, today: date
) -> ClinicianAssessment:
    """Store a clinician's assessment: cleared to run, or not yet."""
    when = day or today
    _check_day(when, today)
    _check_note(note)
    row = ClinicianAssessment(
        athlete_id=athlete_id, day=when, cleared=cleared, note=note or None, created_at=datetime.now(UTC)
    )
    with db.transaction() as session:
        session.add(row)
    return row


def list_assessments(db: Database, athlete_id: int) -> list[ClinicianAssessment]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(ClinicianAssessment)
                .where(ClinicianAssessment.athlete_id == athlete_id)
                .order_by(ClinicianAssessment.day, ClinicianAssessment.id)
            )
        )
