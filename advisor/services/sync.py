"""`advisor sync` and the daemon's Garmin job: new activities and daily floors from Garmin Connect, once each.

What a runner relies on, and how this module keeps it:

- **Nothing lost, nothing done twice.** Activities are handled oldest first. Each one is downloaded, unzipped
  and stored through `import_payload` (the same pipeline as `advisor import`, one transaction), and right after
  that the `synced_up_to` mark in `sync_state` moves to its start. A crash or kill therefore loses nothing; the
  next round re-lists from the mark, skips every activity whose Garmin id is already linked to a stored run (no
  download), and goes on. The worst case of a kill between the import and the mark update is one download that
  ends as a duplicate.
- **The mark moves only past activities that were handled for good**: imported, duplicate (the watch's own file
  was imported earlier), skipped, or failed for a reason that retrying cannot fix (a corrupt zip/FIT, a 404 or
  other 4xx for that one download). Such a failure is reported with the Garmin activity id and does NOT block
  the mark: blocking would stop every later run from syncing because of one broken file and retry it forever.
  A failure that may go away (429, auth, network, 5xx after the bounded retries) stops the round instead, and
  the mark stays at the last handled activity.
- **Late arrivals.** A later round lists from one day (`OVERLAP`) before the mark, so an activity Garmin lists
  late with an earlier start (a second device, a watch that synced days later) is still found. Within that day
  only activities not yet linked to a stored run are downloaded; the one that set the mark is never re-done. As
  a side effect a corrupt download that lies inside that day gets one more chance in later rounds (a truncated
  transfer often succeeds the second time), and never once the mark has moved a day past it.
- **Rate limits.** On HTTP 429 the round stops at once, `retry_after` (Garmin's Retry-After, else
  `DEFAULT_RATE_LIMIT_WAIT`) is stored, and every call before that time returns immediately without a request.
- **Expired or revoked login.** The sync never logs in by itself (only `advisor garmin login` does, with a person
  at the keyboard). On an auth error the message is stored in `sync_state.last_error`, and a small marker file
  next to the tokens remembers a fingerprint of the credential that was refused (token file mtime/size/inode, or
  a truncated hash of the Personal API key — never the credential). Later rounds refuse without any request until
  the credential changes, so a daemon never hammers Garmin with a dead refresh token.
- **Daily floors and steps** for the same days go to `daily_stairs` with source `garmin` (upserted per day).

No secret is ever written to the database or the logs: only messages the Garmin layer already made safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from advisor.garmin import (
    GarminAuthError,
    GarminError,
    GarminRateLimited,
    GarminSource,
    open_garmin_source_from_settings,
)
from advisor.garmin.model import ensure_private_dir
from advisor.services.context import AthleteContext
from advisor.services.garmin_state import (
    SOURCE,
    GarminStatus,
    auth_refusal,
    forget_auth_failure,
    garmin_configured,
    garmin_status,
    load_state,
    note_new_login,
    remember_auth_failure,
    save_state,
)
from advisor.services.import_context import decoding_pool
from advisor.services.sync_activity import ORIGIN, download_and_import, link_and_mark
from advisor.services.sync_report import ActivityOutcome, SyncReport
from advisor.store.imports import StairsDay, store_daily_stairs
from advisor.store.sync_state import SyncState, linked_garmin_ids

__all__ = [
    "SOURCE",
    "ActivityOutcome",
    "GarminStatus",
    "SyncReport",
    "garmin_configured",
    "garmin_status",
    "note_new_login",
    "sync_garmin",
]

_LOG = logging.getLogger(__name__)

OVERLAP = timedelta(days=1)
DEFAULT_RATE_LIMIT_WAIT = timedelta(hours=1)
"""How long to stay away after a 429 without a Retry-After: Garmin's limits typically last about an hour."""


# --------------------------------------------------------------------------------------------------------------
# The round


