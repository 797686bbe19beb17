"""`advisor report`: the one page a runner takes to their physio — the weeks before a visit, as the engine saw them.

The history is read once (`read_history_span`, the store's one read path, from the day before the first week to the
report's day) and every day of the period is assessed by the same pure engine as `advisor status --as-of` of that
day (`assess_athlete` on `span.at(day)`, about 1.5 ms a day: 85 assessments for 12 weeks), so the page never says
anything the runner was not told on the day: the cap a week is held to is the one given the day before it began
(what the weekly chart draws), its phases are the phases of its days, its rehab counts and step are its last day's.
The rehab log is read beside the history for its notes (the engine's sessions carry none).

Gathering (`visit_report`) is the only part that reads; `build_view` is a pure function of the span and the day
reports. Writing a file (`write_visit_report`) renders with advisor.render.visit_report and replaces the destination
only once the file is whole.

    from advisor.services.visit_report import visit_report
    view = visit_report(rt, weeks=12)           # the VisitReport dataclass (advisor.render.visit_view)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from advisor.domain.advice.phases import PHASE_NAMES
from advisor.domain.advice.report import KneeReport
from advisor.domain.risk.model import SAME_DAY_SIGNS, SIGN_WORDS, Assessment, PainEntry, Run
from advisor.errors import InputError
from advisor.render.units import Units, distance_value
from advisor.render.visit_view import (
    Adherence,
    AssessmentLine,
    FlagLine,
    NoteLine,
    PhaseSpan,
    RedFlagLine,
    TopActivity,
    VisitReport,
    WeekRow,
)
from advisor.services.knee import assess_athlete
from advisor.services.rehab import list_rehab
from advisor.store.history import HistorySpan, read_history_span

if TYPE_CHECKING:
    from advisor.services.context import AthleteContext
    from advisor.store.logs import RehabEntry

__all__ = [
    "DEFAULT_WEEKS",
    "MAX_WEEKS",
    "ReportFormat",
    "build_view",
    "report_format",
    "visit_report",
    "write_private",
    "write_visit_report",
]

DEFAULT_WEEKS = 12
MAX_WEEKS = 52
TOP = 5
"""How many of the longest runs and of the biggest descents the page lists."""
ReportFormat = Literal["html", "pdf"]
FORMATS: dict[str, ReportFormat] = {".html": "html", ".htm": "html", ".pdf": "pdf"}
NO_RUN_PHASES = frozenset({"paused", "settle"})
"""Phases whose day says not to run: a run the next day went against the advice."""
UNNAMED = "default"
"""The profile name of a runner who never set one: their page says "Knee report", not "Knee report for default"."""
SPORT_WORDS = {"running": "run", "trail_running": "trail run", "walking": "walk", "hiking": "hike"}


def report_format(destination: Path) -> ReportFormat:
    """`html` or `pdf` from the file's suffix; anything else is one sentence (an `InputError`)."""
    found = FORMATS.get(destination.suffix.lower())
    if found is None:
        raise InputError(f"--out {destination} should end in .html or .pdf (the report is a web page or a PDF)")
    return found


def visit_report(rt: AthleteContext, weeks: int = DEFAULT_WEEKS, as_of: date | None = None) -> VisitReport:
    """The report of the `weeks` ISO weeks (1 to 52) ending with the week of `as_of` (default: the runner's
    today; the last week is cut at that day); a future `as_of` is refused, as `status --as-of` refuses it."""
    settings = rt.settings
    today = settings.today()
    as_of = as_of or today
    if not 1 <= weeks <= MAX_WEEKS:
        raise InputError(f"--weeks must be from 1 to {MAX_WEEKS}, got {weeks}")
    if as_of > today:
        raise InputError(f"--as-of {as_of.isoformat()} is in the future (today is {today.isoformat()})")
    first_monday = as_of - timedelta(days=as_of.weekday(), weeks=weeks - 1)
    before = first_monday - timedelta(days=1)
    rehab = [r for r in list_rehab(rt.db, rt.athlete_id, since=first_monday) if r.day <= as_of]
    span = read_history_span(rt.db, rt.athlete_id, settings.tz, before, as_of)
    reports = {
        day: assess_athlete(settings, day, span.at(day))
        for day in (before + timedelta(days=k) for k in range((as_of - before).days + 1))
    }
    units: Units = "mi" if settings.profile.units == "mi" else "km"
    name = settings.profile.name
    return build_view(None if name == UNNAMED else name, units, today, first_monday, as_of, span, reports, rehab)


