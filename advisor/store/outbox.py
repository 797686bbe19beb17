"""The outbox table's repository: every read and write of the weekly summaries' outbox, plain values out.

What to queue, when to send and what the runner is told are the use case's (`advisor.services.outbox`); this module
is how the database keeps its promises to it:

- one row per athlete and week (a unique constraint): `add_summary` hands back the row that exists when another
  process queued the same week first, so the caller never sees the constraint's `IntegrityError`;
- a sender claims a row with one conditional UPDATE (`claim`: pending → sending, with who and when), so of two
  senders on two machines sharing one PostgreSQL exactly one wins it;
- every attempt is recorded after the server answered (`mark_sent`, `mark_unsent`), which also gives the claim back.

ORM rows never leave this module: callers get `OutboxEntry`, `QueuedSummary` and the few small values below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from advisor.store.db import Database
from advisor.store.models import OutboxMail

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


def _queued(row: OutboxMail) -> QueuedSummary:
    return QueuedSummary(row.id, row.week, row.status, row.attempts, row.last_error, row.sent_at, row.message)


_ENTRY_COLUMNS = (
    OutboxMail.id,
    OutboxMail.week,
    OutboxMail.status,
    OutboxMail.attempts,
    OutboxMail.last_error,
    OutboxMail.sent_at,
)
"""The columns of an `OutboxEntry`, in its order: listing the weeks never reads the messages themselves."""


def queued_summary(db: Database, athlete_id: int, week: str) -> QueuedSummary | None:
    """The week's row with its message bytes, or None when the week was never queued."""
    with db.transaction() as session:
        row = session.scalar(select(OutboxMail).where(OutboxMail.athlete_id == athlete_id, OutboxMail.week == week))
        return None if row is None else _queued(row)


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
    refuses the second row and theirs is returned (with False): the week is queued once, whoever was first.
    """
    values = {"recipient": recipient, "subject": subject, "message": message, "created_at": created_at}
    try:
        with db.transaction() as session:
            row_id = session.scalar(
                insert(OutboxMail)
                .values(athlete_id=athlete_id, week=week, status=PENDING, attempts=0, **values)
                .returning(OutboxMail.id)
            )
        assert row_id is not None
        return QueuedSummary(row_id, week, PENDING, 0, None, None, message), True
    except IntegrityError:
        found = queued_summary(db, athlete_id, week)
        if found is None:  # the constraint refused it for another reason: not a concurrent queueing
            raise
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


def pending_mails(db: Database, athlete_id: int) -> list[PendingMail]:
    """The rows waiting to be sent, oldest week first (then in the order they were queued)."""
    with db.transaction() as session:
        rows = session.execute(
            select(OutboxMail.id, OutboxMail.week, OutboxMail.recipient)
            .where(OutboxMail.athlete_id == athlete_id, OutboxMail.status == PENDING)
            .order_by(OutboxMail.week, OutboxMail.id)
        ).all()
    return [PendingMail(*row) for row in rows]


def claim(db: Database, row_id: int, now: datetime, claimed_by: str) -> bytes | None:
    """Move one pending row to `sending` and return its message, the very bytes every attempt sends; None when
    another sender won it.

    One conditional UPDATE (compare-and-set on the status) returning the message, so of two senders on two machines
    exactly one gets the row back, and the loser leaves the row alone.
    """
    with db.transaction() as session:
        return session.scalar(
            update(OutboxMail)
            .where(OutboxMail.id == row_id, OutboxMail.status == PENDING)
            .values(status=SENDING, claimed_at=now, claimed_by=claimed_by)
            .returning(OutboxMail.message)
        )


def settle_stale_claims(
    db: Database, athlete_id: int, claimed_before: datetime, why: Callable[[str | None], str]
) -> list[str]:
    """Make every `sending` row claimed before `claimed_before` `uncertain`, with `why(claimed_by)` as its last
    error, in one transaction; returns the weeks settled. Its sender died mid-send, and the server may have taken
    the mail, so it is never sent again without the runner asking (`requeue`)."""
    with db.transaction() as session:
        stale = session.scalars(
            select(OutboxMail).where(
                OutboxMail.athlete_id == athlete_id,
                OutboxMail.status == SENDING,
                OutboxMail.claimed_at < claimed_before,
            )
        ).all()
        for row in stale:
            row.status = UNCERTAIN
            row.last_error = why(row.claimed_by)
        return [row.week for row in stale]


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


def mark_sent(db: Database, row_id: int, sent_at: datetime) -> None:
    """The server accepted the row's message: sent, one more attempt, no error, the claim given back, and the
    message's bytes dropped.

    A sent mail is the runner's now (in their mailbox); keeping its ~100 kB (the chart inside) forever cost a clinic
    of 10,000 runners 50 GB a year. The row stays, with its week, subject, recipient and times, as the record that
    the week was sent (so it is never sent twice); a runner who asks for it again gets it built anew (`requeue`).
    An `uncertain` row keeps its bytes: it may be sent again, byte for byte."""
    with db.transaction() as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row_id)
            .values(**_attempted(), status=SENT, sent_at=sent_at, last_error=None, message=b"")
        )


def prune_sent(db: Database, athlete_id: int, sent_before: datetime) -> int:
    """Delete the athlete's sent rows sent before `sent_before`; the number deleted. A week older than that is never
    due again (the daemon only catches up the most recent one), so its record has done its work."""
    with db.transaction() as session:
        result = session.execute(
            delete(OutboxMail).where(
                OutboxMail.athlete_id == athlete_id, OutboxMail.status == SENT, OutboxMail.sent_at < sent_before
            )
        )
        return int(result.rowcount)


def mark_unsent(db: Database, row_id: int, error: str, *, uncertain: bool) -> None:
    """The attempt failed: one more attempt with its error, the claim given back, and the row pending again — or
    `uncertain` when the server may have taken the message anyway, so it is never resent on its own."""
    with db.transaction() as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row_id)
            .values(**_attempted(), status=UNCERTAIN if uncertain else PENDING, last_error=error)
        )


def _attempted() -> dict[str, Any]:
    """One more attempt and the claim given back: what every answered attempt writes, in the same UPDATE."""
    return {"attempts": func.coalesce(OutboxMail.attempts, 0) + 1, "claimed_at": None, "claimed_by": None}
