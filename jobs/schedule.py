"""Turn plain config values into APScheduler 3.11 triggers, and the catch-up rule for a missed summary.

Everything the daemon schedules is built here so that the DST behaviour is decided (and tested) in one place.
The weekly summary uses a ``CronTrigger`` in the runner's own time zone (a ``ZoneInfo``), so "Monday 07:00"
means 07:00 on the runner's wall clock on both sides of a daylight-saving change — not a fixed UTC hour.

The catch-up rule (:func:`missed_summary_due`) asks the same trigger for its fire times instead of doing
calendar arithmetic of its own, so the two can never disagree, including on the odd days below.

DST edge cases, as APScheduler 3.11 resolves them (pinned by tests/test_schedule.py):

* a wall-clock time that does not exist (spring forward, e.g. 02:30 in Berlin on 2026-03-29) fires at the
  same instant as the shifted local time (03:30 CEST);
* a wall-clock time that happens twice (fall back, e.g. 02:30 in Berlin on 2026-10-25) fires **twice**. The
  summary job must therefore be idempotent per week (the outbox is), and hours 0-3 are best avoided.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from advisor.config import zone

__all__ = [
    "WEEKDAYS",
    "interval_trigger",
    "missed_summary_due",
    "next_summary_time",
    "parse_weekday",
    "previous_summary_time",
    "summary_trigger",
    "zone",
]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""APScheduler's day names; index = ``datetime.weekday()`` (Monday is 0)."""

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekday(weekday: str | int) -> int:
    """``"mon"``, ``"Monday"``, ``"MONDAY"`` or ``0`` → 0; Monday is 0 and Sunday 6, as in ``datetime.weekday()``.

    Integers follow Python and APScheduler (0-6 from Monday), not ISO (1-7) or cron (0 = Sunday); 7 is
    rejected rather than guessed, because guessing wrong sends the summary on the wrong day.
    """
    if isinstance(weekday, bool):  # bool is an int; True as a weekday is a config bug
        raise ValueError(f"not a weekday: {weekday!r}")
    if isinstance(weekday, int):
        if 0 <= weekday <= 6:
            return weekday
        raise ValueError(f"weekday number must be 0 (Monday) to 6 (Sunday), not {weekday}")
    name = weekday.strip().lower()
    if name in WEEKDAYS:
        return WEEKDAYS.index(name)
    if name in _FULL_NAMES:
        return _FULL_NAMES.index(name)
    if name.isdigit():
        return parse_weekday(int(name))
    raise ValueError(f"not a weekday: {weekday!r} (use mon, tue, wed, thu, fri, sat or sun)")


def summary_trigger(weekday: str | int, hour: int, tz: str, minute: int = 0) -> CronTrigger:
    """Fire every week on ``weekday`` at ``hour:minute`` wall-clock time in ``tz``."""
    if not 0 <= hour <= 23:
        raise ValueError(f"summary hour must be 0-23, not {hour}")
    if not 0 <= minute <= 59:
        raise ValueError(f"summary minute must be 0-59, not {minute}")
    return CronTrigger(
        day_of_week=WEEKDAYS[parse_weekday(weekday)],
        hour=hour,
        minute=minute,
        second=0,
        timezone=zone(tz),
    )


def interval_trigger(
    *, hours: float = 0, minutes: float = 0, start_date: datetime | None = None, jitter: int | None = None
) -> IntervalTrigger:
    """Fire every ``hours`` + ``minutes``, first one interval after ``start_date`` (default: now).

    The zone is fixed to UTC: an interval is elapsed time, so DST must not stretch or shrink it, and naming a
    zone keeps APScheduler from asking tzlocal, which fails on hosts without a configured local zone.
    ``jitter`` (seconds) spreads e.g. Garmin syncs so many installs do not all call at the same second.
    """
    if hours < 0 or minutes < 0:
        raise ValueError("an interval cannot be negative")
    if hours == 0 and minutes == 0:
        raise ValueError("an interval needs hours or minutes greater than zero")
    return IntervalTrigger(hours=hours, minutes=minutes, start_date=start_date, timezone=UTC, jitter=jitter)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (a naive datetime is ambiguous across DST); "
            "attach tzinfo=UTC if it came from the database"
        )


def next_summary_time(after: datetime, weekday: str | int, hour: int, tz: str, minute: int = 0) -> datetime:
    """The first summary time strictly after ``after``, in the runner's zone (for ``daemon status``)."""
    _require_aware("after", after)
    trigger = summary_trigger(weekday, hour, tz, minute)
    # Fire times are whole seconds; asking from one second later excludes ``after`` itself. UTC arithmetic
    # avoids wall-clock surprises when ``after`` falls in an ambiguous hour.
    start = after.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    fire = trigger.get_next_fire_time(None, start)
    assert fire is not None  # a weekly trigger without an end date always has a next time
    return fire


def previous_summary_time(now: datetime, weekday: str | int, hour: int, tz: str, minute: int = 0) -> datetime | None:
    """The most recent summary time at or before ``now``.

    APScheduler 3 has no "previous fire time", so this walks the trigger forward from a little more than a
    week back; the result is therefore exactly a time the scheduler itself would have fired at.
    """
    _require_aware("now", now)
    trigger = summary_trigger(weekday, hour, tz, minute)
    now_utc = now.astimezone(UTC)
    latest: datetime | None = None
    fire = trigger.get_next_fire_time(None, now_utc - timedelta(days=8))
    while fire is not None and fire <= now_utc:
        latest = fire
        fire = trigger.get_next_fire_time(None, fire.astimezone(UTC) + timedelta(seconds=1))
    return latest


def missed_summary_due(
    last_sent_for: datetime | None,
    now: datetime,
    weekday: str | int,
    hour: int,
    tz: str,
    minute: int = 0,
) -> datetime | None:
    """The scheduled time whose summary should be sent now on startup, or None.

    ``last_sent_for`` is the scheduled time (not the wall time of sending) of the last summary that was sent.
    If the most recent scheduled time ≤ ``now`` is later than that, it was missed — the machine was off or the
    daemon down — and is returned so the caller sends it once and records it as ``last_sent_for``. Only the
    latest missed week is returned: after a three-week holiday the runner gets one summary, not three.

    With no summary ever sent (``last_sent_for`` None) the most recent slot is due, so a fresh install mails
    its first summary on startup rather than making the runner wait up to a week.
    """
    if last_sent_for is not None:
        _require_aware("last_sent_for", last_sent_for)
    latest = previous_summary_time(now, weekday, hour, tz, minute)
    if latest is None:
        return None
    if last_sent_for is not None and last_sent_for >= latest:
        return None
    return latest
