"""`advisor team status`: a coach's Monday list, one line per athlete, the ones to call first at the top.

Each athlete is assessed exactly as `advisor status --athlete NAME` would assess them — their own profile, thresholds
and time zone (`settings_for`), the store's one read path (`advisor.store.history`), the same pure `assess` — but the
store is read once per table for the whole team, not once per athlete: a clinic of 200 runners is a handful of
SELECTs, not 1,600.

`team_status` is the only function here that reads; making a line (`team_line`) and ordering the lines (`ordered`)
are pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from advisor.config import Settings
from advisor.domain.advice.report import KneeReport
from advisor.domain.advice.team import Group, TeamLine, TeamStatus
from advisor.errors import InputError
from advisor.services.athletes import AthleteInfo, list_athletes, settings_for
from advisor.services.garmin_state import SOURCE as GARMIN_SOURCE
from advisor.services.knee import assess_athlete
from advisor.store.db import Database
from advisor.store.history import History, Wanted, last_data, read_histories

GROUP_ORDER: dict[Group, int] = {"referral": 0, "high": 1, "other": 2}
SEVERITY_RANK = {"info": 0, "caution": 1, "high": 2}


def team_line(
    name: str,
    settings: Settings,
    report: KneeReport,
    history: History,
    last_sync_at: datetime | None,
    last_import_at: datetime | None,
    now: datetime,
) -> TeamLine:
    """One athlete's line from their report; `now` only dates the last sync (how old it is today, whatever as_of)."""
    as_of = report.as_of
    flags = [(f.code, f.severity) for f in report.flags]
    worst = max((SEVERITY_RANK[s] for _, s in flags), default=None)
    worst_severity = next((s for s, rank in SEVERITY_RANK.items() if rank == worst), None)
    clinician = next((a for a in report.advice if a.code == "see_clinician"), None)
    referral = clinician is not None
    group: Group
    if referral or any(code == "red_flag" for code, _ in flags):
        group = "referral"
    elif worst_severity == "high":
        group = "high"
    else:
        group = "other"
    week_from = as_of - timedelta(days=6)
    week_m = float(sum(r.distance_m for r in history.runs if r.kind == "run" and week_from <= r.local_day <= as_of))
    latest_pain = max(history.pain, key=lambda p: (p.day, p.id), default=None)
    if last_sync_at is not None:
        synced_at, source = last_sync_at, "garmin"
    elif last_import_at is not None:
        synced_at, source = last_import_at, "import"
    else:
        synced_at, source = None, None
    tz = settings.tz
    days = None if synced_at is None else (now.astimezone(tz).date() - synced_at.astimezone(tz).date()).days
    caps = report.caps
    return TeamLine(
        name=name,
        as_of=as_of,
        group=group,
        flags=flags,
        worst_severity=worst_severity,
        worst_flags=[code for code, s in flags if s == worst_severity],
        referral=referral,
        referral_urgent=bool(clinician.numbers.get("urgent")) if clinician is not None else False,
        paused=report.paused,
        week_start=week_from,
        week_distance_m=week_m,
        weekly_cap_m=caps.weekly_distance_m,
        weekly_cap_reason=caps.weekly_reason if caps.weekly_distance_m is None else None,
        last_pain_score=latest_pain.score if latest_pain is not None else None,
        last_pain_day=latest_pain.day if latest_pain is not None else None,
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

    One SELECT per table for the whole team, whatever its size (a test counts them).
    """
    now = now or datetime.now(UTC)
    athletes = list_athletes(db, config)
    if not athletes:
        return TeamStatus(lines=[], as_of=as_of, generated_at=now)
    plans: list[tuple[AthleteInfo, Settings, date]] = []
    todays = []
    for info in athletes:
        s = settings_for(config, info)
        todays.append(now.astimezone(s.tz).date())
        plans.append((info, s, as_of or todays[-1]))
    if as_of is not None and as_of > max(todays):
        raise InputError(f"--as-of {as_of.isoformat()} is in the future (today is {max(todays).isoformat()})")
    histories = read_histories(db, {info.id: Wanted(day, s.tz) for info, s, day in plans})
    arrived = last_data(db, [info.id for info, _, _ in plans], GARMIN_SOURCE)
    lines = [
        team_line(
            info.name,
            settings,
            assess_athlete(settings, day, histories[info.id]),
            histories[info.id],
            arrived[info.id].synced_at,
            arrived[info.id].imported_at,
            now,
        )
        for info, settings, day in plans
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
