"""The week's plan as an iCalendar feed (RFC 5545), built with the `icalendar` library, which does the escaping
and the line folding a hand-written file would get wrong.

What calendar apps rely on, and why each field is there:
- one all-day VEVENT per planned thing (`DTSTART;VALUE=DATE`, `DTEND` the next day: RFC 5545 3.6.1's all-day
  event), on the runner's own local days; a date has no zone, and `X-WR-TIMEZONE` names the runner's for the apps
  that read it (Google, Apple);
- a `UID` stable per day and slot (`2026-12-05-run@advisor.<athlete>`), so a feed fetched again updates the same
  events instead of adding copies, and a run that becomes a rest day after a new run is the day's one event changed;
- `DTSTAMP` (required in every VEVENT without a METHOD of scheduling: 3.8.7.2), in UTC;
- `TRANSP:TRANSPARENT`: a plan never makes the runner look busy to others;
- `REFRESH-INTERVAL` (RFC 7986) and `X-PUBLISHED-TTL` (Outlook, Apple): ask again within the hour, so a new run
  shows in the plan the same morning.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from advisor.domain.advice.plan import PlanDay

CALENDAR_NAME = "Knee plan"
PRODID = "-//advisor//Knee plan//EN"
REFRESH = timedelta(hours=1)
GUIDANCE = "Guidance, not a diagnosis: see a physiotherapist or doctor if pain persists or gets worse."


def plan_calendar(days: Sequence[PlanDay], *, zone: str, uid_domain: str, stamp: datetime) -> bytes:
    """The iCalendar document for `days`: one VEVENT per item, `stamp` (aware) as every DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-caldesc", f"The next 7 days of your knee plan, updated after each run. {GUIDANCE}")
    calendar.add("x-wr-timezone", zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for plan_day in days:
        for item in plan_day.items:
            event = Event()
            event.add("uid", f"{plan_day.day.isoformat()}-{item.slot}@{uid_domain}")
            event.add("dtstamp", stamp)
            event.add("dtstart", plan_day.day)
            event.add("dtend", plan_day.day + timedelta(days=1))
            event.add("summary", item.summary)
            event.add("description", f"{item.reason}\n\n{GUIDANCE}")
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar.to_ical()


__all__ = ["CALENDAR_NAME", "plan_calendar"]
