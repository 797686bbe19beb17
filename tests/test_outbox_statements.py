"""The outbox store's plain SQL keeps the ORM's promises: the same rows, the same values, fewer round trips.

The weekly round's outbox statements (`advisor.store.outbox`) are plain SQL, not ORM sessions, and a sender's first
step (settle the stale claims, prune the old sent rows, list the pending) is one transaction. These tests pin what
that must not change, on SQLite and PostgreSQL: rows written in plain SQL read back through the ORM's column types
(UTC instants, bytes), a week queued twice is queued once, and the first step does exactly what its three old
transactions did; and they count the round's transactions and statements, so a slower path creeping back shows.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import Connection

from advisor.store import outbox as store
from advisor.store.db import Database, default_athlete_id, open_database
from advisor.store.models import OutboxMail

NOW = datetime(2026, 3, 9, 6, 30, 15, 123456, tzinfo=UTC)
MESSAGE = b"Subject: Knee summary\r\n\r\n\x00\xff binary too"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    yield database
    database.dispose()


def _queue(db: Database, athlete: int, week: str, message: bytes = MESSAGE) -> tuple[store.QueuedSummary, bool]:
    return store.add_summary(
        db, athlete, week, recipient="runner@example.com", subject=f"Knee summary {week}", message=message,
        created_at=NOW,
    )  # fmt: skip


def test_a_queued_week_reads_back_through_the_orm_as_written(db: Database) -> None:
    athlete = default_athlete_id(db)
    queued, inserted = _queue(db, athlete, "2026-W10")
    assert inserted and queued.status == "pending" and queued.attempts == 0 and queued.message == MESSAGE
    with db.transaction() as session:
        row = session.scalars(select(OutboxMail)).one()
        assert (row.id, row.athlete_id, row.week, row.status, row.attempts) == (queued.id, athlete, "2026-W10",
                                                                                 "pending", 0)  # fmt: skip
        assert row.created_at == NOW and row.message == MESSAGE and row.recipient == "runner@example.com"
        assert row.sent_at is None and row.claimed_at is None and row.last_error is None
    assert store.queued_summary(db, athlete, "2026-W10") == queued
    assert store.queued_summary(db, athlete, "2026-W11") is None


def test_a_week_queued_twice_keeps_the_first_rows_bytes(db: Database) -> None:
    """The second process's insert meets the unique constraint: no error, and the first one's row comes back."""
    athlete = default_athlete_id(db)
    first, _ = _queue(db, athlete, "2026-W10")
    second, inserted = _queue(db, athlete, "2026-W10", message=b"another build of the same week")
    assert not inserted and second == first and second.message == MESSAGE
    with db.transaction() as session:
        assert session.scalars(select(OutboxMail.message)).all() == [MESSAGE]


def test_a_week_queued_while_another_insert_waits_to_commit_returns_that_row(database_url: str) -> None:
    """The race itself: another process has inserted the week and not committed yet. The second insert waits for
    it (PostgreSQL's row lock, SQLite's write lock), then finds the week taken and returns the first one's row."""
    name = f"outbox-{os.getpid()}-{time.monotonic_ns()}"  # this test's connections, told apart on a shared server
    url = f"{database_url}&application_name={name}" if database_url.startswith("postgresql") else database_url
    db = open_database(url)
    athlete = default_athlete_id(db)
    results: list[tuple[store.QueuedSummary, bool]] = []
    with db.transaction() as holder:
        holder.execute(insert(OutboxMail).values(**_row(athlete, "2026-W10", "pending")))
        second = threading.Thread(target=lambda: results.append(_queue(db, athlete, "2026-W10", b"second")))
        second.start()
        postgres = db.engine.dialect.name == "postgresql"
        for _ in range(200 if postgres else 10):  # until the second insert waits (PostgreSQL says so; SQLite: 0.5 s)
            time.sleep(0.05)
            if postgres and _waiting(db, name) == 1:
                break
        assert results == []  # it waits for the first one's commit
    second.join(timeout=30)
    [(found, inserted)] = results
    assert not inserted and found.week == "2026-W10" and found.message == MESSAGE and found.status == "pending"
    db.dispose()


def _waiting(db: Database, name: str) -> int:
    with db.engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND wait_event_type = 'Lock'"),
            {"name": name},
        ).scalar_one()


def test_claim_then_mark_sent_drops_the_bytes_and_keeps_the_record(db: Database) -> None:
    athlete = default_athlete_id(db)
    queued, _ = _queue(db, athlete, "2026-W10")
    assert store.claim(db, queued.id, NOW, "laptop:41") == MESSAGE
    assert store.claim(db, queued.id, NOW, "server:42") is None  # the second sender loses it
    with db.transaction() as session:
        row = session.get_one(OutboxMail, queued.id)
        assert (row.status, row.claimed_at, row.claimed_by) == ("sending", NOW, "laptop:41")
    sent_at = NOW + timedelta(seconds=3)
    store.mark_sent(db, queued.id, sent_at)
    assert store.queued_summary(db, athlete, "2026-W10") == store.QueuedSummary(
        queued.id, "2026-W10", "sent", 1, None, sent_at, b""
    )
    with db.transaction() as session:
        row = session.get_one(OutboxMail, queued.id)
        assert (row.status, row.attempts, row.claimed_at, row.claimed_by, row.sent_at) == ("sent", 1, None, None,
                                                                                           sent_at)  # fmt: skip


