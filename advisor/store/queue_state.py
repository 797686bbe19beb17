"""What the job queue (`jobs.queue`) needs from the database besides Procrastinate's own queries.

The queue's tables belong to Procrastinate and are read and written through its API; what lives here is the SQL of
ours around it, kept in the store like every other statement:
- `queue_schema_lock` / `queue_schema_present`: two processes starting at once on an empty database must not both
  create Procrastinate's tables (the second would fail on "type already exists"), so the check-and-create runs
  under a session advisory lock;
- `try_recovery_lock`: the sweep that puts a dead worker's jobs back in the queue runs on every worker; one sweep at
  a time, so a job retried by one sweep and already taken by a live worker is never retried again by another sweep
  that read the list a moment earlier;
- `outbox_weeks`: the summary round decides, for every athlete at once, whose summary is due or waiting, in one
  query instead of two per athlete.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, text

from advisor.store.db import Database
from advisor.store.models import OutboxMail
from advisor.store.outbox import PENDING

QUEUE_LOCK_NAMESPACE = 0x4B51
""""KQ": the queue's own advisory locks, apart from the importer's ("KN") and the old daemon claims' ("KD")."""
SCHEMA_KEY = "hashtext(current_schema() || '.procrastinate-schema')"
RECOVERY_KEY = "hashtext(current_schema() || '.procrastinate-recovery')"
"""Keyed by schema like the athletes' locks: advisory locks are per database, and two clinics (or two tests) in two
schemas of one server must not wait for each other."""


@contextmanager
def queue_schema_lock(db: Database) -> Iterator[None]:
    """Hold the schema lock for the block (waiting for another process that holds it): create-if-missing inside."""
    with db.engine.connect() as connection:
        connection.execute(text(f"SELECT pg_advisory_lock(:ns, {SCHEMA_KEY})"), {"ns": QUEUE_LOCK_NAMESPACE})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text(f"SELECT pg_advisory_unlock(:ns, {SCHEMA_KEY})"), {"ns": QUEUE_LOCK_NAMESPACE})
            connection.commit()


def queue_schema_present(db: Database) -> bool:
    """Whether Procrastinate's tables exist in this database's schema (`advisor daemon status` reads only then)."""
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar() is True


class RecoveryLock:
    """The held recovery lock; `release()` gives it back (the server drops it too if this process dies)."""

    def __init__(self, connection: Connection) -> None:
        self._connection: Connection | None = connection

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text(f"SELECT pg_advisory_unlock(:ns, {RECOVERY_KEY})"), {"ns": QUEUE_LOCK_NAMESPACE})
            connection.commit()
        finally:
            connection.close()


def try_recovery_lock(db: Database) -> RecoveryLock | None:
    """The recovery lock if nobody holds it, else None at once (another worker is sweeping: nothing to do)."""
    connection = db.engine.connect()
    try:
        held = connection.execute(
            text(f"SELECT pg_try_advisory_lock(:ns, {RECOVERY_KEY})"), {"ns": QUEUE_LOCK_NAMESPACE}
        ).scalar()
        connection.commit()
    except BaseException:
        connection.close()
        raise
    if not held:
        connection.close()
        return None
    return RecoveryLock(connection)


@dataclass(frozen=True)
class OutboxWeeks:
    """One athlete's outbox as the summary round needs it."""

    last_week: str | None
    """The latest week queued, pending or sent (None: nothing ever queued)."""
    pending: int
    """How many weeks wait to be sent."""


def outbox_weeks(db: Database) -> dict[int, OutboxWeeks]:
    """Every athlete with an outbox row: their latest queued week and how many wait, in one grouped query."""
    pending = func.count().filter(OutboxMail.status == PENDING)
    query = select(OutboxMail.athlete_id, func.max(OutboxMail.week), pending).group_by(OutboxMail.athlete_id)
    with db.transaction() as session:
        return {row[0]: OutboxWeeks(row[1], int(row[2] or 0)) for row in session.execute(query)}
