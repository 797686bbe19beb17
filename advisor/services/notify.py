"""Notifications on the runner's phone: a nudge to log the knee after each new run, a morning prompt, and at once on
a red flag or a change of phase — each event once, whatever the number of daemons.

The daemon runs `notify_round` for each athlete after every inbox scan and Garmin sync (and on PostgreSQL as a queue
task of its own on the inbox's interval). A round finds the events by reading the database (the last two days' runs
and pain, and the stored report's phase: `advisor.services.notify_events`), not by hooking every write path, so a
run imported by hand, by the inbox or by Garmin, or a pain entry logged at the terminal or on the phone, is found
alike. Each event is claimed by inserting its row (`advisor.store.notifications.claim`): the database decides who
sends. A service that fails is tried again on later rounds (`RETRY_AFTER`), then given up with its error, which
`daemon status` shows; Apprise's timeouts (`notify.timeout_s`) keep a dead service from holding up a round.

Whose URLs: the default athlete's are `ADVISOR_NOTIFY__URLS` or `notify.urls_file`; every athlete's (the default
one's too, when neither is set) can be a file named as the athlete in `notify.athletes_dir` (default
`$ADVISOR_HOME/notify`), one URL a line: a clinic keeps each runner's phone apart, and secrets out of the TOML.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from advisor.config_servers import secret_value, split_urls
from advisor.errors import ConfigError
from advisor.services import notify_events as events
from advisor.services.context import AthleteContext
from advisor.store import notifications as store

if TYPE_CHECKING:
    from advisor.push import Delivery
    from advisor.store.notifications import NotificationEntry, Taken

log = logging.getLogger(__name__)

NOTHING_TO_NOTIFY = "Nothing new to tell the runner."
NOT_SET_UP = "Notifications are not set up."
RETRY_AFTER = (timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))
"""The wait before each further attempt; after the last, the event is given up (`MAX_ATTEMPTS` in all)."""
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
STALE_CLAIM = timedelta(minutes=15)
"""A claim this old lost its sender mid-send: far longer than every service's timeouts of one attempt."""
KEEP = timedelta(days=60)
SHOWN_GIVEN_UP = timedelta(days=7)
SET_UP_HINT = (
    "set ADVISOR_NOTIFY__URLS to one or more Apprise URLs (e.g. ADVISOR_NOTIFY__URLS='ntfys://ntfy.sh/a-hard-to-"
    "guess-topic'), or name a file of them in notify.urls_file"
)


class Runtime(AthleteContext, Protocol):
    """What a round reads of `advisor.bootstrap.Runtime`: whose URLs these are."""

    @property
    def is_default_athlete(self) -> bool: ...

    @property
    def athlete_name(self) -> str: ...


class NotifyNotSetUp(ConfigError):
    """No notification URL for this athlete: one sentence saying how to set one (exit 2)."""


class NotifyFailed(RuntimeError):
    """A round in which some event could not be sent (it is retried, or was given up): the job's error."""


def urls_file(rt: Runtime) -> Path:
    """The athlete's own file of URLs in `notify.athletes_dir` (default $ADVISOR_HOME/notify/NAME)."""
    folder = rt.settings.notify.athletes_dir or rt.settings.home / "notify"
    return folder / rt.athlete_name


def athlete_urls(rt: Runtime) -> list[str]:
    """The athlete's Apprise URLs (see the module docstring); [] when none is set."""
    if rt.is_default_athlete:
        own = rt.settings.notify.resolved_urls()
        if own:
            return own
    path = urls_file(rt)
    if not path.is_file():
        return []
    text = secret_value(None, path)
    return split_urls(text) if text else []


def notify_configured(rt: Runtime) -> bool:
    """Whether this athlete has somewhere to be told (cheap: the daemon asks every athlete every round)."""
    n = rt.settings.notify
    if rt.is_default_athlete and (n.urls is not None or n.urls_file is not None):
        return True
    return urls_file(rt).is_file()


