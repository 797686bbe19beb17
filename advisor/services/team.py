"""`advisor team status`: a coach's Monday list, one line per athlete, the ones to call first at the top.

Each athlete is assessed exactly as `advisor status --athlete NAME` would assess them — their own profile, thresholds
and time zone (`settings_for`), the same windows as `assess_history`, the same pure `assess` — but the store is read
once per table for the whole team, not once per athlete: a clinic of 200 runners is eight SELECTs, not 1,600.

`team_status` is the only function here that reads; grouping the rows by athlete (`group_by_athlete`), cutting
each athlete's windows (`history_for`), making a line (`team_line`) and ordering the lines (`ordered`) are pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from advisor.config import Settings
from advisor.domain.advice.report import KneeReport
from advisor.domain.advice.team import Group, TeamLine, TeamStatus
from advisor.domain.risk.model import SIGN_WORDS
from advisor.errors import InputError
from advisor.services.athletes import AthleteInfo, list_athletes, settings_for
from advisor.services.garmin_state import SOURCE as GARMIN_SOURCE
from advisor.services.history import (
    WINDOW_MARGIN_DAYS,
    History,
    assess_athlete,
    history_for,
    midnight_utc,
    window_start,
)
from advisor.store.db import Database
from advisor.store.models import (
    Activity,
    ClinicianAssessment,
    DailyStairs,
    PainEntryRow,
    RehabSessionRow,
    SourceFile,
    SyncState,
)

GROUP_ORDER: dict[Group, int] = {"referral": 0, "high": 1, "other": 2}
SEVERITY_RANK = {"info": 0, "caution": 1, "high": 2}

_ACTIVITY_COLUMNS = (
    Activity.id,
    Activity.athlete_id,
    Activity.start_utc,
    Activity.utc_offset_s,
    Activity.sport,
    Activity.sub_sport,
    Activity.distance_m,
    Activity.moving_s,
    Activity.elapsed_s,
    Activity.ascent_m,
    Activity.descent_m,
    Activity.descent_steep5_m,
    Activity.distance_steep5_m,
    Activity.descent_steep10_m,
    Activity.distance_steep10_m,
    Activity.avg_cadence_spm,
    Activity.load,
    Activity.name,
)
"""Only what `Run` needs: reading 40,000 rows as plain tuples instead of ORM objects is most of the read's time."""
PAIN_FIELDS = ("id", "day", "when", "score", *SIGN_WORDS, "no_red_flags", "note")
STAIR_FIELDS = ("day", "source", "floors_up", "floors_down", "steps")
ASSESSMENT_FIELDS = ("id", "day", "cleared", "note")
REHAB_FIELDS = ("day", "strength", "mobility", "band", "pain")
"""The other tables are read as plain rows too (with `athlete_id`), for the same reason."""


def _columns(model: type, fields: tuple[str, ...]) -> list[Any]:
    return [model.athlete_id, *(getattr(model, name) for name in fields)]  # type: ignore[attr-defined]


# --- pure ---------------------------------------------------------------------------------------------------------


def group_by_athlete[T](rows: Iterable[T]) -> dict[int, list[T]]:
    """Rows of many athletes (anything with an `athlete_id`) by athlete, each athlete's rows in the order given."""
    out: dict[int, list[T]] = defaultdict(list)
    for row in rows:
        out[row.athlete_id].append(row)  # type: ignore[attr-defined]
    return out


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
    ids = [info.id for info, _, _ in plans]
    first = min(d for _, _, d in plans)
    last = max(d for _, _, d in plans)
    with db.transaction() as session:
        activities = session.execute(
            select(*_ACTIVITY_COLUMNS)
            .where(
                Activity.athlete_id.in_(ids),
                Activity.excluded.is_(False),
                Activity.start_utc >= midnight_utc(window_start(first)),
                Activity.start_utc < midnight_utc(last + timedelta(days=WINDOW_MARGIN_DAYS)),
            )
            .order_by(Activity.athlete_id, Activity.start_utc)
        ).all()
        pain = session.execute(
            select(*_columns(PainEntryRow, PAIN_FIELDS)).where(
                PainEntryRow.athlete_id.in_(ids), PainEntryRow.day <= last
            )
        ).all()
        stairs = session.execute(
            select(*_columns(DailyStairs, STAIR_FIELDS)).where(
                DailyStairs.athlete_id.in_(ids), DailyStairs.day >= window_start(first), DailyStairs.day <= last
            )
        ).all()
        assessments = session.execute(
            select(*_columns(ClinicianAssessment, ASSESSMENT_FIELDS)).where(
                ClinicianAssessment.athlete_id.in_(ids), ClinicianAssessment.day <= last
            )
        ).all()
        rehab = session.execute(
            select(*_columns(RehabSessionRow, REHAB_FIELDS)).where(
                RehabSessionRow.athlete_id.in_(ids), RehabSessionRow.day <= last
            )
        ).all()
        synced = dict(
            session.execute(
                select(SyncState.athlete_id, func.max(SyncState.last_success_at))
                .where(SyncState.athlete_id.in_(ids), SyncState.source == GARMIN_SOURCE)
                .group_by(SyncState.athlete_id)
            ).all()
        )
        imported = dict(
            session.execute(
                select(SourceFile.athlete_id, func.max(SourceFile.imported_at))
                .where(SourceFile.athlete_id.in_(ids))
                .group_by(SourceFile.athlete_id)
            ).all()
        )
    by = [group_by_athlete(rows) for rows in (activities, pain, stairs, assessments, rehab)]
    lines = []
    for info, settings, day in plans:
        history = history_for(day, settings.tz, *(rows.get(info.id, []) for rows in by))
        report = assess_athlete(settings, day, history)
        lines.append(
            team_line(
                info.name,
                settings,
                report,
                history,
                _aware(synced.get(info.id)),
                _aware(imported.get(info.id)),
                now,
            )
        )
    return TeamStatus(lines=ordered(lines), as_of=as_of, generated_at=now)


def _aware(value: datetime | None) -> datetime | None:
    """`max()` of a UTC column comes back through the column's type on both databases; this only makes sure."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


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