def test_mark_unsent_counts_the_attempt_and_gives_the_claim_back(db: Database) -> None:
    athlete = default_athlete_id(db)
    queued, _ = _queue(db, athlete, "2026-W10")
    store.claim(db, queued.id, NOW, "laptop:41")
    store.mark_unsent(db, queued.id, "refused", uncertain=False)
    store.claim(db, queued.id, NOW, "laptop:41")
    store.mark_unsent(db, queued.id, "cut off", uncertain=True)
    entry = store.outbox_entry(db, athlete, "2026-W10")
    assert entry == store.OutboxEntry(queued.id, "2026-W10", "uncertain", 2, "cut off", None)
    assert store.claim(db, queued.id, NOW, "laptop:41") is None  # uncertain: never claimed on its own


def _row(athlete: int, week: str, status: str, **values: object) -> dict[str, object]:
    return {"athlete_id": athlete, "week": week, "recipient": "r@example.com", "subject": week,
            "message": MESSAGE, "status": status, "attempts": 0, "created_at": NOW} | values  # fmt: skip


def test_the_first_step_settles_prunes_and_lists_in_one_go(db: Database) -> None:
    """Six rows, one per case, and another athlete's rows that nothing may touch."""
    athlete = default_athlete_id(db)
    other = default_athlete_id(db, "other")
    year_ago = NOW - timedelta(days=366)
    with db.transaction() as session:
        session.execute(
            insert(OutboxMail),
            [
                _row(athlete, "2025-W02", "sent", sent_at=year_ago - timedelta(seconds=1), message=b""),  # pruned
                _row(athlete, "2025-W03", "sent", sent_at=year_ago, message=b""),  # kept: not before
                _row(athlete, "2026-W07", "sending", claimed_at=NOW - timedelta(minutes=11), claimed_by="gone:1"),
                _row(athlete, "2026-W08", "sending", claimed_at=NOW - timedelta(minutes=9), claimed_by="alive:2"),
                _row(athlete, "2026-W09", "uncertain", last_error="cut off"),
                _row(athlete, "2026-W10", "pending"),
                _row(athlete, "2026-W06", "pending"),
                _row(other, "2026-W07", "sending", claimed_at=NOW - timedelta(hours=1), claimed_by="gone:3"),
                _row(other, "2025-W01", "sent", sent_at=year_ago - timedelta(days=1), message=b""),
            ],
        )
    found = store.sendable(
        db, athlete, claimed_before=NOW - timedelta(minutes=10), why=lambda by: f"{by} stopped",
        sent_before=year_ago,
    )  # fmt: skip
    assert found.settled == ["2026-W07"]
    assert [(mail.week, mail.recipient) for mail in found.pending] == [("2026-W06", "r@example.com"),
                                                                        ("2026-W10", "r@example.com")]  # fmt: skip
    with db.transaction() as session:
        rows = session.execute(
            select(OutboxMail.athlete_id, OutboxMail.week, OutboxMail.status, OutboxMail.last_error).order_by(
                OutboxMail.athlete_id, OutboxMail.week
            )
        ).all()
        ids = {(row.athlete_id, row.week): row.id for row in session.scalars(select(OutboxMail))}
    assert [tuple(row) for row in rows] == [
        (athlete, "2025-W03", "sent", None),
        (athlete, "2026-W06", "pending", None),
        (athlete, "2026-W07", "uncertain", "gone:1 stopped"),
        (athlete, "2026-W08", "sending", None),
        (athlete, "2026-W09", "uncertain", "cut off"),
        (athlete, "2026-W10", "pending", None),
        (other, "2025-W01", "sent", None),
        (other, "2026-W07", "sending", None),
    ]
    assert [mail.id for mail in found.pending] == [ids[athlete, "2026-W06"], ids[athlete, "2026-W10"]]
    again = store.sendable(db, athlete, claimed_before=NOW - timedelta(minutes=10), why=str, sent_before=year_ago)
    assert again.settled == [] and [mail.week for mail in again.pending] == ["2026-W06", "2026-W10"]


def test_one_week_queued_and_sent_is_five_transactions(db: Database) -> None:
    """The round's outbox work for one athlete: read, insert, first step, claim, mark sent — one transaction each,
    one statement each but the first step's two (SELECT, DELETE), besides PostgreSQL's lock timeout per write."""
    athlete = default_athlete_id(db)
    begun: list[int] = []
    statements: list[str] = []

    def on_begin(_conn: Connection) -> None:
        begun.append(1)

    def on_statement(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper())

    engine = db.engine  # the daemon's round has its engine; the plain SQL then runs on its pool
    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        assert store.queued_summary(db, athlete, "2026-W10") is None
        queued, _ = _queue(db, athlete, "2026-W10")
        found = store.sendable(db, athlete, claimed_before=NOW, why=str, sent_before=NOW - timedelta(days=366))
        assert [mail.id for mail in found.pending] == [queued.id]
        assert store.claim(db, queued.id, NOW, "laptop:41") == MESSAGE
        store.mark_sent(db, queued.id, NOW)
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_statement)
    assert len(begun) == 5
    lock = ["SET"] if engine.dialect.name == "postgresql" else []  # SET LOCAL lock_timeout
    assert statements == ["SELECT", *lock, "INSERT", *lock, "SELECT", "DELETE", *lock, "UPDATE", *lock, "UPDATE"]
