"""The weekly summary: what goes into it (from the same report as `advisor status`), the outbox, and sending.

Three steps, each safe to repeat:
- `build_summary` gathers the week's numbers and renders the mail (text, HTML, chart) without side effects;
- `queue_summary` writes the finished message bytes to the outbox table *before* any sending, one row per athlete
  and week (a unique constraint): asking again for the same week returns the row that exists, so a retry, a
  restart or a daylight-saving hour that fires twice can never produce a second mail;
- `send_pending` sends every pending row and marks it sent only after the SMTP server accepted it. A server that is
  down leaves the row pending with the attempt and the error recorded; the next call sends the very same bytes.

Two processes on one home (the daemon and `advisor summary --send`) never send the same row at once: sending holds
an `flock` on `ADVISOR_HOME/outbox.lock`, which the kernel drops if the holder dies, so it never goes stale.

The numbers come from the knee engine (`assess_history`), never recomputed here: the week's figures are the
report's own week aggregate, the cap that applied to a week is the cap the report gave the Sunday before it, and
this week's flags, caps and advice are the report's as of the day the mail is built — so a swelling logged late on
Sunday is in Monday's mail, and a mail built late is not stale.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from advisor.advice.report import KneeReport
from advisor.config import Settings
from advisor.outputs.chart import WeekPoint
from advisor.risk.aggregates import WeekAggregate, iso_week
from advisor.risk.model import Flag
from advisor.store.models import OutboxMail
from advisor.usecases.knee import assess_history, list_pain
from advisor.usecases.listing import list_activities, local_date
from advisor.usecases.runtime import Runtime

__all__ = [
    "CHART_CID",
    "CHART_WEEKS",
    "ActivityLine",
    "PainLine",
    "RenderedSummary",
    "SummaryError",
    "SummaryNotConfigured",
    "SummaryView",
    "build_summary",
    "last_queued_week",
    "mail_settings_problem",
    "parse_week",
    "pending_count",
    "queue_summary",
    "send_pending",
    "summary_view",
    "week_just_ended",
]

log = logging.getLogger(__name__)

CHART_WEEKS = 12
CHART_CID = "chart"
OUTBOX_LOCK_FILE = "outbox.lock"
PENDING = "pending"
SENT = "sent"
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class SummaryError(Exception):
    """The summary cannot be made as asked; the message is one sentence for the runner."""


class SummaryNotConfigured(SummaryError):
    """Mail settings are missing, so nothing can be queued or sent."""


# --------------------------------------------------------------------------------------------------------------
# Weeks


def parse_week(text: str) -> date:
    """The Monday of ISO week 'YYYY-Www' (e.g. '2026-W09'); a malformed or impossible week is a SummaryError."""
    match = _WEEK_RE.match(text.strip())
    if match is None:
        raise SummaryError(f"--week expects an ISO week such as 2026-W09, got {text!r}")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise SummaryError(f"{text} is not a week of that year (ISO years have 52 or 53 weeks)") from None


def week_just_ended(today: date) -> str:
    """The ISO week of the most recent Sunday on or before `today`: the week a summary sent today is about.

    On Monday to Saturday that is last week; on a Sunday it is the week ending that day, so a runner who picks a
    Sunday-evening summary hears about this week, not the one before it.
    """
    return iso_week(today - timedelta(days=(today.weekday() + 1) % 7))


# --------------------------------------------------------------------------------------------------------------
# What goes into the summary


@dataclass(frozen=True)
class ActivityLine:
    """One activity of the summary week, as the runner will read it. `name` is whatever the watch or runner typed."""

    day: date
    sport: str
    name: str | None
    distance_km: float
    descent_m: float
    steep_downhill_km: float
    cadence_spm: float | None


@dataclass(frozen=True)
class PainLine:
    """One pain entry of the summary week; `note` is the runner's own text (escaped when rendered)."""

    day: date
    when: str
    score: int
    note: str | None
    signs: tuple[str, ...]


@dataclass(frozen=True)
class SummaryView:
    """Everything the templates show, already decided: templates format, they do not compute."""

    week: str
    start: date
    end: date
    report: KneeReport
    """As of the day the mail is built: the flags, caps and advice for the days ahead."""
    last_week: WeekAggregate
    last_week_cap_km: float | None
    """The weekly cap that applied to the summary week (the report of the Sunday before it), None when none did."""
    last_week_next_run_cap_km: float | None
    activities: list[ActivityLine]
    pain: list[PainLine]
    chart: list[WeekPoint]
    red_flag: Flag | None
    profile_name: str
    generated_on: date

    @property
    def next_week_start(self) -> date:
        return self.end + timedelta(days=1)


