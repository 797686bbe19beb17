"""The athletes' rows as plain values: what each stores of their own (profile values, changed thresholds), read and
written here so the athletes service never holds an ORM row.

An athlete row stores only what differs from the config file: NULL profile columns, a JSON object of changed
thresholds. Checking those values is the service's (`advisor.services.athletes`), which hands its decisions in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.store.db import Database
    from advisor.store.models import Athlete

PROFILE_FIELDS = ("sex", "flat_feet", "orthotics", "max_hr", "resting_hr", "timezone", "email", "units")
"""The profile values an athlete may have of their own (the others are the config file's for everyone)."""


@dataclass(frozen=True)
class StoredAthlete:
    id: int
    name: str
    created_at: datetime
    own_profile: dict[str, Any]
    """Only the profile values stored for this athlete."""
    own_thresholds: dict[str, float]
    """Only the thresholds changed for this athlete."""


class NameTaken(Exception):
    """The name, or one that differs only in case, belongs to an athlete already (`existing` is theirs)."""

    def __init__(self, existing: str) -> None:
        super().__init__(existing)
        self.existing = existing


Own = tuple[Mapping[str, Any], Mapping[str, float]]
"""An athlete's own profile values and own thresholds."""


def read_athletes(db: Database, *, except_name: str | None = None) -> list[StoredAthlete]:
    """Every athlete by name (but `except_name`)."""
    from sqlalchemy import select

    from advisor.store.models import Athlete

    query = select(Athlete).order_by(Athlete.name)
    if except_name is not None:
        query = query.where(Athlete.name != except_name)
    with db.transaction() as session:
        return [_stored(row) for row in session.scalars(query)]


def read_athlete(db: Database, name: str) -> StoredAthlete | None:
    with db.transaction() as session:
        row = _row(session, name)
        return None if row is None else _stored(row)


def insert_athlete(db: Database, name: str, own: Own, reserved: Mapping[str, str]) -> None:
    """Store a new athlete. `NameTaken` when the name, or one that differs only in case, is taken — by a stored
    athlete or by one of `reserved` (lower-cased name → name), checked in the same transaction as the insert."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from advisor.store.models import Athlete

    try:
        with db.transaction() as session:
            taken = {n.lower(): n for n in session.scalars(select(Athlete.name))} | dict(reserved)
            if name.lower() in taken:
                raise NameTaken(taken[name.lower()])
            row = Athlete(name=name, created_at=datetime.now(UTC))
            _write(row, *own)
            session.add(row)
    except IntegrityError:
        raise NameTaken(name) from None


def update_athlete(db: Database, name: str, change: Callable[[StoredAthlete], Own]) -> bool:
    """Replace an athlete's own values by what `change` decides from the stored ones, in one transaction (an
    exception from `change` writes nothing); False when there is no such athlete."""
    with db.transaction() as session:
        row = _row(session, name, for_update=True)
        if row is None:
            return False
        profile, thresholds = change(_stored(row))
        for key in PROFILE_FIELDS:
            setattr(row, key, None)
        _write(row, profile, thresholds)
        return True


def _row(session: Any, name: str, *, for_update: bool = False) -> Athlete | None:
    from sqlalchemy import select

    from advisor.store.models import Athlete

    query = select(Athlete).where(Athlete.name == name)
    return session.scalar(query.with_for_update() if for_update else query)


def _stored(row: Athlete) -> StoredAthlete:
    return StoredAthlete(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        own_profile={key: getattr(row, key) for key in PROFILE_FIELDS if getattr(row, key) is not None},
        own_thresholds=dict(json.loads(row.thresholds)) if row.thresholds else {},
    )


def _write(row: Athlete, profile: Mapping[str, Any], thresholds: Mapping[str, float]) -> None:
    """The caller checked every key is a profile field (the service's sentence names them)."""
    for key, value in profile.items():
        setattr(row, key, value)
    row.thresholds = json.dumps(dict(sorted(thresholds.items()))) if thresholds else None


ATHLETE_TABLES = (
    "activities",
    "source_files",
    "daily_stairs",
    "pain_entries",
    "sync_state",
    "outbox",
    "clinician_assessments",
    "rehab_sessions",
    "week_ends",
    "notifications",
)
"""Every table of an athlete's own rows (activities before the files they came from)."""


def delete_athlete_data(db: Database, athlete_id: int, *, athlete_too: bool) -> dict[str, int]:
    """Delete every row of the athlete's, and the athlete too (`athlete_too`), in one transaction; the rows deleted
    per table. With the athlete kept, their stored report stays, made stale by the deletes' triggers (its version
    only grows, so no report computed before can be kept as current afterwards); with the athlete gone, it goes."""
    with db.write() as writer:
        counts = {
            table: writer.execute(f"DELETE FROM {table} WHERE athlete_id = :a", a=athlete_id)
            for table in ATHLETE_TABLES
        }
        if athlete_too:
            writer.execute("DELETE FROM athletes WHERE id = :a", a=athlete_id)
            writer.execute("DELETE FROM stored_reports WHERE athlete_id = :a", a=athlete_id)
        return counts
