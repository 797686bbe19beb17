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

from advisor.advice.advice import Advice, Caps, build_advice, build_caps, paused_reason
from advisor.advice.rehab import RehabRoutine, rehab_routine
from advisor.risk.aggregates import WeekAggregate, iso_week, weekly_aggregates
from advisor.risk.flags import evaluate
from advisor.risk.load import LoadRatios
from advisor.risk.model import Flag, PainEntry, Profile, Run, StairDay, Thresholds
from advisor.risk.pain import PainThreshold

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
    flags: list[Flag]
    advice: list[Advice]
    """Ordered; `see_clinician` first when present."""
    caps: Caps
    pain_threshold: PainThreshold
    load: LoadRatios
    rehab: RehabRoutine
    paused: bool
    """True while a red flag pauses running advice (caps are then None with the reason)."""
    paused_reason: str | None
    disclaimer: str


def assess(
    runs: Iterable[Run],
    pain: Iterable[PainEntry],
    stairs: Iterable[StairDay],
    profile: Profile,
    thresholds: Thresholds,
    as_of: date,
) -> KneeReport:
    """Flags, caps and advice for the runner as of the end of `as_of` (their local day)."""
    t = thresholds
    risk = evaluate(list(runs), list(pain), list(stairs), as_of, t)
    caps = build_caps(risk, t)
    routine = rehab_routine(profile.sex)
    advice = build_advice(risk, caps, profile, routine, t)
    paused = paused_reason(risk)
    return KneeReport(
        as_of=as_of,
        week=iso_week(as_of),
        window_start=as_of - timedelta(days=6),
        weeks=weekly_aggregates(risk.series, REPORT_WEEKS),
        flags=risk.flags,
        advice=advice,
        caps=caps,
        pain_threshold=risk.threshold,
        load=risk.ratios,
        rehab=routine,
        paused=paused is not None,
        paused_reason=paused,
        disclaimer=DISCLAIMER,
    )
