"""The runner's logs — pain, their own stair counts, rehab sessions and a clinician's assessments — written and read
back as plain values (the engine replays them all: `advisor.store.history` reads them for an assessment)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from advisor.domain.risk.model import SIGN_WORDS, Assessment, PainEntry

if TYPE_CHECKING:
    from advisor.store.db import Database
    from advisor.store.models import RehabSessionRow


@dataclass(frozen=True)
class RehabEntry:
    """One logged rehab session, as the runner's lists show it (with its id and note)."""

    id: int
    day: date
    strength: bool
    mobility: bool
    band: bool
    pain: int | None
    note: str | None


def add_rehab(
    db: Database,
    athlete_id: int,
    day: date,
    *,
    strength: bool,
    mobility: bool,
    band: bool,
    pain: int | None,
    note: str | None,
) -> RehabEntry:
    from advisor.store.models import RehabSessionRow

    row = RehabSessionRow(
        athlete_id=athlete_id,
        day=day,
        strength=strength,
        mobility=mobility,
        band=band,
        pain=pain,
        note=note,
        created_at=datetime.now(UTC),
    )
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return _rehab(row)


def read_rehab(db: Database, athlete_id: int, since: date | None = None) -> list[RehabEntry]:
    """The rehab log (from `since`), by day then by the order it was logged."""
    from sqlalchemy import select

    from advisor.store.models import RehabSessionRow

    query = select(RehabSessionRow).where(RehabSessionRow.athlete_id == athlete_id)
    if since is not None:
        query = query.where(RehabSessionRow.day >= since)
    with db.transaction() as session:
        return [_rehab(row) for row in session.scalars(query.order_by(RehabSessionRow.day, RehabSessionRow.id))]


def add_assessment(db: Database, athlete_id: int, day: date, cleared: bool, note: str | None) -> Assessment:
    from advisor.store.models import ClinicianAssessment

    row = ClinicianAssessment(athlete_id=athlete_id, day=day, cleared=cleared, note=note, created_at=datetime.now(UTC))
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return Assessment(id=row.id, day=row.day, cleared=row.cleared, note=row.note)


def read_assessments(db: Database, athlete_id: int) -> list[Assessment]:
    """Every assessment, by day then by the order it was recorded."""
    from sqlalchemy import select

    from advisor.store.models import ClinicianAssessment

    query = (
        select(ClinicianAssessment)
        .where(ClinicianAssessment.athlete_id == athlete_id)
        .order_by(ClinicianAssessment.day, ClinicianAssessment.id)
    )
    with db.transaction() as session:
        return [Assessment(id=a.id, day=a.day, cleared=a.cleared, note=a.note) for a in session.scalars(query)]


def _rehab(row: RehabSessionRow) -> RehabEntry:
    return RehabEntry(
        id=row.id,
        day=row.day,
        strength=row.strength,
        mobility=row.mobility,
        band=row.band,
        pain=row.pain,
        note=row.note,
    )


def add_pain(db: Database, athlete_id: int, entry: PainEntry) -> PainEntry:
    """Store one pain entry (its `id` is ignored) and return it with the id it was given."""
    from advisor.store.models import PainEntryRow

    row = PainEntryRow(
        athlete_id=athlete_id,
        day=entry.day,
        when=entry.when,
        score=entry.score,
        **{sign: getattr(entry, sign) for sign in SIGN_WORDS},
        no_red_flags=entry.no_red_flags,
        note=entry.note,
        created_at=datetime.now(UTC),
    )
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return replace(entry, id=row.id)


def update_pain(db: Database, athlete_id: int, entry: PainEntry) -> PainEntry | None:
    """Write `entry` over the athlete's pain entry with its id (its creation time kept); None when there is none."""
    from advisor.store.models import PainEntryRow

    with db.transaction() as session:
        row = session.get(PainEntryRow, entry.id)
        if row is None or row.athlete_id != athlete_id:
            return None
        row.day, row.when, row.score, row.note = entry.day, entry.when, entry.score, entry.note
        row.no_red_flags = entry.no_red_flags
        for sign in SIGN_WORDS:
            setattr(row, sign, getattr(entry, sign))
        return entry


def delete_pain(db: Database, athlete_id: int, entry_id: int) -> bool:
    """Delete one of the athlete's pain entries; False when they have none with that id."""
    from sqlalchemy import delete

    from advisor.store.models import PainEntryRow

    with db.transaction() as session:
        result = session.execute(
            delete(PainEntryRow).where(PainEntryRow.athlete_id == athlete_id, PainEntryRow.id == entry_id)
        )
        return bool(result.rowcount)


def put_manual_stairs(
    db: Database, athlete_id: int, day: date, floors_up: float, floors_down: float, *, add: bool = False
) -> tuple[float, float] | None:
    """The runner's own floors for `day`, replacing an earlier entry of theirs for that day (a watch's stay), or
    added to it (`add`); returns what that entry was (up, down), None when there was none."""
    from advisor.store.models import DailyStairs

    with db.transaction() as session:
        before = session.get(DailyStairs, (athlete_id, day, "manual"))
        earlier = None if before is None else (before.floors_up or 0.0, before.floors_down or 0.0)
        if add and earlier is not None:
            floors_up, floors_down = floors_up + earlier[0], floors_down + earlier[1]
        session.merge(
            DailyStairs(
                athlete_id=athlete_id,
                day=day,
                source="manual",
                floors_up=floors_up,
                floors_down=floors_down,
                steps=None,
                updated_at=datetime.now(UTC),
            )
        )
        return earlier


@dataclass(frozen=True)
class StairsEntry:
    """One day's floors from one source, as stored."""

    day: date
    source: str
    floors_up: float | None
    floors_down: float | None


def read_stairs(db: Database, athlete_id: int, since: date | None = None) -> list[StairsEntry]:
    """The athlete's stair days, oldest first (every source: the watch's, Garmin's and their own)."""
    from sqlalchemy import select

    from advisor.store.models import DailyStairs

    query = select(DailyStairs).where(DailyStairs.athlete_id == athlete_id)
    if since is not None:
        query = query.where(DailyStairs.day >= since)
    with db.transaction() as session:
        rows = session.scalars(query.order_by(DailyStairs.day, DailyStairs.source)).all()
        return [StairsEntry(r.day, r.source, r.floors_up, r.floors_down) for r in rows]


def delete_manual_stairs(db: Database, athlete_id: int, day: date) -> bool:
    """Delete the floors the athlete logged for `day`; False when they logged none (a watch's count stays)."""
    from sqlalchemy import delete

    from advisor.store.models import DailyStairs

    with db.transaction() as session:
        result = session.execute(
            delete(DailyStairs).where(
                DailyStairs.athlete_id == athlete_id, DailyStairs.day == day, DailyStairs.source == "manual"
            )
        )
        return bool(result.rowcount)


def delete_rehab(db: Database, athlete_id: int, entry_id: int) -> bool:
    """Delete one of the athlete's rehab sessions; False when they have none with that id."""
    from sqlalchemy import delete

    from advisor.store.models import RehabSessionRow

    with db.transaction() as session:
        result = session.execute(
            delete(RehabSessionRow).where(RehabSessionRow.athlete_id == athlete_id, RehabSessionRow.id == entry_id)
        )
        return bool(result.rowcount)
