"""The outbox of weekly summaries: queued before any sending, sent at most once, retried until the server accepts.

- `queue_summary` writes the finished message bytes to the outbox table *before* any sending, one row per athlete
  and week (a unique constraint): asking again for the same week returns the row that exists, so a retry, a
  restart or a daylight-saving hour that fires twice can never produce a second mail;
- `send_pending` sends every pending row and marks it sent only after the SMTP server accepted it. A server that is
  down leaves the row pending with the attempt and the error recorded; the next call sends the very same bytes.

The database decides who sends: a sender claims a row with a conditional UPDATE (pending → sending) before it
talks to the server, so two daemons on two machines sharing one PostgreSQL never send a week twice. A sender killed
mid-send leaves a stale claim, which becomes `uncertain` and is resent only when the runner asks (`--resend`): the
server may have accepted it, and at most once beats twice. So does a connection lost after the message's end went
out and before the server answered (`MailError.uncertain`).
The renderer is handed in by the entrypoint (`render=`), so this use case imports no renderer.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from advisor.config import Settings
from advisor.domain.advice.summary import CHART_CID, Render
from advisor.mail.transport import MailError, build_message, send_message
from advisor.services.context import AthleteContext
from advisor.services.summary import SummaryError, SummaryNotConfigured, build_summary, parse_week, week_just_ended
from advisor.store.models import OutboxMail

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNCERTAIN = "uncertain"
STALE_CLAIM = timedelta(minutes=10)
"""A send takes seconds; a claim older than this belongs to a sender that died."""


def mail_settings_problem(settings: Settings) -> str | None:
    """One sentence naming what is missing to send mail, or None when the summary can be sent."""
    missing = []
    if not settings.smtp.host:
        missing.append("smtp.host (ADVISOR_SMTP__HOST)")
    if not settings.profile.email:
        missing.append("profile.email (ADVISOR_PROFILE__EMAIL)")
    if not missing:
        return None
    return f"the weekly summary email is not set up: set {' and '.join(missing)} in the config file or environment"


def _sender(settings: Settings) -> str:
    smtp = settings.smtp
    return (
        smtp.sender
        or (smtp.username if smtp.username and "@" in smtp.username else None)
        or str(settings.profile.email)
    )


def _existing(rt: AthleteContext, week: str) -> OutboxMail | None:
    with rt.db.transaction() as session:
        return session.scalar(select(OutboxMail).where(OutboxMail.athlete_id == rt.athlete_id, OutboxMail.week == week))


def queue_summary(rt: AthleteContext, render: Render, week: str | None = None, today: date | None = None) -> OutboxMail:
    """Put the summary of `week` in the outbox (once per athlete and week) and return its row.

    When the week is already in the outbox, pending or sent, that row is returned and nothing new is built: this is
    what makes a second `--send`, a restart or a repeated schedule harmless.
    """
    problem = mail_settings_problem(rt.settings)
    if problem:
        raise SummaryNotConfigured(problem)
    today = today or rt.settings.today()
    week = week or week_just_ended(today)
    parse_week(week)
    found = _existing(rt, week)
    if found is not None:
        return found
    rendered = build_summary(rt, render, week, today)
    message = build_message(
        rendered.subject,
        _sender(rt.settings),
        str(rt.settings.profile.email),
        rendered.text,
        rendered.html,
        {CHART_CID: rendered.png},
    )
    row = OutboxMail(
        athlete_id=rt.athlete_id,
        week=week,
        recipient=str(rt.settings.profile.email),
        subject=rendered.subject,
        message=message.as_bytes(),
        status=PENDING,
        attempts=0,
        last_error=None,
        created_at=datetime.now(UTC),
        sent_at=None,
    )
    try:
        with rt.db.transaction() as session:
            session.add(row)
    except IntegrityError:
        # Another process queued the same week between our check and our insert: theirs is the one.
        found = _existing(rt, week)
        if found is None:
            raise
        return found
    log.info("Queued the weekly summary for %s to %s.", week, row.recipient)
    return row


def last_queued_week(rt: AthleteContext) -> str | None:
    """The latest week in the outbox (pending or sent): the daemon's memory of which summary it last made."""
    with rt.db.transaction() as session:
        weeks = session.scalars(select(OutboxMail.week).where(OutboxMail.athlete_id == rt.athlete_id)).all()
    return max(weeks, default=None)


def pending_count(rt: AthleteContext) -> int:
    with rt.db.transaction() as session:
        rows = session.scalars(
            select(OutboxMail.id).where(OutboxMail.athlete_id == rt.athlete_id, OutboxMail.status == PENDING)
        ).all()
    return len(rows)


def _parse(data: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _claim(rt: AthleteContext, row_id: int, now: datetime) -> bool:
    """Move one pending row to `sending` in the database; True when this sender won it (a conditional UPDATE, so
    of two senders on two machines exactly one sees a row count of 1)."""
    with rt.db.transaction() as session:
        result = session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row_id, OutboxMail.status == PENDING)
            .values(status=SENDING, claimed_at=now, claimed_by=f"{socket.gethostname()}:{os.getpid()}")
        )
        return result.rowcount == 1


