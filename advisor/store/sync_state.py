"""Where a sync with an outside source (Garmin) stands, as one repository: its `sync_state` row as a plain value,
and the two reads and writes of a round that touch the activities — which runs are already linked to the
source's ids, and linking a run while the round's mark moves past it.

Why plain values: the round keeps its state across many transactions (one per activity), so it must hold
something no session owns; an ORM row detached from its session is one setattr away from a silent no-op.
SQLAlchemy and the models are imported inside the functions, as in `store.activities`: `advisor garmin status`
and the team's overview import this module before they know they will read anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from advisor.store.db import Database
    from advisor.store.models import SyncState as SyncStateRow


@dataclass(frozen=True)
class SyncState:
    """How far the sync with one source got: the start of the last activity handled for good (the mark), the
    last round that finished, when to ask again after a rate limit, and the last error (None: all well)."""

    synced_up_to: datetime | None = None
    last_success_at: datetime | None = None
    retry_after: datetime | None = None
    last_error: str | None = None


class Unset:
    """The type of `UNSET`: a field `save_sync_state` leaves as it is."""


UNSET: Final = Unset()


def load_sync_state(db: Database, athlete_id: int, source: str) -> SyncState:
    """Where the athlete's sync with `source` stands (all blank when it never ran)."""
    from advisor.store.models import SyncState as SyncStateRow

    with db.transaction() as session:
        row = session.get(SyncStateRow, (athlete_id, source))
        if row is None:
            return SyncState()
        return SyncState(row.synced_up_to, row.last_success_at, row.retry_after, row.last_error)


def save_sync_state(
    db: Database,
    athlete_id: int,
    source: str,
    *,
    synced_up_to: datetime | Unset | None = UNSET,
    last_success_at: datetime | Unset | None = UNSET,
    retry_after: datetime | Unset | None = UNSET,
    last_error: str | Unset | None = UNSET,
) -> None:
    """Set the fields given, in a transaction of their own; a field not given (`UNSET`) keeps its value."""
    changes: dict[str, Any] = {
        "synced_up_to": synced_up_to,
        "last_success_at": last_success_at,
        "retry_after": retry_after,
        "last_error": last_error,
    }
    with db.transaction() as session:
        row = _state_row(session, athlete_id, source)
        for column, value in changes.items():
            if not isinstance(value, Unset):
                setattr(row, column, value)


def linked_garmin_ids(db: Database, athlete_id: int, since_utc: datetime) -> set[int]:
    """The Garmin ids of the athlete's stored runs starting at or after `since_utc`."""
    from sqlalchemy import select

    from advisor.store.models import Activity

    with db.transaction() as session:
        ids = session.scalars(
            select(Activity.garmin_activity_id).where(
                Activity.athlete_id == athlete_id,
                Activity.garmin_activity_id.is_not(None),
                Activity.start_utc >= since_utc,
            )
        )
        return {int(i) for i in ids if i is not None}


def link_and_mark(
    db: Database,
    athlete_id: int,
    source: str,
    *,
    garmin_activity_id: int,
    activity_ids: Collection[int],
    synced_up_to: datetime,
) -> None:
    """In one transaction: tie the stored runs `activity_ids` that have no Garmin id yet to `garmin_activity_id`
    (none to tie: nothing), and move the sync's mark to `synced_up_to` — so a run and the mark past it are stored
    together or not at all."""
    from sqlalchemy import update

    from advisor.store.models import Activity

    with db.transaction() as session:
        if activity_ids:
            session.execute(
                update(Activity)
                .where(
                    Activity.athlete_id == athlete_id,
                    Activity.id.in_(activity_ids),
                    Activity.garmin_activity_id.is_(None),
                )
                .values(garmin_activity_id=garmin_activity_id)
            )
        _state_row(session, athlete_id, source).synced_up_to = synced_up_to


def _state_row(session: Session, athlete_id: int, source: str) -> SyncStateRow:
    """The athlete's row for `source` in `session`, added when there is none yet."""
    from advisor.store.models import SyncState as SyncStateRow

    row = session.get(SyncStateRow, (athlete_id, source))
    if row is None:
        row = SyncStateRow(athlete_id=athlete_id, source=source)
        session.add(row)
    return row


__all__ = ["UNSET", "SyncState", "Unset", "link_and_mark", "linked_garmin_ids", "load_sync_state", "save_sync_state"]