def tell_now(rt: Runtime) -> str | None:
    """A round right after what must be told at once — a red flag logged at the terminal or on the phone — rather
    than at the daemon's next scan; None when notifications are not set up. Never raises: what could not be sent is
    retried by the daemon's rounds (the event's row says so), and the runner's entry is stored whatever happens."""
    if not notify_configured(rt):
        return None
    try:
        return notify_round(rt)
    except Exception as error:  # a bad URL file, a dead service, the database: the daemon's rounds try again
        log.warning("Could not notify %s right away: %s", rt.athlete_name, error)
        return f"not sent yet ({error}); the daemon tries again"


def _sender() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def notify_round(rt: Runtime, now: datetime | None = None) -> str:
    """Tell the athlete what is new since the last round, retry what failed; one sentence. Raises `NotifyFailed`
    when some event could not be sent (the job's error; it is retried on later rounds, then given up)."""
    urls = athlete_urls(rt)
    if not urls:
        return NOT_SET_UP
    now = now or datetime.now(UTC)
    db, athlete = rt.db, rt.athlete_id
    me = _sender()
    stale = store.give_up_stale(
        db, athlete, now - STALE_CLAIM, "its sender stopped while sending it; not sent again, so it is never twice"
    )
    results = [_deliver(rt, urls, taken, now) for taken in store.take_due(db, athlete, now, me)]
    for event in _events(rt, now):
        if not event.message:  # the first phase seen: remembered, not news
            store.note(db, athlete, event.key, event.kind, now)
            continue
        taken = store.claim(db, athlete, event.key, event.kind, event.message, now, me)
        if taken is not None:
            results.append(_deliver(rt, urls, taken, now))
    store.prune(db, athlete, now - KEEP, keep_kind=events.PHASE)
    sent = sum(1 for r in results if r is None)
    failed = [r for r in results if r is not None]
    parts = [f"{sent} notification{'s' * (sent != 1)} sent"] if sent else []
    if failed:
        parts.append(f"{len(failed)} not sent: {'; '.join(failed)}")
    if stale:
        parts.append(f"{stale} given up (its sender stopped mid-send)")
    if not parts:
        return NOTHING_TO_NOTIFY
    said = "; ".join(parts)
    said = f"{said[:1].upper()}{said[1:]}."
    if failed or stale:
        raise NotifyFailed(said)
    return said


def _events(rt: Runtime, now: datetime) -> list[events.Event]:
    """This round's events, red flags before the phase (a pause a red flag just told is no news of its own)."""
    s = rt.settings
    n = s.notify
    local = now.astimezone(s.tz)
    today = local.date()
    yesterday = today - timedelta(days=1)
    since = datetime.combine(yesterday, time(), UTC) - timedelta(days=1)  # any UTC offset of yesterday's runs
    activities = store.recent_activities(rt.db, rt.athlete_id, since)
    pain = store.recent_pain(rt.db, rt.athlete_id, yesterday, now - timedelta(days=2))
    base = s.serve.base_url()
    found: list[events.Event | None] = []
    if n.after_run:
        found.append(events.after_run(activities, pain, today, local.hour, n, s.profile.units, base))
    if n.morning:
        found.append(events.morning_prompt(activities, pain, today, local.hour, n, base))
    if n.alerts:
        flags = events.red_flags(pain)
        found.extend(flags)
        found.append(_phase_event(rt, today, now, bool(flags)))
    return [e for e in found if e is not None]


def _phase_event(rt: Runtime, today: date, now: datetime, red_flag_now: bool) -> events.Event | None:
    """The change of phase since the last one told; entering Paused with a red flag of these days is only
    remembered, since the red flag's own line said running is paused."""
    from advisor.services.current import report_for

    phase = report_for(rt.db, rt.athlete_id, rt.settings, today, today).phase
    change = events.phase_change(store.latest_key(rt.db, rt.athlete_id, events.PHASE), phase, today)
    if change is None or phase.code != "paused":
        return change
    if red_flag_now or store.known_since(rt.db, rt.athlete_id, "red_flag", now - timedelta(days=2)):
        return events.Event(change.key, change.kind, "")
    return change


