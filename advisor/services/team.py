"""`advisor team status`: a coach's Monday list, one line per athlete, the ones to call first at the top.

Each athlete is assessed exactly as `advisor status --athlete NAME` would assess them — their own profile, thresholds
and time zone (`settings_for`), the store's one read path (`advisor.store.history`), the same pure `assess` — but the
store is read in one indexed query for the whole team (each athlete's stored report line, advisor.services.current),
and only the athletes whose stored report is stale are assessed, one SELECT per table for all of them.

`team_status` is the only function here that reads; making a line (`team_line`) and ordering the lines (`ordered`)
are pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

from advisor.config import Settings
from advisor.domain.advice.team import Group, LineFacts, TeamLine, TeamStatus
from advisor.errors import InputError
from advisor.services.athletes import athlete_info, settings_for
from advisor.services.current import facts_from_json, facts_json, line_facts, report_key
from advisor.services.garmin_state import SOURCE as GARMIN_SOURCE
from advisor.services.knee import assess_athlete
from advisor.store.db import Database, default_athlete_id
from advisor.store.history import Wanted, read_histories
from advisor.store.stored_reports import Computed, ReportKey, TeamRow, read_team, save_reports

GROUP_ORDER: dict[Group, int] = {"referral": 0, "high": 1, "other": 2}


def team_line(
    name: str,
    settings: Settings,
    facts: LineFacts,
    last_sync_at: datetime | None,
    last_import_at: datetime | None,
    now: datetime,
) -> TeamLine:
    """One athlete's line from their report's facts; `now` only dates the last sync (how old it is today, whatever
    as_of)."""
    if last_sync_at is not None:
        synced_at, source = last_sync_at, "garmin"
    elif last_import_at is not None:
        synced_at, source = last_import_at, "import"
    else:
        synced_at, source = None, None
    tz = settings.tz
    days = None if synced_at is None else (now.astimezone(tz).date() - synced_at.astimezone(tz).date()).days
    return TeamLine(
        name=name,
        **{f.name: getattr(facts, f.name) for f in fields(LineFacts)},
        last_sync_at=synced_at,
        last_sync_source=source,  # type: ignore[arg-type]
        days_since_sync=days,
        units=settings.profile.units,
        timezone=settings.profile.timezone,
    )


def ordered(lines: Iterable[TeamLine]) -> list[TeamLine]:
    """Referrals and red flags first, then a high flag, then the rest; by name within a group."""
    return sorted(lines, key=lambda line: (GROUP_ORDER[line.group], line.name.casefold(), line.name))


# --- the read -----------------------------------------------------------------------------------------------------


def team_status(db: Database, config: Settings, as_of: date | None = None, now: datetime | None = None) -> TeamStatus:
    """Every athlete's line, ordered; `as_of` None: each athlete's own today in their time zone (from `now`).

    An `as_of` after every athlete's today is an `InputError` (a report of the future would be a guess).

    One indexed query reads every athlete with their stored line (`read_team`); only the athletes whose stored
    report is not current for their today (data written since, a new day, other settings) are assessed, with one
    SELECT per table for all of them, and their reports kept for the next read.
    """
    now = now or datetime.now(UTC)
    default_athlete_id(db, config.profile.name)
    rows = read_team(db, GARMIN_SOURCE)
    plans: list[tuple[TeamRow, Settings, date, ReportKey | None]] = []
    todays = []
    for row in rows:
        settings = settings_for(config, athlete_info(config, row.athlete))
        today = now.astimezone(settings.tz).date()
        todays.append(today)
        day = as_of or today
        plans.append((row, settings, day, report_key(settings, today) if day == today else None))
    if as_of is not None and todays and as_of > max(todays):
        raise InputError(f"--as-of {as_of.isoformat()} is in the future (today is {max(todays).isoformat()})")
    facts: dict[int, LineFacts] = {}
    for row, _, _, key in plans:
        if key is not None and row.stored.current_for(key) and row.stored.line is not None:
            facts[row.athlete.id] = facts_from_json(row.stored.line)
    stale = [plan for plan in plans if plan[0].athlete.id not in facts]
    histories = read_histories(db, {row.athlete.id: Wanted(day, s.tz) for row, s, day, _ in stale})
    kept = []
    for row, settings, day, key in stale:
        history = histories[row.athlete.id]
        report = assess_athlete(settings, day, history)
        facts[row.athlete.id] = line_facts(report, history)
        if key is not None:
            line = facts_json(facts[row.athlete.id])
            kept.append(Computed(row.athlete.id, row.stored.data_version, key, report.model_dump_json(), line))
    save_reports(db, kept, now)
    lines = [
        team_line(row.athlete.name, settings, facts[row.athlete.id], row.synced_at, row.imported_at, now)
        for row, settings, _, _ in plans
    ]
    return TeamStatus(lines=ordered(lines), as_of=as_of, generated_at=now)


def team_document(status: TeamStatus) -> dict[str, Any]:
    """`advisor team status --json`: stable keys, metres plus km, dates ISO."""

    def km(m: float | None) -> float | None:
        return None if m is None else round(m / 1000.0, 3)

    return {
        "as_of": status.as_of.isoformat() if status.as_of else None,
        "generated_at": status.generated_at.isoformat(),
        "athletes": [
            {
                "name": line.name,
                "as_of": line.as_of.isoformat(),
                "group": line.group,
                "worst_severity": line.worst_severity,
                "worst_flags": line.worst_flags,
                "flags": [{"code": code, "severity": severity} for code, severity in line.flags],
                "referral": line.referral,
                "referral_urgent": line.referral_urgent,
                "paused": line.paused,
                "week_start": line.week_start.isoformat(),
                "week_distance_m": round(line.week_distance_m, 1),
                "week_distance_km": km(line.week_distance_m),
                "weekly_cap_m": None if line.weekly_cap_m is None else round(line.weekly_cap_m, 1),
                "weekly_cap_km": km(line.weekly_cap_m),
                "weekly_cap_reason": line.weekly_cap_reason,
                "last_pain_score": line.last_pain_score,
                "last_pain_date": line.last_pain_day.isoformat() if line.last_pain_day else None,
                "last_sync_at": line.last_sync_at.isoformat() if line.last_sync_at else None,
                "last_sync_source": line.last_sync_source,
                "days_since_sync": line.days_since_sync,
                "units": line.units,
                "timezone": line.timezone,
            }
            for line in status.lines
        ],
    }
