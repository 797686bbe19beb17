"""The outbox table's repository: every read and write of the weekly summaries' outbox, plain values out.

What to queue, when to send and what the runner is told are the use case's (`advisor.services.outbox`); this module
is how the database keeps its promises to it:

- one row per athlete and week (a unique constraint): `add_summary` hands back the row that exists when another
  process queued the same week first, so the caller never sees the constraint's `IntegrityError`;
- a sender claims a row with one conditional UPDATE (`claim`: pending → sending, with who and when), so of two
  senders on two machines sharing one PostgreSQL exactly one wins it;
- every attempt is recorded after the server answered (`mark_sent`, `mark_unsent`), which also gives the claim back.

ORM rows never leave this module: callers get `OutboxEntry`, `QueuedSummary` and the few small values below.

What the weekly round runs for every athlete (queueing, `sendable`, `claim`, `mark_sent`, and `mark_unsent` beside
it) is plain SQL on `Database.read()` / `write()`, and a sender's first step is one transaction (`sendable`): ORM
sessions and statements took ~6-7 ms of client CPU per athlete there, the plain SQL takes ~2-3 ms (measured in the
rounds of bench/summary_bench.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from advisor.errors import StoreError
from advisor.store.db import Database
from advisor.store.models import OutboxMail
from advisor.store.reader import Reader

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class OutboxEntry:
    """One week's summary in the outbox, as the runner is told about it (`daemon status`, `summary --send`)."""

    id: int
    week: str
    status: str
    """pending, sending, sent or uncertain (the constants above)."""
    attempts: int
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class QueuedSummary(OutboxEntry):
    """What queueing hands back: the entry, and the message bytes stored before any sending, which are the very
    bytes every attempt sends."""

    message: bytes


@dataclass(frozen=True)
class PendingMail:
    """A row waiting to be sent, as the sender walks them: which row, which week, to whom (not the bytes yet)."""

    id: int
    week: str
    recipient: str


@dataclass(frozen=True)
class BeingSent:
    """What `requeue` finds when a sender holds the week right now: who (host:pid), for the runner's sentence."""

    claimed_by: str | None


def _entry(row: OutboxMail) -> OutboxEntry:
    return OutboxEntry(row.id, row.week, row.status, row.attempts, row.last_error, row.sent_at)


_ENTRY_COLUMNS = (
    OutboxMail.id,
    OutboxMail.week,
    OutboxMail.status,
    OutboxMail.attempts,
    OutboxMail.last_error,
    OutboxMail.sent_at,
)
"""The columns of an `OutboxEntry`, in its order: listing the weeks never reads the messages themselves."""


_QUEUED_SQL = (
    "SELECT id, week, status, attempts, last_error, sent_at, message FROM outbox WHERE athlete_id = :a AND week = :w"
)
"""The week's row as a `QueuedSummary`, in its order."""


def _queued_row(reader: Reader, athlete_id: int, week: str) -> QueuedSummary | None:
    """The week's row, read by `queued_summary` and by `add_summary` when another process queued the week first."""
    rows = reader.rows(_QUEUED_SQL, a=athlete_id, w=week)
    if not rows:
        return None
    row_id, found_week, status, attempts, last_error, sent_at, message = rows[0]
    return QueuedSummary(row_id, found_week, status, attempts, last_error, reader.utc(sent_at), bytes(message))


def queued_summary(db: Database, athlete_id: int, week: str) -> QueuedSummary | None:
    """The week's row with its message bytes, or None when the week was never queued."""
    with db.read() as reader:
        return _queued_row(reader, athlete_id, week)