def build_view(
    athlete: str | None,
    units: Units,
    generated_on: date,
    first_monday: date,
    as_of: date,
    span: HistorySpan,
    reports: Mapping[date, KneeReport],
    rehab: Sequence[RehabEntry],
) -> VisitReport:
    """The page from the history read and the report of every day from the day before `first_monday` to `as_of`."""
    now = reports[as_of]
    runs = [r for r in span.runs if first_monday <= r.local_day <= as_of]
    pain = [p for p in span.pain if first_monday <= p.day <= as_of]
    weeks = _weeks(units, first_monday, as_of, pain, reports)
    clinician = next((a for a in now.advice if a.code == "see_clinician"), None)
    return VisitReport(
        athlete=athlete,
        units=units,
        as_of=as_of,
        start=first_monday,
        generated_on=generated_on,
        weeks=weeks,
        phases=_phases(first_monday, as_of, reports),
        phase_now=now.phase.name,
        phase_reason_now=now.phase.reason,
        today_now=now.today.message,
        weekly_cap_now_m=now.caps.weekly_distance_m,
        weekly_cap_reason_now=now.caps.weekly_reason,
        referral=None if clinician is None else FlagLine("referral", clinician.message, clinician.source),
        flags=[FlagLine(f.severity, f.message, f.source) for f in now.flags],
        red_flags=[_red_flag(p) for p in pain if p.red_flags],
        assessments=[AssessmentLine(a.day, a.cleared) for a in _assessments(span, first_monday, as_of)],
        longest_runs=_top([r for r in runs if r.kind == "run"], lambda r: r.distance_m),
        biggest_descents=_top([r for r in runs if r.kind in ("run", "on_foot") and r.descent_m > 0], _descent),
        notes=_notes(first_monday, as_of, pain, rehab, span),
        adherence=_adherence(weeks, runs, reports, as_of),
        coverage=now.coverage,
        disclaimer=now.disclaimer,
    )


def _weeks(
    units: Units, first_monday: date, as_of: date, pain: Sequence[PainEntry], reports: Mapping[date, KneeReport]
) -> list[WeekRow]:
    rows = []
    start = first_monday
    while start <= as_of:
        end = min(start + timedelta(days=6), as_of)
        given = reports[start - timedelta(days=1)]  # what the runner was told the evening before the week began
        last = reports[end]
        week = last.weeks[-1]
        cap = given.caps.weekly_distance_m
        scores = [p for p in pain if start <= p.day <= end]
        threshold = last.pain_threshold.distance_7d_m
        days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
        rows.append(
            WeekRow(
                week=week.week,
                start=start,
                end=end,
                distance_m=week.distance_m,
                runs=week.runs,
                longest_run_m=week.longest_run_m,
                cap_m=cap,
                cap_note=None if cap is not None else _no_cap(given),
                kept=None if cap is None else _shown(week.distance_m, units) <= _shown(cap, units),
                threshold_m=threshold,
                pain_during=_worst(scores, "during"),
                pain_after=_worst(scores, "after"),
                pain_morning=_worst(scores, "morning"),
                pain_scores=tuple(p.score for p in scores),
                strength_sessions=last.rehab_progress.strength_sessions_this_week,
                mobility_days=last.rehab_progress.mobility_days_this_week,
                rehab_step=last.rehab_progress.step,
                phases=tuple(dict.fromkeys(reports[day].phase.name for day in days)),
            )
        )
        start += timedelta(weeks=1)
    return rows


def _shown(metres: float, units: Units) -> float:
    """A distance as the page prints it (one decimal in the runner's units): a week is held to its cap as the
    reader compares them, so 32.4 of a 32.4 cap is kept whatever the metres behind the rounding."""
    return round(distance_value(metres, units), 1)


def _no_cap(report: KneeReport) -> str:
    code = report.phase.code
    return PHASE_NAMES[code].lower() if code in NO_RUN_PHASES else "no cap yet"


def _worst(entries: Sequence[PainEntry], when: str) -> int | None:
    return max((p.score for p in entries if p.when == when), default=None)


def _phases(first_monday: date, as_of: date, reports: Mapping[date, KneeReport]) -> list[PhaseSpan]:
    """Consecutive days in one phase episode (same phase, same first day) as one span, oldest first."""
    spans: list[PhaseSpan] = []
    day = first_monday
    while day <= as_of:
        phase = reports[day].phase
        last = spans[-1] if spans else None
        if last is not None and last.code == phase.code and (phase.since is None or phase.since <= last.start):
            spans[-1] = PhaseSpan(last.start, day, last.code, last.name, last.reason, last.began)
        else:
            began = phase.since if phase.since is not None and phase.since < day else None
            spans.append(PhaseSpan(day, day, phase.code, phase.name, phase.reason, began))
        day += timedelta(days=1)
    return spans


