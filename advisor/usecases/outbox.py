"""The outbox of weekly summaries: queued before any sending, sent at most once, retried until the server accepts.

- `queue_summary` writes the finished message bytes to the outbox table *before* any sending, one row per athlete
  and week (a unique constraint): asking again for the same week returns the row that exists, so a retry, a
  restart or a daylight-saving hour that fires twice can never produce a second mail;
- `send_pending` sends every pending row and marks it sent only after the SMTP server accepted it. A server that is
  down leaves the row pending with the attempt and the error recorded; the next call sends the very same bytes.

Two processes on one home (the daemon and `advisor summary --send`) never send the same row at once: sending holds
an `flock` on `ADVISOR_HOME/outbox.lock`, which the kernel drops if the holder dies, so it never goes stale. The
renderer is handed in by the entrypoint (`render=`), so this use case imports no renderer.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from advisor.advice.summary import CHART_CID, Render
from advisor.config import Settings
from advisor.mail.transport import MailError, build_message, send_message
from advisor.store.models import OutboxMail
from advisor.usecases.runtime import Runtime
from advisor.usecases.summary import SummaryNotConfigured, build_summary, parse_week, week_just_ended

log = logging.getLogger(__name__)

OUTBOX_LOCK_FILE = "outbox.lock"
PENDING = "pending"
SENT = "sent"


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


def _existing(rt: Runtime, week: str) -> OutboxMail | None:
    with rt.db.transaction() as session:
        return session.scalar(select(OutboxMail).where(OutboxMail.athlete_id == rt.athlete_id, OutboxMail.week == week))


def queue_summary(rt: Runtime, render: Render, week: str | None = None, today: date | None = None) -> OutboxMail:
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


def last_queued_week(rt: Runtime) -> str | None:
    """The latest week in the outbox (pending or sent): the daemon's memory of which summary it last made."""
    with rt.db.transaction() as session:
        weeks = session.scalars(select(OutboxMail.week).where(OutboxMail.athlete_id == rt.athlete_id)).all()
    return max(weeks, default=None)


def pending_count(rt: Runtime) -> int:
    with rt.db.transaction() as session:
        rows = session.scalars(
            select(OutboxMail.id).where(OutboxMail.athlete_id == rt.athlete_id, OutboxMail.status == PENDING)
        ).all()
    return len(rows)


@contextmanager
def _outbox_lock(rt: Runtime) -> Iterator[None]:
    """Serialise senders on this home (threads and processes alike: each call opens its own descriptor)."""
    rt.settings.home.mkdir(parents=True, exist_ok=True)
    fd = os.open(rt.settings.home / OUTBOX_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _parse(data: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    return parsed


def send_pending(rt: Runtime) -> list[str]:
    """Send every pending summary of this athlete, oldest week first; one sentence per mail.

    A row is marked sent only after the server accepted it. Any failure (temporary or not) leaves it pending with
    `attempts` and `last_error` updated, so nothing is lost: a wrong password, once fixed, still gets the mail out.
    """
    settings = rt.settings
    outcomes: list[str] = []
    with _outbox_lock(rt):
        with rt.db.transaction() as session:
            pending = session.scalars(
                select(OutboxMail)
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
        for row in pending:
            error: MailError | None = None
            try:
                send_message(
                    _parse(row.message),
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
                stored = session.get(OutboxMail, row.id)
                assert stored is not None
                stored.attempts = (stored.attempts or 0) + 1
                if error is None:
                    stored.status = SENT
                    stored.sent_at = datetime.now(UTC)
                    stored.last_error = None
                else:
                    stored.last_error = str(error)
            if error is None:
                outcomes.append(f"Sent the summary for {row.week} to {row.recipient}.")
            else:
                later = "will try again later" if error.temporary else "fix the setting; it stays queued"
                outcomes.append(f"The summary for {row.week} is still queued ({later}): {error}.")
                if error.temporary:
                    # The same server will refuse the next row too; keep the rest for the next attempt.
                    break
    return outcomes