def _deliver(rt: Runtime, urls: list[str], taken: Taken, now: datetime) -> str | None:
    """Send a held row and record how it went; None when some service took it, else why not (one clause)."""
    from advisor.push import send

    deliveries = send(urls, taken.message, rt.settings.notify.timeout_s)
    if any(d.ok for d in deliveries):
        store.finish(rt.db, taken.id, now)
        return None
    error = "; ".join(f"{d.service}: {(d.error or '').rstrip('.')}" for d in deliveries)
    attempt = taken.attempts + 1
    retry = now + RETRY_AFTER[attempt - 1] if attempt < MAX_ATTEMPTS else None
    store.finish(rt.db, taken.id, now, error=error, next_try=retry)
    if retry is None:
        log.warning("A notification was given up after %d attempts: %s", attempt, error)
        return f"given up after {attempt} attempts ({error})"
    return f"tried {attempt} time{'s' * (attempt != 1)}, again from {retry:%H:%M} UTC ({error})"


# --- asked by hand --------------------------------------------------------------------------------------------

TEST_MESSAGE = "advisor: a test notification. Your knee's nudges and alerts will come here."


def send_test(rt: Runtime) -> list[Delivery]:
    """Send one test message to the athlete's URLs, recording nothing; which services took it and which did not.
    Raises `NotifyNotSetUp` when the athlete has no URL."""
    from advisor.push import send

    urls = athlete_urls(rt)
    if not urls:
        where = "" if rt.is_default_athlete else f" (for {rt.athlete_name}: a file of URLs at {urls_file(rt)})"
        raise NotifyNotSetUp(f"no notification URL is set{where}: {SET_UP_HINT}")
    return send(urls, TEST_MESSAGE, rt.settings.notify.timeout_s)


def recent_notifications(rt: Runtime, limit: int = 20) -> list[NotificationEntry]:
    """The athlete's newest events, newest first."""
    return store.entries(rt.db, rt.athlete_id, limit)


@dataclass(frozen=True)
class NotifyState:
    """What `daemon status` says of the notifications."""

    configured: bool
    waiting: list[NotificationEntry]
    """Failed, to be tried again (or being sent right now)."""
    given_up: list[NotificationEntry]
    """Given up in the last `SHOWN_GIVEN_UP`."""

    def lines(self, tz: tzinfo = UTC) -> list[str]:
        """One line each, times in `tz` (the runner's)."""
        if not self.configured:
            return [f"Notifications: not set up ({SET_UP_HINT})."]
        lines = []
        if self.waiting:
            last = self.waiting[-1]
            error = f", last error: {last.last_error}" if last.last_error else ""
            lines.append(
                f"Notifications: {len(self.waiting)} waiting to be sent again ({last.attempts} attempts{error})."
            )
        for entry in self.given_up:
            when = entry.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
            lines.append(
                f"Notification given up after {entry.attempts} attempts ({when}): “{_short(entry.message)}” — "
                f"{(entry.last_error or 'no reason recorded').rstrip('.')}."
            )
        return lines or ["Notifications: on, nothing waiting."]


def notify_state(rt: Runtime, now: datetime | None = None) -> NotifyState:
    if not notify_configured(rt):
        return NotifyState(False, [], [])
    now = now or datetime.now(UTC)
    rows = store.unsent(rt.db, rt.athlete_id, now - SHOWN_GIVEN_UP)
    waiting = [r for r in rows if r.state != store.GIVEN_UP]
    return NotifyState(True, waiting, [r for r in rows if r.state == store.GIVEN_UP])


def _short(message: str, most: int = 60) -> str:
    """The message without its link, cut to `most` characters."""
    message = message.split(" Log it: ", 1)[0]
    return message if len(message) <= most else message[: most - 1].rstrip() + "…"
