"""What is news for the runner's phone this round, and its one line: plain values in, events out, no I/O.

A round (`advisor.services.notify.notify_round`) reads the last two days' runs and pain, and the report's phase, and
hands them here. Each event has a key that names it for good (`run:<activity id>`, `morning:<local date>`,
`red_flag:<pain id>`, `phase:<local date>:<from>-<to>`), which the database uses to tell it once.

- After a run: only the newest run of today or yesterday (the runner's local days), so a backfill of 500 old runs
  sends nothing and a day of two runs one nudge each at most; not when a score during or after a run is already
  logged for its day, and not for yesterday's run once the morning prompt's hour has come (it asks instead).
- The morning prompt: from `notify.morning_hour` for `MORNING_WINDOW_HOURS` (no "good morning" at 9 pm after the
  machine was off all day), only after a day with a run, and only while no morning score is logged for today.
- A red flag or a same-day sign: every pain entry of the last days that reports one, in the words the CLI and the
  web page say the moment it is logged (`what_to_do_now`).
- A change of phase: the report's phase against the last one told; the first one seen is only remembered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from advisor.config_servers import NotifySettings
from advisor.domain.advice.clinician import what_to_do_now
from advisor.domain.advice.items import spoken_list
from advisor.domain.advice.phases import PHASE_NAMES, Phase
from advisor.domain.risk.model import SAME_DAY_SIGNS, SIGN_WORDS
from advisor.render.units import Units, distance
from advisor.store.notifications import RecentActivity, RecentPain

MORNING_WINDOW_HOURS = 6
PHASE = "phase"
RED_FLAG_OPENING = "That is a red flag: "
"""How `what_to_do_now` opens for a red flag; the notification names the flag itself instead."""


@dataclass(frozen=True)
class Event:
    key: str
    kind: str
    """run, morning, red_flag or phase."""
    message: str


def pain_link(base_url: str, day: date, when: str) -> str:
    """The phone's pain form, filled with the day and when (`advisor.web.forms` reads them)."""
    return f"{base_url}/pain?date={day.isoformat()}&when={when}"


def _runs_on(activities: Sequence[RecentActivity], days: set[date]) -> list[RecentActivity]:
    return [a for a in activities if a.kind == "run" and a.local_day in days]


def after_run(
    activities: Sequence[RecentActivity],
    pain: Sequence[RecentPain],
    today: date,
    hour: int,
    notify: NotifySettings,
    units: Units,
    base_url: str,
) -> Event | None:
    """The nudge to log the knee after the newest run of today or yesterday (see the module docstring)."""
    yesterday = today - timedelta(days=1)
    runs = _runs_on(activities, {today, yesterday})
    if not runs:
        return None
    run = max(runs, key=lambda a: (a.local_day, a.id))
    if run.local_day == yesterday and notify.morning and hour >= notify.morning_hour:
        return None
    if any(p.day == run.local_day and p.when in ("during", "after") for p in pain):
        return None
    which = "today's" if run.local_day == today else "yesterday's"
    link = pain_link(base_url, run.local_day, "after")
    return Event(
        f"run:{run.id}", "run", f"How was your knee on {which} {distance(run.distance_m, units, 1)}? Log it: {link}"
    )


def morning_prompt(
    activities: Sequence[RecentActivity],
    pain: Sequence[RecentPain],
    today: date,
    hour: int,
    notify: NotifySettings,
    base_url: str,
) -> Event | None:
    """The morning prompt after a day with a run (see the module docstring)."""
    if not notify.morning_hour <= hour < notify.morning_hour + MORNING_WINDOW_HOURS:
        return None
    if not _runs_on(activities, {today - timedelta(days=1)}):
        return None
    if any(p.day == today and p.when == "morning" for p in pain):
        return None
    link = pain_link(base_url, today, "morning")
    return Event(
        f"morning:{today.isoformat()}",
        "morning",
        f"Good morning: how is your knee after yesterday's run? Log it: {link}",
    )


def red_flags(pain: Sequence[RecentPain]) -> list[Event]:
    """One line per pain entry that reports a red flag or a same-day sign, with what to do now."""
    events = []
    for entry in pain:
        if not entry.signs:
            continue
        day = f"{entry.day:%a %-d %b}"
        now = what_to_do_now(entry.signs)
        if any(s in SAME_DAY_SIGNS for s in entry.signs):
            line = f"Red flag logged on {day}: {now[:1].lower()}{now[1:]}"
        else:
            signs = spoken_list([SIGN_WORDS[s] for s in entry.signs])
            line = f"Red flag logged on {day} ({signs}): {now.removeprefix(RED_FLAG_OPENING)}"
        events.append(Event(f"red_flag:{entry.id}", "red_flag", line))
    return events


def phase_code(key: str | None) -> str | None:
    """The phase a `phase:<date>:<from>-<to>` key ends in."""
    if not key:
        return None
    return key.rsplit(":", 1)[-1].rpartition("-")[2] or None


def phase_change(last_key: str | None, phase: Phase, today: date) -> Event | None:
    """The change from the phase last told to `phase`, or None when it is the same. With none told before, the event
    is the phase itself, from `start` (`phase:<date>:start-<code>`), which the round remembers without sending."""
    last = phase_code(last_key)
    if last == phase.code:
        return None
    key = f"{PHASE}:{today.isoformat()}:{last or 'start'}-{phase.code}"
    if last is None:
        return Event(key, PHASE, "")
    before = PHASE_NAMES.get(last, last)
    return Event(key, PHASE, f"Your knee moves from {before} to {phase.name}: {phase.words()}")
