"""`assess`: the whole knee report for one day, as a pure function of the data handed in.

`advisor status [--as-of]`, the weekly email and `--json` all render a `KneeReport`; `report.model_dump(mode="json")`
is the stable JSON document (keys documented on the models). Only data on or before `as_of` is used, nothing reads
the clock, a database or the network, and the input order does not matter — so the same data and `as_of` always
give the same report, and a past report can be reproduced exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from advisor.domain.advice.advice import Advice, Caps, ReturnToRun, build_advice, build_caps, return_to_run
from advisor.domain.advice.build import history_days
from advisor.domain.advice.caps import caps_at
from advisor.domain.advice.phases import Phase, Today, phase_of, today_of
from advisor.domain.advice.rehab import RehabProgress, RehabRoutine, rehab_progress, rehab_routine
from advisor.domain.advice.returning import flags_in_return
from advisor.domain.risk.aggregates import WeekAggregate, iso_week, weekly_aggregates
from advisor.domain.risk.flags import RiskAssessment, evaluate
from advisor.domain.risk.load import LoadRatios
from advisor.domain.risk.model import Assessment, Flag, PainEntry, Profile, RehabSession, Run, StairDay
from advisor.domain.risk.pain import PainThreshold
from advisor.domain.risk.thresholds import Thresholds

DISCLAIMER = (
    "This is training guidance, not a diagnosis: see a physiotherapist or doctor if pain persists, "
    "gets worse, or you are unsure."
)
REPORT_WEEKS = 8


class KneeReport(BaseModel):
    """Everything the runner is told for `as_of`. Distances in metres (plus km for reading), times in seconds."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    week: str
    """ISO week of as_of, 'YYYY-Www'."""
    window_start: date
    """First day of "this week" for the flags: the 7 days ending as_of."""
    weeks: list[WeekAggregate]
    """The last 8 ISO weeks (Monday-Sunday, local time), oldest first; the last one ends at as_of."""
    phase: Phase
    """The one phase the knee is in (paused, settle, return, build), why, what moves the runner on, since when."""
    today: Today
    """What to do today: rest, cross-train, up to N km easy, or done."""
    coverage: str | None
    """Said on the first screen when the report is built on under 4 weeks of running (None otherwise)."""
    flags: list[Flag]
    advice: list[Advice]
    """Ordered; `see_clinician` first when present."""
    caps: Caps
    return_to_run: ReturnToRun | None
    """The graded restart in progress, None when there is none."""
    pain_threshold: PainThreshold
    load: LoadRatios
    rehab: RehabRoutine
    rehab_progress: RehabProgress
    paused: bool
    """True while a red flag pauses running advice (caps are then None with the reason)."""
    paused_reason: str | None
    newest_data: date | None
    """Local day of the newest activity on or before as_of within the report's history, None when there is none."""
    disclaimer: str


COVERAGE_DAYS = 28


def coverage_note(risk: RiskAssessment, as_of: date) -> str | None:
    """PRODUCT.md "History coverage": a report built on under 4 weeks of running says what it is based on."""
    days = history_days(risk, as_of)
    if not 0 < days < COVERAGE_DAYS:
        return None
    return (
        f"Based on {days} day{'s' * (days != 1)} of running: import your older runs (a Garmin or Strava export) for "
        "better advice."
    )


def assess(
    runs: Iterable[Run],
    pain: Iterable[PainEntry],
    stairs: Iterable[StairDay],
    profile: Profile,
    thresholds: Thresholds,
    as_of: date,
    assessments: Iterable[Assessment] = (),
    rehab: Iterable[RehabSession] = (),
) -> KneeReport:
    """Flags, caps and advice for the runner as of the end of `as_of` (their local day)."""
    t = thresholds
    sessions = [r for r in rehab if r.day <= as_of]
    risk = evaluate(list(runs), list(pain), list(stairs), as_of, t, assessments, profile.units)
    c = caps_at(risk, as_of)
    caps = build_caps(risk, c)
    routine = rehab_routine(profile.sex)
    progress = rehab_progress(
        sessions,
        risk.events,
        as_of,
        t,
        [p.day for p in risk.pain if p.red_flags],
        [a.day for a in risk.assessments if a.cleared],
    )
    phase = phase_of(risk, c)
    today = today_of(risk, c, phase)
    advice = build_advice(risk, c, caps, profile, routine, progress, sessions, phase, today)
    runs_seen = risk.series.run_list
    return KneeReport(
        as_of=as_of,
        week=iso_week(as_of),
        window_start=as_of - timedelta(days=6),
        weeks=weekly_aggregates(risk.series, REPORT_WEEKS),
        phase=phase,
        today=today,
        coverage=coverage_note(risk, as_of),
        flags=flags_in_return(risk, c.programme),
        advice=advice,
        caps=caps,
        return_to_run=return_to_run(c),
        pain_threshold=risk.threshold,
        load=risk.ratios,
        rehab=routine,
        rehab_progress=progress,
        paused=c.paused,
        paused_reason=c.weekly_reason if c.paused else None,
        newest_data=runs_seen[-1].local_day if runs_seen else None,
        disclaimer=DISCLAIMER,
    )
