"""The plan in the runner's calendar (issue 22): a secret feed URL per athlete, and the ICS document behind it.

A calendar app subscribes to a URL and cannot log in, so the URL carries the credential: a token of 256 random bits
(`secrets.token_urlsafe(32)`), one per athlete, kept in the database (advisor.store.calendar_tokens) so every
machine serving a clinic's athletes knows it, and replaced by `advisor calendar reset` when it leaks. A request
with a token nobody holds gets nothing but a 404: not whether the token looked right, nor whose it might be.

The feed is built on each request from the athlete's current report (advisor.services.current.report_for: the
stored one while nothing changed, a fresh one after a new run or a new day), so the plan a calendar shows follows
every run the next time it asks (the feed asks for a refresh within the hour).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from advisor.domain.advice.plan import week_plan
from advisor.net import is_loopback
from advisor.services.athletes import AthleteError, find_athlete, settings_for
from advisor.services.current import report_for
from advisor.store.calendar_tokens import keep_token, read_token, replace_token, token_holder

if TYPE_CHECKING:
    from advisor.config import Settings
    from advisor.store.db import Database

FEED_PREFIX = "/calendar/"
FEED_SUFFIX = ".ics"
TOKEN_BYTES = 32
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
"""What `secrets.token_urlsafe(32)` gives: 43 URL-safe characters. Anything else is refused before the database."""


@dataclass(frozen=True)
class CalendarFeed:
    """The ICS document for one athlete, and an ETag that changes exactly when the plan does (not with the
    DTSTAMP, which is the time of the request)."""

    body: bytes
    etag: str
    athlete: str


def feed_url(settings: Settings, token: str) -> str:
    """The feed's URL: `serve.public_url` when set, else the address `advisor serve` listens on."""
    return f"{settings.serve.base_url()}{FEED_PREFIX}{token}{FEED_SUFFIX}"


def calendar_url(db: Database, settings: Settings, athlete_id: int, now: datetime) -> str:
    """The athlete's feed URL, its token made the first time it is asked for."""
    token = read_token(db, athlete_id) or keep_token(db, athlete_id, secrets.token_urlsafe(TOKEN_BYTES), now)
    return feed_url(settings, token)


def reset_calendar_url(db: Database, settings: Settings, athlete_id: int, now: datetime) -> str:
    """A new token for the athlete, and its URL: the old URL finds nothing from now on, on every server."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    replace_token(db, athlete_id, token, now)
    return feed_url(settings, token)


def unreachable_note(settings: Settings) -> str | None:
    """One line when the URL names an address a phone cannot open, None when `serve.public_url` is set."""
    serve = settings.serve
    if serve.public_url:
        return None
    if is_loopback(serve.host):
        return (
            f"A phone cannot open {serve.host}: serve the page where it can reach it and set serve.public_url "
            "(e.g. https://knee.example.org) to that address."
        )
    if serve.host in ("0.0.0.0", "::"):
        return (
            f"{serve.host} stands for every address of this machine: put the one your phone reaches it at in its "
            "place, or set serve.public_url."
        )
    return None


def calendar_feed(db: Database, config: Settings, token: str, now: datetime) -> CalendarFeed | None:
    """The ICS feed of the athlete holding `token`, for their own today (in their time zone) at `now`; None when
    nobody holds it. `config` is the config file's settings: the athlete's own profile is laid over them here."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    holder = token_holder(db, token)
    if holder is None:
        return None
    try:
        athlete = find_athlete(db, config, holder.name)
    except AthleteError:  # removed since the lookup
        return None
    from advisor.render.ics import plan_calendar  # icalendar costs ~70 ms to import: only when a feed is asked for

    settings = settings_for(config, athlete)
    today = now.astimezone(settings.tz).date()
    report = report_for(db, athlete.id, settings, today, today)
    plan = week_plan(report, settings.profile.units)
    uid_domain = "advisor." + hashlib.sha256(f"{athlete.id}:{athlete.created_at.isoformat()}".encode()).hexdigest()[:16]
    zone = settings.profile.timezone
    body = plan_calendar(plan, zone=zone, uid_domain=uid_domain, stamp=now.replace(microsecond=0))
    digest = hashlib.sha256()
    for part in (zone, uid_domain, *(day.model_dump_json() for day in plan)):
        digest.update(part.encode() + b"\0")
    return CalendarFeed(body=body, etag=f'W/"{digest.hexdigest()[:32]}"', athlete=athlete.name)


__all__ = [
    "FEED_PREFIX",
    "FEED_SUFFIX",
    "CalendarFeed",
    "calendar_feed",
    "calendar_url",
    "feed_url",
    "reset_calendar_url",
    "unreachable_note",
]
