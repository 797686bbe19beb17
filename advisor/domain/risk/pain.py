"""The runner's own pain threshold, and the flags about pain logged (PRODUCT.md "The pain threshold").

- A **pain event** is a during/after score above `pain_acceptable` (≥ 3), a morning score above it, or a morning
  score at least `morning_rise_points` above the runner's morning baseline (the median of the morning scores of the
  14 days before, when there are at least 4). A morning score judges the previous day's load; a one-point wobble
  is noise.
- A 7-day window is **tolerated** when at least half of its runs have a during/after score, none of its scores is
  above acceptable, and no morning score in it, or on the morning after its last day, is an event. With fewer
  scores it is **unknown**: silence is not tolerance.
- From the last 12 weeks, the **threshold** is the lowest rolling 7-day distance at which a pain event happened,
  and separately the shortest single run and the smallest 7-day descent at one. An event stops counting for a
  measure once two later, non-overlapping tolerated windows reached `outgrow_factor` × its value: a runner who obeys
  a 0.9 × threshold cap can outgrow it. An event on a day with no run sets no threshold.

Every function takes the day it is evaluated at (`day`, `upto`), so the advice stage can ask what the rules said
on an earlier Monday without seeing anything logged after it. The window facts these rules read (a window's status,
its totals) are counted once per report in `advisor.domain.risk.pain_days`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from advisor.domain.risk.aggregates import Units, dist, iso_week, km, m1
from advisor.domain.risk.model import Flag, PainEntry
from advisor.domain.risk.pain_days import WEEK, Measure, PainDays, PainEvent
from advisor.domain.risk.sources import make_flag
from advisor.domain.risk.thresholds import Thresholds

OUTGROW_WEEKS = 4
"""Consecutive tolerated ISO weeks after an event that outgrow it, whatever the distances (PRODUCT.md)."""


def sort_pain(entries: Sequence[PainEntry]) -> list[PainEntry]:
    return sorted(entries, key=lambda p: (p.day, p.id))


def pain_events(entries: Sequence[PainEntry], t: Thresholds) -> list[PainEvent]:
    """Pain events in day order (entries sorted by day)."""
    mornings = morning_scores(entries)
    events: list[PainEvent] = []
    for p in entries:
        if p.when != "morning":
            if p.score > t.pain_acceptable:
                events.append(PainEvent(p, p.day, "score", None))
            continue
        judged = p.day - timedelta(days=1)
        base = morning_baseline(mornings, p.day, t)
        if p.score > t.pain_acceptable:
            events.append(PainEvent(p, judged, "score", base))
        elif base is not None and p.score >= base + t.morning_rise_points:
            events.append(PainEvent(p, judged, "morning_rise", base))
    return events


def morning_scores(entries: Sequence[PainEntry]) -> dict[date, int]:
    """The worst morning score of each day with one."""
    mornings: dict[date, int] = {}
    for p in entries:
        if p.when == "morning":
            mornings[p.day] = max(mornings.get(p.day, -1), p.score)
    return mornings


def morning_baseline(mornings: dict[date, int], day: date, t: Thresholds) -> float | None:
    """Median of the (worst per day) morning scores of the `morning_baseline_days` before `day`, or None."""
    scores = [
        s
        for d in (day - timedelta(days=k) for k in range(1, t.morning_baseline_days + 1))
        if (s := mornings.get(d)) is not None
    ]
    if len(scores) < t.morning_baseline_min_scores:
        return None
    return float(statistics.median(scores))


# --- the threshold -------------------------------------------------------------------------------------------------


class PainThreshold(BaseModel):
    """What the last `window_days` of pain log say about the load this knee tolerates. Metres, plus km."""

    model_config = ConfigDict(frozen=True)

    window_days: int
    entries: int
    events: int
    counting_events: int
    """Events that still set a threshold (not outgrown, with a run on the judged day)."""
    distance_7d_m: float | None
    distance_7d_km: float | None
    distance_set_on: date | None
    """The judged day of the event that set the 7-day threshold: the week ending then is the one that hurt."""
    single_run_m: float | None
    single_run_km: float | None
    descent_7d_m: float | None
    tolerated_7d_m: float | None
    tolerated_7d_km: float | None
    reason: str | None
    """Why there is no threshold (in words), None when there is one."""


def _outgrown(pd: PainDays, e: PainEvent, what: Measure, value: float, upto: date, t: Thresholds) -> bool:
    """Two later, non-overlapping tolerated windows reached outgrow_factor × value, or four consecutive tolerated
    ISO weeks came after it (a runner who keeps under a cap of 0.9 × the threshold must be able to outgrow it).

    Walks day indexes rather than dates (this is the engine's innermost loop)."""
    s = pd.series
    i_upto = s.index(upto)
    if pd.tolerated_iso_weeks(e.judged_day, i_upto) >= OUTGROW_WEEKS:
        return True
    target = t.outgrow_factor * value - 0.05
    # The first window starting after the judged day; one ending before the series' origin is never tolerated.
    i = max(s.index(e.judged_day) + WEEK, 0)
    tolerated = pd.tolerated_upto(i_upto)
    found = 0
    while i <= i_upto:
        if tolerated[i] and pd.measure_at(i, what) >= target:
            found += 1
            if found == 2:
                return True
            i += WEEK
        else:
            i += 1
    return False


def pain_threshold(pd: PainDays, day: date, t: Thresholds) -> PainThreshold:
    """Threshold and tolerated level from the last `pain_window_weeks` weeks ending `day`."""
    s = pd.series
    window_days = t.pain_window_weeks * WEEK
    first = max(day - timedelta(days=window_days - 1), s.origin)
    events = [e for e in pd.events if first <= e.judged_day and e.entry.day <= day]
    entries = sum(1 for i in range(s.index(first), s.index(day) + 1) if pd.scored[i] or pd.morning_event[i])
    best: dict[Measure, tuple[float, PainEvent] | None] = {"distance": None, "single": None, "descent": None}
    counting: set[int] = set()
    for e in events:
        i = s.index(e.judged_day)
        if i < 0 or s.runs[i] == 0:
            continue  # pain with no running sets no threshold
        for what in ("distance", "single", "descent"):
            value = s.longest_run_m[i] if what == "single" else pd.measure_at(i, what)
            if value <= 0 or _outgrown(pd, e, what, value, day, t):
                continue
            counting.add(e.entry.id)
            current = best[what]
            if current is None or value < current[0]:
                best[what] = (value, e)
    tolerated: float | None = None
    i_day = s.index(day)
    seen = pd.tolerated_upto(i_day)
    for i_end in range(s.index(first), i_day + 1):
        if seen[i_end]:
            d7 = pd.measure_at(i_end, "distance")
            tolerated = d7 if tolerated is None else max(tolerated, d7)
    dist, single, descent = best["distance"], best["single"], best["descent"]
    reason = None
    if not events:
        reason = (
            f"No pain event (a score above {t.pain_acceptable}/10, or a morning clearly worse than usual) in the last "
            f"{t.pain_window_weeks} weeks, so there is no personal pain threshold yet."
        )
    elif dist is None:
        reason = (
            "Your knee has handled more than the weeks that hurt, twice since, so they no longer set a threshold."
            if any(s.runs[s.index(e.judged_day)] for e in events if s.index(e.judged_day) >= 0)
            else "Your pain came on days without running, so it sets no running threshold."
        )
    return PainThreshold(
        window_days=window_days,
        entries=entries,
        events=len(events),
        counting_events=len(counting),
        distance_7d_m=m1(dist[0]) if dist else None,
        distance_7d_km=km(dist[0]) if dist else None,
        distance_set_on=dist[1].judged_day if dist else None,
        single_run_m=m1(single[0]) if single else None,
        single_run_km=km(single[0]) if single else None,
        descent_7d_m=m1(descent[0]) if descent else None,
        tolerated_7d_m=m1(tolerated) if tolerated is not None else None,
        tolerated_7d_km=km(tolerated) if tolerated is not None else None,
        reason=reason,
    )


# --- flags ---------------------------------------------------------------------------------------------------------


def pain_reported_flag(pd: PainDays, day: date, t: Thresholds, first_to_watch: bool = False) -> Flag | None:
    """A pain event entered in the last 7 days. `first_to_watch`: it is the runner's first, settled and mild, so
    no referral yet (PRODUCT.md "Referral", new pain) — the message says when to get it checked."""
    hits = pd.events_between(day - timedelta(days=WEEK - 1), day)
    if not hits:
        return None
    worst = max(hits, key=lambda e: (e.entry.score, e.entry.day, e.entry.id))
    p = worst.entry
    if worst.reason == "score":
        msg = (
            f"Knee pain {p.score}/10 ({p.when}) on {p.day.isoformat()}, above the {t.pain_acceptable}/10 that is "
            "fine to run with."
        )
    else:
        msg = (
            f"Your knee felt worse on the morning of {p.day.isoformat()} ({p.score}/10) than your usual mornings "
            f"({worst.baseline:g}/10) — the day before was too much."
        )
    i = pd.series.index(worst.judged_day)
    no_run = i >= 0 and pd.series.runs[i] == 0
    if no_run:
        msg += " No run that day: log rest pain or swelling if there is any."
    if first_to_watch:
        msg += " It is your first: if it comes back, or is not settled by tomorrow morning, get it checked."
    return make_flag(
        "pain_reported",
        "high" if p.score >= t.rest_days_pain_score else "caution",
        msg,
        {
            "worst_score": p.score,
            "worst_when": p.when,
            "worst_day": p.day.isoformat(),
            "judged_day": worst.judged_day.isoformat(),
            "without_running": no_run,
            "events_last_7_days": len(hits),
            "morning_rises": sum(1 for e in hits if e.reason == "morning_rise"),
            "acceptable_score": t.pain_acceptable,
        },
    )


def over_pain_threshold_flag(pd: PainDays, day: date, t: Thresholds, units: Units = "km") -> Flag | None:
    """The last 7 days at or above a threshold set by an event more than 7 days before (never the same week)."""
    s = pd.series
    older = day - timedelta(days=WEEK + 1)
    best: tuple[float, PainEvent] | None = None
    first = day - timedelta(days=t.pain_window_weeks * WEEK - 1)
    for e in pd.events:
        if not (first <= e.judged_day and e.entry.day <= older):
            continue
        i = s.index(e.judged_day)
        if i < 0 or s.runs[i] == 0:
            continue
        value = pd.measure_at(i, "distance")
        if value <= 0 or _outgrown(pd, e, "distance", value, day, t):
            continue
        if best is None or value < best[0]:
            best = (value, e)
    if best is None:
        return None
    d7 = s.total(s.distance_m, day, WEEK)
    value, e = best
    if d7 + 0.05 < value:
        return None
    week_start = e.judged_day - timedelta(days=WEEK - 1)
    return make_flag(
        "over_pain_threshold",
        "caution",
        (
            f"You ran {dist(d7, units)} in the last 7 days, at or above the {dist(value, units)} of the 7 days to "
            f"{e.judged_day.isoformat()} (week {iso_week(e.judged_day)}), when your knee hurt ({e.entry.score}/10)."
        ),
        {
            "distance_7d_m": m1(d7),
            "distance_7d_km": km(d7),
            "pain_threshold_7d_m": m1(value),
            "pain_threshold_7d_km": km(value),
            "threshold_week_start": week_start.isoformat(),
            "threshold_week_end": e.judged_day.isoformat(),
            "threshold_score": e.entry.score,
        },
    )