def _red_flag(entry: PainEntry) -> RedFlagLine:
    return RedFlagLine(
        day=entry.day,
        score=entry.score,
        when=entry.when,
        signs=tuple(SIGN_WORDS[sign] for sign in entry.red_flags),
        same_day=any(sign in SAME_DAY_SIGNS for sign in entry.red_flags),
    )


def _assessments(span: HistorySpan, first: date, last: date) -> list[Assessment]:
    return sorted((a for a in span.assessments if first <= a.day <= last), key=lambda a: (a.day, a.id))


def _descent(run: Run) -> float:
    return run.descent_m


def _top(runs: Sequence[Run], size: Callable[[Run], float]) -> list[TopActivity]:
    """The `TOP` biggest of `runs` by `size`, ties to the earlier day."""
    ranked = sorted(runs, key=lambda r: (-size(r), r.local_day, r.activity_id))
    return [
        TopActivity(
            day=r.local_day,
            sport=SPORT_WORDS.get(r.sport, r.sport.replace("_", " ")),
            name=r.name,
            distance_m=r.distance_m,
            descent_m=r.descent_m,
            steep_descent_m=r.descent_steep10_m,
        )
        for r in ranked[:TOP]
    ]


def _notes(
    first_monday: date, as_of: date, pain: Sequence[PainEntry], rehab: Sequence[RehabEntry], span: HistorySpan
) -> list[NoteLine]:
    """Every note the runner wrote in the period (on a pain score, a rehab session or an assessment), by day; on
    one day the pain notes first, then rehab, then the assessment."""
    notes: list[tuple[date, int, NoteLine]] = []
    for p in pain:
        if p.note:
            notes.append((p.day, 0, NoteLine(p.day, f"pain {p.score}/10 {p.when}", p.note)))
    for r in rehab:
        if r.note:
            kind = "rehab" if r.pain is None else f"rehab, pain {r.pain}/10"
            notes.append((r.day, 1, NoteLine(r.day, kind, r.note)))
    for a in _assessments(span, first_monday, as_of):
        if a.note:
            kind = "assessment: " + ("cleared" if a.cleared else "not cleared")
            notes.append((a.day, 2, NoteLine(a.day, kind, a.note)))
    return [note for _, _, note in sorted(notes, key=lambda n: (n[0], n[1]))]


def _adherence(
    weeks: Sequence[WeekRow], runs: Sequence[Run], reports: Mapping[date, KneeReport], now: date
) -> Adherence:
    """The weeks against their caps and the routine's targets, and the runs the day before advised against."""
    progress = reports[now].rehab_progress
    run_days = {r.local_day for r in runs if r.kind == "run"}
    against = [day for day in run_days if reports[day - timedelta(days=1)].phase.code in NO_RUN_PHASES]
    return Adherence(
        weeks_with_cap=sum(w.kept is not None for w in weeks),
        weeks_kept=sum(bool(w.kept) for w in weeks),
        strength_target=progress.strength_target,
        mobility_target=progress.mobility_target,
        weeks_strength_met=sum(w.strength_sessions >= progress.strength_target for w in weeks),
        mobility_days_per_week=round(sum(w.mobility_days for w in weeks) / len(weeks), 1) if weeks else 0.0,
        run_days_against_advice=len(against),
        rehab_step=progress.step,
        rehab_step_name=progress.step_name,
    )


def write_visit_report(
    rt: AthleteContext, destination: Path, weeks: int = DEFAULT_WEEKS, as_of: date | None = None
) -> VisitReport:
    """Write the report to `destination` (.html or .pdf), readable by the runner alone (health data); the file
    appears only once whole, and an existing file is never replaced (an `InputError` says so)."""
    from advisor.render.visit_report import render_html, render_pdf

    kind = report_format(destination)
    if destination.exists():
        raise InputError(f"{destination} already exists: give another --out, or move it away first")
    view = visit_report(rt, weeks, as_of)
    data = render_pdf(view) if kind == "pdf" else render_html(view).encode()
    write_private(destination, data)
    return view


def write_private(destination: Path, data: bytes) -> None:
    """`data` to `destination`, mode 0600, through a temporary file in the same folder renamed into place."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".advisor-report-", suffix=destination.suffix, dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
