"""The notifications table's repository, and the few recent rows a notification round looks at.

What to tell the runner, and when, is the use case's (`advisor.services.notify`); this module is how the database
keeps its promise that each event is told once, whatever the number of daemons:

- an event is claimed by inserting its row (`claim`): `INSERT ... ON CONFLICT DO NOTHING` on the unique
  (athlete_id, event_key), so of two daemons on one PostgreSQL exactly one gets the row back, and the other sends
  nothing. A phase seen for the first time is only remembered (`note`), never sent;
- a failed attempt is retried by whoever takes it back first (`take_due`: one conditional UPDATE per row, failed
  → claimed), then marked sent, failed with its next try, or given up (`finish`);
- a claim whose sender died mid-send is given up, never sent again (`give_up_stale`): the service may have taken it.

ORM rows never leave this module: callers get the small values below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update

from advisor.domain.risk.model import SIGN_WORDS, ActivityKind, activity_kind
from advisor.store.db import Database
from advisor.store.models import Activity, Notification, PainEntryRow

CLAIMED = "claimed"
SENT = "sent"
FAILED = "failed"
GIVEN_UP = "given_up"
NOTED = "noted"


@dataclass(frozen=True)
class RecentActivity:
    """A counted activity of the last days, as much as a nudge names."""

    id: int
    local_day: date
    kind: ActivityKind
    distance_m: float


@dataclass(frozen=True)
class RecentPain:
    """A pain entry of the last days: its day, when, and the signs it reports."""

    id: int
    day: date
    when: str
    signs: tuple[str, ...]


@dataclass(frozen=True)
class Taken:
    """A row this sender holds now (a new claim or a retry taken back): what to send, and how often it was tried."""

    id: int
    message: str
    attempts: int


@dataclass(frozen=True)
class NotificationEntry:
    """One event as `notify status` and `daemon status` show it."""

    event_key: str
    kind: str
    message: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_try: datetime | None


def recent_activities(db: Database, athlete_id: int, started_since: datetime) -> list[RecentActivity]:
    """The athlete's counted (not excluded) activities started since `started_since`, newest first, with the local
    day each counts on (its own UTC offset: the day the runner ran it)."""
    with db.transaction() as session:
        rows = session.execute(
            select(
                Activity.id,
                Activity.start_utc,
                Activity.utc_offset_s,
                Activity.sport,
                Activity.sub_sport,
                Activity.distance_m,
            )
            .where(Activity.athlete_id == athlete_id, Activity.excluded.is_(False))
            .where(Activity.start_utc >= started_since)
            .order_by(Activity.start_utc.desc(), Activity.id.desc())
        ).all()
    return [
        RecentActivity(
            id=row.id,
            local_day=(row.start_utc + timedelta(seconds=row.utc_offset_s or 0)).date(),
            kind=activity_kind(row.sport, row.sub_sport),
            distance_m=row.distance_m,
        )
        for row in rows
    ]


def recent_pain(db: Database, athlete_id: int, day_since: date, logged_since: datetime) -> list[RecentPain]:
    """Pain entries for a day from `day_since` on, or logged since `logged_since` (a red flag of last week logged
    today is news), in the order they were logged."""
    with db.transaction() as session:
        rows = session.scalars(
            select(PainEntryRow)
            .where(PainEntryRow.athlete_id == athlete_id)
            .where(or_(PainEntryRow.day >= day_since, PainEntryRow.created_at >= logged_since))
            .order_by(PainEntryRow.id)
        ).all()
        return [RecentPain(row.id, row.day, row.when, tuple(s for s in SIGN_WORDS if getattr(row, s))) for row in rows]


def _insert(db: Database):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has `on_conflict_do_nothing` (SQLite and PostgreSQL spell it alike)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Notification)


def claim(
    db: Database, athlete_id: int, key: str, kind: str, message: str, now: datetime, claimed_by: str
) -> Taken | None:
    """Insert the event's row as claimed by this sender; None when a row for it exists (another sender has it, or it
    was told before). The unique constraint decides, in the database, not a lock of ours."""
    statement = (
        _insert(db)
        .values(
            athlete_id=athlete_id,
            event_key=key,
            kind=kind,
            message=message,
            state=CLAIMED,
            attempts=0,
            created_at=now,
            claimed_at=now,
            claimed_by=claimed_by,
        )
        .on_conflict_do_nothing(index_elements=["athlete_id", "event_key"])
        .returning(Notification.id)
    )
    with db.transaction() as session:
        row_id = session.scalar(statement)
    return None if row_id is None else Taken(row_id, message, 0)


def note(db: Database, athlete_id: int, key: str, kind: str, now: datetime) -> bool:
    """Remember an event without telling it (the first phase seen: a baseline, not news); False when it was known."""
    statement = (
        _insert(db)
        .values(athlete_id=athlete_id, event_key=key, kind=kind, message="", state=NOTED, attempts=0, created_at=now)
        .on_conflict_do_nothing(index_elements=["athlete_id", "event_key"])
        .returning(Notification.id)
    )
    with db.transaction() as session:
        return session.scalar(statement) is not None


def latest_key(db: Database, athlete_id: int, kind: str) -> str | None:
    """The event key of the athlete's newest row of `kind` (sent, noted or not), or None."""
    with db.transaction() as session:
        return session.scalar(
            select(Notification.event_key)
            .where(Notification.athlete_id == athlete_id, Notification.kind == kind)
            .order_by(Notification.id.desc())
            .limit(1)
        )


