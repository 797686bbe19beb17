"""The chart's week ends: what the engine says at the end of each chart week, kept under a digest of its inputs.

A report is a pure function of the engine, the settings, the day and the history cut for that day
(`assess_athlete(settings, day, span.at(day))`). The weekly chart takes a few numbers from the report of 13 days —
each week's last day, and the day before the first week — and twelve of those days were last week's chart's too.
So each day's numbers are kept (advisor.store.week_ends) under a SHA-256 of all four inputs: the engine's
fingerprint, the settings' fingerprint, the day, and the `repr` of every row the cut is made of (the runs, the
pain log, the stairs rows, the assessments, the rehab sessions: frozen dataclasses and tuples of dates, numbers
and text, whose `repr` says every field). Kept numbers are used only under the same digest, so they are what the
engine would say now; a late-logged score, an excluded run or a new release gives another digest and the day is
assessed again.
tests/test_week_ends.py holds the kept numbers to fresh assessments through such changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from pydantic import TypeAdapter

from advisor.domain.advice.report import KneeReport
from advisor.services.current import report_key
from advisor.services.knee import assess_athlete
from advisor.store.week_ends import read_week_ends, save_week_ends

if TYPE_CHECKING:
    from advisor.services.context import AthleteContext
    from advisor.store.history import DayInputs, HistorySpan

__all__ = ["WeekEnd", "encodings", "input_digest", "week_ends"]


@dataclass(frozen=True)
class WeekEnd:
    """The numbers a chart takes from the report of one day."""

    weekly_cap_km: float | None
    """The weekly cap given that day, for the 7 days after it (the next chart week's cap)."""
    next_run_cap_km: float | None
    threshold_km: float | None
    """The 7-day pain threshold known at the end of that day."""
    week: str
    """The ISO week the day ends (or cuts), and its aggregate:"""
    week_start: date
    distance_km: float


_JSON = TypeAdapter(WeekEnd)


def of_report(report: KneeReport) -> WeekEnd:
    """The numbers of `report` a chart takes, in `WeekEnd`'s field order."""
    caps, week = report.caps, report.weeks[-1]
    threshold = report.pain_threshold.distance_7d_km
    return WeekEnd(caps.weekly_distance_km, caps.next_run_km, threshold, week.week, week.start, week.distance_km)


def week_ends(
    rt: AthleteContext, span: HistorySpan, days: Sequence[date], assessed: dict[date, KneeReport] | None = None
) -> dict[date, WeekEnd]:
    """Each of `days`' numbers: kept ones whose inputs are unchanged, the rest assessed (and kept), in one read and
    at most one write. `assessed` collects the whole reports of the days assessed here, for a caller that needs
    one of them whole (the mail's last week) and must not assess it twice."""
    encoded = encodings(span)
    digests = {day: input_digest(rt, day, span.inputs(day), encoded) for day in days}
    kept = read_week_ends(rt.db, rt.athlete_id, days)
    found: dict[date, WeekEnd] = {}
    fresh: dict[date, tuple[str, str]] = {}
    for day in days:
        digest = digests[day]
        if day in kept and kept[day][0] == digest:
            found[day] = _JSON.validate_json(kept[day][1])
            continue
        report = assess_athlete(rt.settings, day, span.at(day))
        if assessed is not None:
            assessed[day] = report
        found[day] = of_report(report)
        fresh[day] = (digest, _JSON.dump_json(found[day]).decode())
    save_week_ends(rt.db, rt.athlete_id, fresh)
    return found


def input_digest(rt: AthleteContext, day: date, inputs: DayInputs, encoded: dict[int, bytes] | None = None) -> str:
    """SHA-256 of everything `assess_athlete(rt.settings, day, span.at(day))` reads: the settings, the engine, the
    day and `span.inputs(day)`, the rows the day's history is made of. `encoded` holds each row's `repr` as bytes
    by identity, made once for all the days of a span (`encodings`): the days share their rows, and joining
    cached bytes is what keeps 13 digests of a 200-run history cheap."""
    key = report_key(rt.settings, day)
    digest = hashlib.sha256(f"{key.engine}\0{key.settings}\0{day.isoformat()}".encode())
    if encoded is None:
        encoded = {id(value): _encoded(value) for part in inputs for value in part}
    for part in inputs:
        digest.update(b"\x1d")
        digest.update(b"".join(map(encoded.__getitem__, map(id, part))))
    return digest.hexdigest()


def encodings(span: HistorySpan) -> dict[int, bytes]:
    """Every row of `span` (the rows `span.inputs(day)` returns, by identity) as `input_digest` hashes it. The span
    holds the rows, so no identity is reused while it lives."""
    rows = (span.runs, span.pain, span.stair_rows, span.assessments, span.rehab)
    return {id(value): _encoded(value) for part in rows for value in part}


def _encoded(value: object) -> bytes:
    """A row's `repr` (frozen dataclasses and tuples: every field) and a separator."""
    return repr(value).encode() + b"\x1e"
