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
The renderer is handed in by the entrypoint (`render=`), so this use case imports no renderer. Every read and write
of the outbox table is the store's (`advisor.store.outbox`, which keeps the claims single conditional UPDATEs); what
this module hands back is the store's plain values (`OutboxEntry`, `QueuedSummary`), never an ORM row: the entry
points read the outbox through here.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, date, datetime, timedelta

from advisor.config import Settings
from advisor.domain.advice.summary import CHART_CID, Render
from advisor.mail.transport import MailError, build_message, send_message
from advisor.services.context import AthleteContext
from advisor.services.summary import SummaryError, SummaryNotConfigured, build_summary, parse_week, week_just_ended
from advisor.store import outbox as store
from advisor.store.outbox import PENDING, SENDING, SENT, UNCERTAIN, BeingSent, OutboxEntry, QueuedSummary

__all__ = [
    "PENDING",
    "SENDING",
    "SENT",
    "STALE_CLAIM",
    "UNCERTAIN",
    "OutboxEntry",
    "QueuedSummary",
    "last_queued_week",
    "mail_settings_problem",
    "outbox_entries",
    "outbox_entry",
    "pending_count",
    "queue_summary",
    "resend",
    "send_pending",
    "uncertain_outcome",
]

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
"""A send takes seconds; a claim older than this belongs to a sender that died."""


KEEP_SENT = timedelta(days=366)
"""How long the record of a sent week stays (its bytes are dropped once sent, advisor.store.outbox.mark_sent): a
week older than a year is never due again."""


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


def queue_summary(
    rt: AthleteContext, render: Render, week: str | None = None, today: date | None = None
) -> QueuedSummary:
    """Put the summary of `week` in the outbox (once per athlete and week) and return what is queued.

    When the week is already in the outbox, pending or sent, that row is returned and nothing new is built: this is
    what makes a second `--send`, a restart or a repeated schedule harmless.
    """
    problem = mail_settings_problem(rt.settings)
    if problem:
        raise SummaryNotConfigured(problem)
    today = today or rt.settings.today()
    week = week or week_just_ended(today)
    parse_week(week)
    found = store.queued_summary(rt.db, rt.athlete_id, week)
    if found is not None:
        return found
    rendered = build_summary(rt, render, week, today)
    recipient = str(rt.settings.profile.email)
    message = build_message(
        rendered.subject,
        _sender(rt.settings),
        recipient,
        rendered.text,
        rendered.html,
        {CHART_CID: rendered.png},
    )
    queued, inserted = store.add_summary(
        rt.db,
        rt.athlete_id,
        week,
        recipient=recipient,
        subject=rendered.subject,
        message=message.as_bytes(),
        created_at=datetime.now(UTC),
    )
    if inserted:  # else another process queued the same week between our check and our insert: theirs is the one
        log.info("Queued the weekly summary for %s to %s.", week, recipient)
    return queued


def outbox_entries(rt: AthleteContext) -> list[OutboxEntry]:
    """Every week of this athlete's outbox, sent or not, oldest week first (what `daemon status` lists)."""
    return store.outbox_entries(rt.db, rt.athlete_id)


def outbox_entry(rt: AthleteContext, week: str) -> OutboxEntry | None:
    """The week's entry as it stands now (after a send: sent, still pending or uncertain), or None if not queued."""
    return store.outbox_entry(rt.db, rt.athlete_id, week)


def last_queued_week(rt: AthleteContext) -> str | None:
    """The latest week in the outbox (pending or sent): the daemon's memory of which summary it last made."""
    return max(store.queued_weeks(rt.db, rt.athlete_id), default=None)


def pending_count(rt: AthleteContext) -> int:
    """How many summaries wait to be sent: the daemon's `run outbox` exits 1 for cron while any do."""
    return store.pending_count(rt.db, rt.athlete_id)