@dataclass(frozen=True)
class RenderedSummary:
    """A finished summary: what `queue_summary` turns into a mail and `--preview` writes to a file."""

    week: str
    subject: str
    text: str
    html: str
    png: bytes
    view: SummaryView = field(repr=False)

    def standalone_html(self) -> str:
        """The HTML with the chart embedded as a data: URI, for a browser (no mail client to resolve `cid:`)."""
        from advisor.outputs.summary_render import render_html

        return render_html(self.view, chart_src=None, png=self.png)


_SIGNS = (
    ("swelling", "swelling"),
    ("locking", "locking"),
    ("giving_way", "giving way"),
    ("rest_or_night_pain", "pain at rest or at night"),
)


def summary_view(rt: Runtime, week: str | None = None, today: date | None = None) -> SummaryView:
    """Gather the summary of `week` ('YYYY-Www'; default the week just ended) from the store and the knee engine."""
    settings = rt.settings
    today = today or settings.today()
    week = week or week_just_ended(today)
    monday = parse_week(week)
    if monday > today:
        raise SummaryError(f"week {week} has not started yet (today is {today.isoformat()})")
    sunday = monday + timedelta(days=6)
    as_of = min(sunday, today)

    def report(day: date) -> KneeReport:
        return assess_history(rt.db, rt.athlete_id, settings, day)

    # Reports at the end of each of the 12 chart weeks, plus the Sunday before the first: week k's cap is the
    # cap the engine gave on the Sunday before it, its threshold what the engine knew at its end.
    first_monday = monday - timedelta(weeks=CHART_WEEKS - 1)
    before = report(first_monday - timedelta(days=1))
    week_reports: list[KneeReport] = []
    for k in range(CHART_WEEKS):
        end = first_monday + timedelta(weeks=k, days=6)
        week_reports.append(report(min(end, as_of)))
    finished = week_reports[-1]
    main = report(today) if today > as_of else finished
    caps_before = [before, *week_reports[:-1]]

    pain_rows = [p for p in list_pain(rt.db, rt.athlete_id, since=first_monday) if p.day <= as_of]
    scores: dict[str, list[int]] = {}
    for p in pain_rows:
        scores.setdefault(iso_week(p.day), []).append(p.score)
    chart = [
        WeekPoint(
            label=f"W{r.weeks[-1].start.isocalendar().week:02d}",
            distance_km=r.weeks[-1].distance_km,
            cap_km=c.caps.weekly_distance_km,
            threshold_km=r.pain_threshold.distance_7d_km,
            pain_scores=scores.get(r.weeks[-1].week, []),
        )
        for r, c in zip(week_reports, caps_before, strict=True)
    ]

    tz = settings.tz
    activities = [
        ActivityLine(
            day=local_date(a, tz),
            sport=a.sport.replace("_", " "),
            name=a.name,
            distance_km=round(a.distance_m / 1000, 2),
            descent_m=round(a.descent_m),
            steep_downhill_km=round(a.distance_steep10_m / 1000, 2),
            cadence_spm=None if a.avg_cadence_spm is None else round(a.avg_cadence_spm),
        )
        for a in list_activities(rt.db, rt.athlete_id, since=monday, until=as_of, tz=tz)
    ]
    pain = [
        PainLine(
            day=p.day,
            when=p.when,
            score=p.score,
            note=p.note,
            signs=tuple(label for attr, label in _SIGNS if getattr(p, attr)),
        )
        for p in pain_rows
        if p.day >= monday
    ]
    return SummaryView(
        week=week,
        start=monday,
        end=sunday,
        report=main,
        last_week=finished.weeks[-1],
        last_week_cap_km=caps_before[-1].caps.weekly_distance_km,
        last_week_next_run_cap_km=caps_before[-1].caps.next_run_km,
        activities=activities,
        pain=pain,
        chart=chart,
        red_flag=next((f for f in main.flags if f.code == "red_flag"), None),
        profile_name=settings.profile.name,
        generated_on=today,
    )


def build_summary(rt: Runtime, week: str | None = None, today: date | None = None) -> RenderedSummary:
    """Render the summary of `week` (default: the week just ended) as subject, plain text, HTML and chart PNG."""
    from advisor.outputs.summary_render import render_summary

    view = summary_view(rt, week, today)
    subject, text, html, png = render_summary(view)
    return RenderedSummary(week=view.week, subject=subject, text=text, html=html, png=png, view=view)


# --------------------------------------------------------------------------------------------------------------
# Outbox


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


def queue_summary(rt: Runtime, week: str | None = None, today: date | None = None) -> OutboxMail:
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
    rendered = build_summary(rt, week, today)
    from advisor.outputs.mail import build_message

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
    from advisor.outputs.mail import MailError, send_message

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