def sync_garmin(
    rt: AthleteContext,
    since: date | None = None,
    now: datetime | None = None,
    *,
    source: GarminSource | None = None,
    on_activity: Callable[[ActivityOutcome], None] | None = None,
) -> SyncReport:
    """Run one sync round, unless another is running for this ADVISOR_HOME (a manual `advisor sync` while the
    daemon syncs): Garmin rotates refresh tokens, so two rounds at once could log each other out."""
    import fcntl

    token_dir = rt.settings.garmin_token_dir
    ensure_private_dir(token_dir)
    with open(token_dir / "sync.lock", "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return SyncReport(
                stopped="busy", outcome="Another Garmin sync is running for this ADVISOR_HOME; this round was skipped."
            )
        try:
            return _sync_round(rt, since, now, source=source, on_activity=on_activity)
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _sync_round(
    rt: AthleteContext,
    since: date | None,
    now: datetime | None,
    *,
    source: GarminSource | None,
    on_activity: Callable[[ActivityOutcome], None] | None,
) -> SyncReport:
    """Run one sync round; never raises for anything Garmin does (the report says what happened).

    Raises `ConfigError` only when the configured Personal API key file cannot be read.

    `since` (a local date) overrides where listing starts; it never moves the mark backwards. `now` fixes the
    clock (tests, and so one round uses one "today"). `source` replaces the configured one (tests pass a source
    with a small page size or fast backoff); when given, the caller closes it. `on_activity` is told about each
    activity as soon as it is stored, for a live listing.
    """
    settings = rt.settings
    clock = _Clock(now)
    started = clock()
    tz = settings.tz
    report = SyncReport()
    state = load_state(rt)
    report.synced_up_to = state.synced_up_to

    if state.retry_after is not None and started < state.retry_after:
        report.stopped = "rate_limited"
        report.next_try = state.retry_after
        report.error = state.last_error
        report.outcome = f"Garmin asked us to slow down; next try after {_when(state.retry_after, started, tz)}."
        return report
    refused = auth_refusal(settings)
    if refused is not None:
        report.stopped = "auth"
        report.error = refused
        report.outcome = f"{_sentence(refused)} (not retried until the login changes)."
        return report

    today = started.astimezone(tz).date()
    explicit = since is not None
    backfill_start = today - timedelta(days=settings.garmin.backfill_days)
    if since is not None:
        list_since = since
    elif state.synced_up_to is not None:
        list_since = (state.synced_up_to - OVERLAP).astimezone(tz).date()
    else:
        list_since = backfill_start
    if since is not None:
        floors_since = since
    elif state.last_success_at is not None:
        floors_since = max(backfill_start, (state.last_success_at - OVERLAP).astimezone(tz).date())
    else:
        floors_since = list_since
    until = today + timedelta(days=1)  # the watch may run ahead of the profile's zone; Garmin lists nothing later
    report.since, report.until = min(list_since, floors_since), today

    owned = source is None
    try:
        if source is None:
            source = open_garmin_source_from_settings(settings)
        _sync_activities(rt, source, state, list_since, until, explicit, report, clock, on_activity)
        for floors in source.daily_floors(floors_since, today):  # a day per transaction: a 429 keeps those before
            day = StairsDay(floors.day, floors.floors_up, floors.floors_down, floors.steps)
            store_daily_stairs(rt.db, rt.athlete_id, SOURCE, [day], clock())
            report.floors_days += 1
    except GarminRateLimited as error:
        wait = timedelta(seconds=error.retry_after_s) if error.retry_after_s is not None else DEFAULT_RATE_LIMIT_WAIT
        report.next_try = clock() + wait
        report.stopped = "rate_limited"
        report.error = str(error)
        when = _when(report.next_try, clock(), tz)
        report.outcome = f"Garmin asked us to slow down{report.progress(' after ')}; next try after {when}."
        save_state(rt, retry_after=report.next_try, last_error=report.outcome)
    except GarminAuthError as error:
        report.stopped = "auth"
        report.error = str(error)
        report.outcome = f"{_sentence(str(error))}{report.progress('; stored before that: ')}."
        remember_auth_failure(settings, str(error), clock())
        save_state(rt, retry_after=None, last_error=str(error))
    except GarminError as error:  # GarminUnavailable, or anything else from the Garmin layer
        report.stopped = "unavailable"
        report.error = str(error)
        report.outcome = (
            f"Garmin is unavailable ({_sentence(str(error))}){report.progress(' after ')}; left for the next round."
        )
        save_state(rt, retry_after=None, last_error=report.outcome)
    else:
        report.outcome = report.success_sentence()
        failures = "; ".join(a.detail for a in report.activities if a.status == "failed")
        save_state(
            rt,
            retry_after=None,
            last_error=f"last round: {failures}" if failures else None,
            last_success_at=clock(),
        )
        forget_auth_failure(settings)
    finally:
        if owned and source is not None:
            source.close()
    report.synced_up_to = load_state(rt).synced_up_to
    _LOG.info("Garmin sync: %s", report.outcome)
    return report


class _Clock:
    """`now` when the caller fixed it, else the real time (read afresh, so Retry-After counts from the 429)."""

    def __init__(self, fixed: datetime | None) -> None:
        if fixed is not None and fixed.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.fixed = fixed

    def __call__(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC)


def _sync_activities(
    rt: AthleteContext,
    source: GarminSource,
    state: SyncState,
    list_since: date,
    until: date,
    explicit: bool,
    report: SyncReport,
    clock: _Clock,
    on_activity: Callable[[ActivityOutcome], None] | None,
) -> None:
    """Download and import what is new, oldest first, moving the mark after each handled activity."""
    mark = state.synced_up_to
    linked = _linked_ids(rt, list_since)
    ctx = rt.import_context(ORIGIN)
    with decoding_pool(ctx) as pool:  # one worker for the round: a download that crashes a decoder fails alone
        ctx = replace(ctx, decoding=pool)
        for activity in source.list_activities(list_since, until):
            if activity.activity_id in linked:
                if mark is None or activity.start_utc > mark:  # stored, but a kill came before its mark was saved
                    mark = activity.start_utc
                    save_state(rt, synced_up_to=mark)
                continue
            done_before = mark is not None and (activity.start_utc == mark or activity.start_utc <= mark - OVERLAP)
            if done_before and not explicit:
                continue  # the activity that set the mark, or older than the overlap: done in an earlier round
            report.downloads += 1
            outcome = download_and_import(ctx, source, activity)
            if mark is None or activity.start_utc > mark:
                mark = activity.start_utc
            link_and_mark(rt, activity.activity_id, outcome, mark)
            linked.add(activity.activity_id)
            report.add(outcome)
            if on_activity is not None:
                on_activity(outcome)


def _linked_ids(rt: AthleteContext, since: date) -> set[int]:
    """Garmin ids already tied to stored runs near the window: these need no download."""
    return linked_garmin_ids(
        rt.db, rt.athlete_id, datetime.combine(since, datetime.min.time(), UTC) - timedelta(days=2)
    )


# --------------------------------------------------------------------------------------------------------------
# Sentences


def _when(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def _sentence(message: str) -> str:
    return message.rstrip(". ")