def _claim(rt: AthleteContext, row_id: int, now: datetime) -> bytes | None:
    """Move one pending row to `sending` in the database and return its message; None when another sender won it
    (a conditional UPDATE, so of two senders on two machines exactly one gets the row). The claim names this
    process (host:pid) for the runner reading `daemon status` after a crash."""
    return store.claim(rt.db, row_id, now, claimed_by=f"{socket.gethostname()}:{os.getpid()}")


def _sendable(rt: AthleteContext, now: datetime) -> tuple[list[str], list[store.PendingMail]]:
    """The rows to send, and one sentence per stale claim settled on the way, in one transaction (the store's
    `sendable`, which also prunes the sent rows older than KEEP_SENT).

    A `sending` row older than STALE_CLAIM belongs to a sender that died mid-send. The server may have accepted
    the mail before it died, so it is never resent on its own (at most once): it becomes `uncertain`, and the runner
    is told how to send it again if it did not arrive."""
    found = store.sendable(
        rt.db,
        rt.athlete_id,
        claimed_before=now - STALE_CLAIM,
        why=_stopped_sender_error,
        sent_before=now - KEEP_SENT,
    )
    return [uncertain_outcome(week, "its sender stopped mid-send") for week in found.settled], found.pending


def _stopped_sender_error(claimed_by: str | None) -> str:
    """The `last_error` of a week whose sender died mid-send, naming the sender (host:pid) that held it."""
    return f"the sender ({claimed_by}) stopped while sending it; it may or may not have arrived"


def uncertain_outcome(week: str, why: str) -> str:
    """What the runner is told about an `uncertain` week: why, and the one command that sends it again."""
    return (
        f"The summary for {week} may not have arrived ({why}); it is not resent on its own so it never arrives "
        f"twice: `advisor summary --week {week} --send --resend` sends it again."
    )


def resend(rt: AthleteContext, week: str) -> OutboxEntry | None:
    """Put an `uncertain` (or already sent) week back in the queue, at the runner's explicit request; returns the
    entry as it is now, pending — or None for a sent week, whose bytes were dropped once sent: the next
    `queue_summary` builds it anew."""
    requeued = store.requeue(rt.db, rt.athlete_id, week)
    if requeued is None:
        raise SummaryError(f"the summary for {week} was never queued; send it with `advisor summary --send`")
    if isinstance(requeued, BeingSent):
        raise SummaryError(f"the summary for {week} is being sent right now ({requeued.claimed_by})")
    if isinstance(requeued, store.Removed):
        return None
    return requeued


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
    outcomes, pending = _sendable(rt, now)
    if not pending:
        return outcomes
    problem = mail_settings_problem(settings)
    if problem:
        raise SummaryNotConfigured(f"{len(pending)} summary mail(s) are waiting, but {problem}")
    smtp = settings.smtp
    password = smtp.resolved_password()
    for mail in pending:
        message = _claim(rt, mail.id, datetime.now(UTC))
        if message is None:
            continue  # another sender has it (or sent it) already
        error: MailError | None = None
        try:
            send_message(
                message,
                str(smtp.host),
                smtp.port,
                smtp.security,
                smtp.username,
                password,
                ssl_context=smtp.ssl_context(),
                keep_open=True,  # the next athlete's mail of a round goes on the same connection
            )
        except MailError as err:
            error = err
        if error is None:
            store.mark_sent(rt.db, mail.id, datetime.now(UTC))
            outcomes.append(f"Sent the summary for {mail.week} to {mail.recipient}.")
            continue
        store.mark_unsent(rt.db, mail.id, str(error), uncertain=error.uncertain)
        if error.uncertain:
            # The server has the whole message and may have taken it: like a sender killed mid-send.
            outcomes.append(uncertain_outcome(mail.week, str(error)))
            break  # the connection just broke; the rest waits for the next attempt
        later = "will try again later" if error.temporary else "fix the setting; it stays queued"
        outcomes.append(f"The summary for {mail.week} is still queued ({later}): {error}.")
        if error.temporary:
            # The same server will refuse the next row too; keep the rest for the next attempt.
            break
    return outcomes
