"""Today's report, read from where it is stored and computed only when it is stale.

A report changes only when the athlete's data, their settings, the engine's code or their local day changes, yet
every screen asked for it anew: a 10-year history re-assessed from raw rows for every page, every `status`, every
line of a coach's list. Here the report for the athlete's today is kept (advisor.store.stored_reports) and used
while it is current; the database marks it stale on every write of its inputs (advisor.store.report_triggers), and
the settings, the engine and the day are the key it was kept under. A report for any other day (`--as-of` a past
date) is always computed, never kept.

`status`, the web page, `team status` and the weekly mail come through here, so a stale report shown to a runner
would need all three checks to fail at once; tests/test_stored_report.py walks every write path and compares what
is stored with a fresh computation.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import TypeAdapter

from advisor.domain.advice.report import KneeReport
from advisor.domain.advice.summary import WeekPoint
from advisor.domain.advice.team import Group, LineFacts
from advisor.services.knee import assess_athlete, assess_history

if TYPE_CHECKING:
    from collections.abc import Callable

    from advisor.config import Settings
    from advisor.store.db import Database
    from advisor.store.history import History
    from advisor.store.stored_reports import ReportKey

_FACTS = TypeAdapter(LineFacts)
_CHART = TypeAdapter(list[WeekPoint])


@cache
def engine_fingerprint() -> str:
    """The code a report comes from, hashed (read once per process): every source and data file of
    `advisor.domain`, and the read path that turns rows into the engine's values (`advisor.store.history`, this
    module, `advisor.services.knee`), and what a chart keeps of a report (`advisor.services.week_ends`).

    A hand-kept version number would be forgotten on the first fix of a rule, and a report kept by the old rule
    would be shown until the next write; the code itself cannot be forgotten.
    """
    import advisor.domain
    import advisor.services.knee
    import advisor.store.history

    root = Path(advisor.domain.__file__).parent
    files = sorted(p for p in root.rglob("*") if p.suffix in {".py", ".toml"})
    files += [Path(m.__file__) for m in (advisor.store.history, advisor.services.knee) if m.__file__]
    files.append(Path(__file__))
    files.append(Path(__file__).with_name("week_ends.py"))  # what a chart keeps of a report (its digest's engine)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def report_key(settings: Settings, day: date) -> ReportKey:
    """The key a report for `day` is kept under: the day, the engine, and the settings the engine and a coach's
    line read (the whole profile, so a value a later rule reads is covered too, and the thresholds)."""
    from advisor.store.stored_reports import ReportKey

    profile = settings.profile.model_dump_json()
    thresholds = settings.thresholds.model_dump_json()
    fingerprint = hashlib.sha256(f"{profile}\0{thresholds}".encode()).hexdigest()[:32]
    return ReportKey(day, engine_fingerprint(), fingerprint)


def report_for(
    db: Database, athlete_id: int, settings: Settings, as_of: date, today: date, history: History | None = None
) -> KneeReport:
    """The report as of `as_of`: the stored one when `as_of` is today and it is current, else computed (and kept,
    when it is today's).

    `history`: what the caller already read for `as_of`, used instead of a new read when the stored report is
    stale; what is computed from it is not kept, since it may have been read before the version that would be
    stored with it (the version must be read first, see advisor.store.stored_reports).
    """
    if as_of != today:
        return assess_athlete(settings, as_of, history) if history else assess_history(db, athlete_id, settings, as_of)
    from advisor.store.stored_reports import read_stored

    key = report_key(settings, today)
    stored = read_stored(db, athlete_id)
    if stored.current_for(key):
        return KneeReport.model_validate_json(stored.report)  # type: ignore[arg-type]
    if history is not None:
        return assess_athlete(settings, today, history)
    from advisor.store.history import read_history

    history = read_history(db, athlete_id, settings.tz, today)
    report = assess_athlete(settings, today, history)
    keep(db, athlete_id, stored.data_version, key, report, history)
    return report


def keep(db: Database, athlete_id: int, version: int, key: ReportKey, report: KneeReport, history: History) -> bool:
    """Store `report` (computed from data at `version`) unless the data changed since."""
    from advisor.store.stored_reports import Computed, save_reports

    computed = Computed(athlete_id, version, key, report.model_dump_json(), facts_json(line_facts(report, history)))
    return save_reports(db, [computed], datetime.now(UTC)) == 1


def chart_for(
    db: Database, athlete_id: int, settings: Settings, today: date, compute: Callable[[], list[WeekPoint]]
) -> list[WeekPoint]:
    """Today's 12-week chart: stored beside today's report while it is current, else `compute()`d (and kept)."""
    from advisor.store.stored_reports import read_stored, save_chart

    key = report_key(settings, today)
    stored = read_stored(db, athlete_id, with_chart=True)
    kept = stored.chart_for(key)
    if kept is not None:
        return _CHART.validate_json(kept)
    points = compute()
    if not stored.current_for(key):
        report_for(db, athlete_id, settings, today, today)  # keep today's report first, the chart beside it
        stored = read_stored(db, athlete_id)
    if stored.current_for(key):
        save_chart(db, athlete_id, stored.data_version, key, _CHART.dump_json(points).decode())
    return points


# --- a coach's line ---------------------------------------------------------------------------------------------

SEVERITY_RANK = {"info": 0, "caution": 1, "high": 2}


def line_facts(report: KneeReport, history: History) -> LineFacts:
    """What a coach's line shows of one athlete's report and history for the report's day."""
    as_of = report.as_of
    flags = [(f.code, f.severity) for f in report.flags]
    worst = max((SEVERITY_RANK[s] for _, s in flags), default=None)
    worst_severity = next((s for s, rank in SEVERITY_RANK.items() if rank == worst), None)
    clinician = next((a for a in report.advice if a.code == "see_clinician"), None)
    group: Group
    if clinician is not None or any(code == "red_flag" for code, _ in flags):
        group = "referral"
    elif worst_severity == "high":
        group = "high"
    else:
        group = "other"
    week_from = as_of - timedelta(days=6)
    week_m = float(sum(r.distance_m for r in history.runs if r.kind == "run" and week_from <= r.local_day <= as_of))
    latest_pain = max(history.pain, key=lambda p: (p.day, p.id), default=None)
    caps = report.caps
    return LineFacts(
        as_of=as_of,
        group=group,
        flags=flags,
        worst_severity=worst_severity,
        worst_flags=[code for code, s in flags if s == worst_severity],
        referral=clinician is not None,
        referral_urgent=bool(clinician.numbers.get("urgent")) if clinician is not None else False,
        paused=report.paused,
        week_start=week_from,
        week_distance_m=week_m,
        weekly_cap_m=caps.weekly_distance_m,
        weekly_cap_reason=caps.weekly_reason if caps.weekly_distance_m is None else None,
        last_pain_score=latest_pain.score if latest_pain is not None else None,
        last_pain_day=latest_pain.day if latest_pain is not None else None,
    )


def facts_json(facts: LineFacts) -> str:
    return _FACTS.dump_json(facts).decode()


def facts_from_json(text: str) -> LineFacts:
    return _FACTS.validate_json(text)