def add_summary(
    db: Database,
    athlete_id: int,
    week: str,
    *,
    recipient: str,
    subject: str,
    message: bytes,
    created_at: datetime,
) -> tuple[QueuedSummary, bool]:
    """Queue one week's finished message as pending; returns the queued row and whether this call inserted it.

    When another process queued the same week between the caller's check and this insert, the unique constraint
    refuses the second row (`ON CONFLICT ... DO NOTHING`: no error, no row back) and theirs is returned (with
    False), read in the same transaction: the week is queued once, whoever was first. On PostgreSQL the insert
    waits for the other transaction to commit, and the SELECT after it, a statement with a snapshot of its own
    (read committed), sees their row.
    """
    with db.write() as writer:
        inserted = writer.rows(
            "INSERT INTO outbox (athlete_id, week, recipient, subject, message, status, attempts, created_at) "
            "VALUES (:a, :w, :recipient, :subject, :message, :status, 0, :created_at) "
            "ON CONFLICT (athlete_id, week) DO NOTHING RETURNING id",
            a=athlete_id,
            w=week,
            recipient=recipient,
            subject=subject,
            message=message,
            status=PENDING,
            created_at=created_at,
        )
        if inserted:
            return QueuedSummary(inserted[0][0], week, PENDING, 0, None, None, message), True
        found = _queued_row(writer, athlete_id, week)
    if found is None:  # refused for the week, yet gone by the next statement: removed (`requeue`) meanwhile
        raise StoreError(f"the summary for {week} was queued and removed at once by another process; try again")
    return found, False


def outbox_entries(db: Database, athlete_id: int) -> list[OutboxEntry]:
    """Every week of this athlete's outbox, sent or not, oldest week first."""
    with db.transaction() as session:
        rows = session.execute(
            select(*_ENTRY_COLUMNS).where(OutboxMail.athlete_id == athlete_id).order_by(OutboxMail.week)
        ).all()
    return [OutboxEntry(*row) for row in rows]


def outbox_entry(db: Database, athlete_id: int, week: str) -> OutboxEntry | None:
    """The week's entry as it stands now, or None if it was never queued."""
    with db.transaction() as session:
        row = session.execute(
            select(*_ENTRY_COLUMNS).where(OutboxMail.athlete_id == athlete_id, OutboxMail.week == week)
        ).one_or_none()
    return None if row is None else OutboxEntry(*row)


def queued_weeks(db: Database, athlete_id: int) -> list[str]:
    """Every week in this athlete's outbox, whatever its status, in no particular order."""
    with db.transaction() as session:
        return list(session.scalars(select(OutboxMail.week).where(OutboxMail.athlete_id == athlete_id)).all())


def pending_count(db: Database, athlete_id: int) -> int:
    """How many of this athlete's rows wait to be sent (status pending)."""
    with db.transaction() as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.athlete_id == athlete_id, OutboxMail.status == PENDING)
        )
    return count or 0


@dataclass(frozen=True)
class Sendable:
    """What `sendable` found: the weeks whose stale claims it settled, and the rows waiting to be sent."""

    settled: list[str]
    """The weeks made `uncertain` (their senders died mid-send), in the order they were found."""
    pending: list[PendingMail]
    """The rows waiting to be sent, oldest week first (then in the order they were queued)."""


def sendable(
    db: Database,
    athlete_id: int,
    *,
    claimed_before: datetime,
    why: Callable[[str | None], str],
    sent_before: datetime,
) -> Sendable:
    """A sender's first step, in one transaction: settle the stale claims, prune the old sent rows, list the pending.

    Every `sending` row claimed before `claimed_before` becomes `uncertain`, with `why(claimed_by)` as its last
    error: its sender died mid-send, and the server may have taken the mail, so it is never sent again without the
    runner asking (`requeue`). The athlete's sent rows sent before `sent_before` are deleted: a week older than that
    is never due again (the daemon only catches up the most recent one), so its record has done its work. Then the
    rows waiting to be sent are listed, which neither step touched (one makes `sending` rows `uncertain`, the other
    deletes `sent` ones), so one SELECT finds both the stale claims and the pending rows.
    """
    with db.write() as writer:
        rows = writer.rows(
            "SELECT id, week, recipient, status, claimed_by FROM outbox WHERE athlete_id = :a "
            "AND (status = :pending OR (status = :sending AND claimed_at < :claimed_before)) ORDER BY week, id",
            a=athlete_id,
            pending=PENDING,
            sending=SENDING,
            claimed_before=claimed_before,
        )
        settled: list[str] = []
        for row_id, week, _recipient, status, claimed_by in rows:
            if status == SENDING:
                writer.execute(
                    "UPDATE outbox SET status = :uncertain, last_error = :error WHERE id = :id",
                    uncertain=UNCERTAIN,
                    error=why(claimed_by),
                    id=row_id,
                )
                settled.append(week)
        writer.execute(
            "DELETE FROM outbox WHERE athlete_id = :a AND status = :sent AND sent_at < :sent_before",
            a=athlete_id,
            sent=SENT,
            sent_before=sent_before,
        )
    pending = [PendingMail(row_id, week, recipient) for row_id, week, recipient, status, _ in rows if status == PENDING]
    return Sendable(settled, pending)