def known_since(db: Database, athlete_id: int, kind: str, since: datetime) -> bool:
    """Whether a row of `kind` was made since `since` (a red flag just told makes the pause it starts no news)."""
    with db.transaction() as session:
        found = session.scalar(
            select(Notification.id)
            .where(Notification.athlete_id == athlete_id, Notification.kind == kind)
            .where(Notification.created_at >= since)
            .limit(1)
        )
    return found is not None


def take_due(db: Database, athlete_id: int, now: datetime, claimed_by: str) -> list[Taken]:
    """Take back every failed row whose next try has come, one conditional UPDATE each (failed → claimed), so of
    two senders exactly one retries a row; the rows this sender won."""
    with db.transaction() as session:
        due = session.execute(
            select(Notification.id, Notification.message, Notification.attempts)
            .where(Notification.athlete_id == athlete_id, Notification.state == FAILED)
            .where(Notification.next_try <= now)
            .order_by(Notification.id)
        ).all()
    taken = []
    for row_id, message, attempts in due:
        with db.transaction() as session:
            won = session.scalar(
                update(Notification)
                .where(Notification.id == row_id, Notification.state == FAILED)
                .values(state=CLAIMED, claimed_at=now, claimed_by=claimed_by)
                .returning(Notification.id)
            )
        if won is not None:
            taken.append(Taken(row_id, message, attempts))
    return taken


def finish(
    db: Database, row_id: int, now: datetime, *, error: str | None = None, next_try: datetime | None = None
) -> None:
    """Record an answered attempt, giving the claim back: sent (no error), failed with its next try, or given up (an
    error and no next try)."""
    state = SENT if error is None else FAILED if next_try is not None else GIVEN_UP
    with db.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == row_id)
            .values(
                state=state,
                attempts=func.coalesce(Notification.attempts, 0) + 1,
                last_error=error,
                next_try=next_try,
                sent_at=now if error is None else None,
                claimed_at=None,
                claimed_by=None,
            )
        )


def give_up_stale(db: Database, athlete_id: int, claimed_before: datetime, why: str) -> int:
    """Give up every claim older than `claimed_before`: its sender died mid-send, and the service may have taken
    the message, so it is never sent again (an event told twice is worse than one missed). The number given up."""
    with db.transaction() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.athlete_id == athlete_id, Notification.state == CLAIMED)
            .where(Notification.claimed_at < claimed_before)
            .values(state=GIVEN_UP, last_error=why, claimed_at=None, claimed_by=None)
        )
        return int(result.rowcount)


def entries(db: Database, athlete_id: int, limit: int = 20) -> list[NotificationEntry]:
    """The athlete's newest events, newest first (the phases only noted left out)."""
    with db.transaction() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.athlete_id == athlete_id, Notification.state != NOTED)
            .order_by(Notification.id.desc())
            .limit(limit)
        ).all()
        return [
            NotificationEntry(
                r.event_key, r.kind, r.message, r.state, r.attempts, r.last_error, r.created_at, r.sent_at, r.next_try
            )
            for r in rows
        ]


def unsent(db: Database, athlete_id: int, given_up_since: datetime) -> list[NotificationEntry]:
    """Events waiting for a retry, and those given up since `given_up_since`: what `daemon status` names."""
    with db.transaction() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.athlete_id == athlete_id)
            .where(
                or_(
                    Notification.state.in_((FAILED, CLAIMED)),
                    and_(Notification.state == GIVEN_UP, Notification.created_at >= given_up_since),
                )
            )
            .order_by(Notification.id)
        ).all()
        return [
            NotificationEntry(
                r.event_key, r.kind, r.message, r.state, r.attempts, r.last_error, r.created_at, r.sent_at, r.next_try
            )
            for r in rows
        ]


def prune(db: Database, athlete_id: int, made_before: datetime, keep_kind: str) -> int:
    """Delete the athlete's finished rows made before `made_before`, but the newest of `keep_kind` (the phase last
    told, which the next change is measured from). An event that old can never come back: keys name a run, a
    pain entry or a day that no round looks at any more."""
    with db.transaction() as session:
        newest = session.scalar(
            select(func.max(Notification.id)).where(
                Notification.athlete_id == athlete_id, Notification.kind == keep_kind
            )
        )
        query = delete(Notification).where(
            Notification.athlete_id == athlete_id,
            Notification.created_at < made_before,
            Notification.state.in_((SENT, GIVEN_UP, NOTED)),
        )
        if newest is not None:
            query = query.where(Notification.id != newest)
        return int(session.execute(query).rowcount)