def _settle_stale_claims(rt: AthleteContext, now: datetime) -> list[str]:
    """A `sending` row older than STALE_CLAIM belongs to a sender that died mid-send. The server may have accepted
    the mail before it died, so it is never resent on its own (at most once): it becomes `uncertain`, and the runner
    is told how to send it again if it did not arrive."""
    outcomes: list[str] = []
    with rt.db.transaction() as session:
        stale = session.scalars(
            select(OutboxMail).where(
                OutboxMail.athlete_id == rt.athlete_id,
                OutboxMail.status == SENDING,
                OutboxMail.claimed_at < now - STALE_CLAIM,
            )
        ).all()
        for row in stale:
            row.status = UNCERTAIN
            row.last_error = f"the sender ({row.claimed_by}) stopped while sending it; it may or may not have arrived"
            outcomes.append(uncertain_outcome(row.week, "its sender stopped mid-send"))
    return outcomes


def uncertain_outcome(week: str, why: str) -> str:
    """What the runner is told about an `uncertain` week: why, and the one command that sends it again."""
    return (
        f"The summary for {week} may not have arrived ({why}); it is not resent on its own so it never arrives "
        f"twice: `advisor summary --week {week} --send --resend` sends it again."
    )


def resend(rt: AthleteContext, week: str) -> OutboxMail:
    """Put an `uncertain` (or already sent) week back in the queue, at the runner's explicit request."""
    with rt.db.transaction() as session:
        row = session.scalar(select(OutboxMail).where(OutboxMail.athlete_id == rt.athlete_id, OutboxMail.week == week))
        if row is None:
            raise SummaryError(f"the summary for {week} was never queued; send it with `advisor summary --send`")
        if row.status == SENDING:
            raise SummaryError(f"the summary for {week} is being sent right now ({row.claimed_by})")
        row.status, row.claimed_at, row.claimed_by = PENDING, None, None
        return row


def send_pending(rt: AthleteContext) -> list[str]:
    """Send every pending summary of this athlete, oldest week first; one sentence per mail.

    Each row is claimed in the database before it is sent, so several processes on several machines sharing the
    database never send the same week twice. A row is marked sent only after the server accepted it; a refusal
    or a dead server puts it back to pending with `attempts` and `last_error`, so nothing is lost. A connection
    lost after the whole message went out and before the server's answer makes it `uncertain`, never resent on
    its own (`resend`), as a sender killed mid-send does.
    """
    settings = rt.settings
    now = datetime.now(UTC)
    outcomes = _settle_stale_claims(rt, now)
    with rt.db.transaction() as session:
        pending = session.execute(
            select(OutboxMail.id, OutboxMail.week, OutboxMail.recipient)
            .where(OutboxMail.athlete_id == rt.athlete_id, OutboxMail.status == PENDING)
            .order_by(OutboxMail.week, OutboxMail.id)
        ).all()
    if not pending:
        return outcomes
    problem = mail_settings_problem(settings)
    if problem:
        raise SummaryNotConfigured(f"{len(pending)} summary mail(s) are waiting, but {problem}")
    smtp = settings.smtp
    password = smtp.resolved_password()
    for row_id, week, recipient in pending:
        if not _claim(rt, row_id, datetime.now(UTC)):
            continue  # another sender has it (or sent it) already
        with rt.db.transaction() as session:
            message = session.get(OutboxMail, row_id).message  # type: ignore[union-attr]
        error: MailError | None = None
        try:
            send_message(
                _parse(message),
                str(smtp.host),
                smtp.port,
                smtp.security,
                smtp.username,
                password,
                ssl_context=smtp.ssl_context(),
            )
        except MailError as err:
            error = err
        with rt.db.transaction() as session:
            stored = session.get(OutboxMail, row_id)
            assert stored is not None
            stored.attempts = (stored.attempts or 0) + 1
            if error is None:
                stored.status = SENT
                stored.sent_at = datetime.now(UTC)
                stored.last_error = None
            else:
                stored.status = UNCERTAIN if error.uncertain else PENDING
                stored.last_error = str(error)
            stored.claimed_at = stored.claimed_by = None
        if error is None:
            outcomes.append(f"Sent the summary for {week} to {recipient}.")
        elif error.uncertain:
            # The server has the whole message and may have taken it: like a sender killed mid-send.
            outcomes.append(uncertain_outcome(week, str(error)))
            break  # the connection just broke; the rest waits for the next attempt
        else:
            later = "will try again later" if error.temporary else "fix the setting; it stays queued"
            outcomes.append(f"The summary for {week} is still queued ({later}): {error}.")
            if error.temporary:
                # The same server will refuse the next row too; keep the rest for the next attempt.
                break
    return outcomes