def claim(db: Database, row_id: int, now: datetime, claimed_by: str) -> bytes | None:
    """Move one pending row to `sending` and return its message, the very bytes every attempt sends; None when
    another sender won it.

    One conditional UPDATE (compare-and-set on the status) returning the message, so of two senders on two machines
    exactly one gets the row back, and the loser leaves the row alone.
    """
    with db.write() as writer:
        rows = writer.rows(
            "UPDATE outbox SET status = :sending, claimed_at = :now, claimed_by = :claimed_by "
            "WHERE id = :id AND status = :pending RETURNING message",
            sending=SENDING,
            now=now,
            claimed_by=claimed_by,
            id=row_id,
            pending=PENDING,
        )
    return bytes(rows[0][0]) if rows else None


@dataclass(frozen=True)
class Removed:
    """What `requeue` did with a sent week whose bytes were dropped: removed its row, so it is queued (built) anew."""

    week: str


def requeue(db: Database, athlete_id: int, week: str) -> OutboxEntry | BeingSent | Removed | None:
    """Put a week back to pending with no claim (the runner asked to send it again) and return its entry; a week a
    sender holds right now is left alone (`BeingSent`), and None means the week was never queued. A sent week whose
    bytes were dropped (`mark_sent`) has its row removed (`Removed`), so the week is queued (built) anew."""
    with db.transaction() as session:
        row = session.scalar(select(OutboxMail).where(OutboxMail.athlete_id == athlete_id, OutboxMail.week == week))
        if row is None:
            return None
        if row.status == SENDING:
            return BeingSent(row.claimed_by)
        if row.status == SENT and not row.message:
            session.delete(row)
            return Removed(week)
        row.status, row.claimed_at, row.claimed_by = PENDING, None, None
        return _entry(row)


_ATTEMPTED = "attempts = coalesce(attempts, 0) + 1, claimed_at = NULL, claimed_by = NULL"
"""One more attempt and the claim given back: what every answered attempt writes, in the same UPDATE."""


def mark_sent(db: Database, row_id: int, sent_at: datetime) -> None:
    """The server accepted the row's message: sent, one more attempt, no error, the claim given back, and the
    message's bytes dropped.

    A sent mail is the runner's now (in their mailbox); keeping its ~100 kB (the chart inside) forever cost a clinic
    of 10,000 runners 50 GB a year. The row stays, with its week, subject, recipient and times, as the record that
    the week was sent (so it is never sent twice); a runner who asks for it again gets it built anew (`requeue`).
    An `uncertain` row keeps its bytes: it may be sent again, byte for byte."""
    with db.write() as writer:
        writer.execute(
            f"UPDATE outbox SET {_ATTEMPTED}, status = :sent, sent_at = :sent_at, last_error = NULL, message = :empty "
            "WHERE id = :id",
            sent=SENT,
            sent_at=sent_at,
            empty=b"",
            id=row_id,
        )


def mark_unsent(db: Database, row_id: int, error: str, *, uncertain: bool) -> None:
    """The attempt failed: one more attempt with its error, the claim given back, and the row pending again — or
    `uncertain` when the server may have taken the message anyway, so it is never resent on its own."""
    with db.write() as writer:
        writer.execute(
            f"UPDATE outbox SET {_ATTEMPTED}, status = :status, last_error = :error WHERE id = :id",
            status=UNCERTAIN if uncertain else PENDING,
            error=error,
            id=row_id,
        )
