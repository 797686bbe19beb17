"""The runner's own pain threshold, and the pain flags (pain_reported, pain_not_improving, red_flag,
over_pain_threshold).

Definitions (PRODUCT.md "The pain threshold", TREK runner rules from La Trobe):
- a **pain event** is any score above `pain_acceptable` (so >= 3 by default), or a next-morning score at least
  `morning_rise_points` above the previous morning's (logged within the 7 days before);
- an event's **load day** is the day it is about: the same day for 'during'/'after', the day before for 'morning';
- the **pain threshold** (last `pain_window_weeks` weeks) is the lowest rolling 7-day distance ending on a load day
  of a pain event — and separately the shortest single run on a load day and the smallest 7-day descent. Events with
  no running in their 7 days say nothing about running volume and are left out of the distance figures;
- the **tolerated level** is the highest rolling 7-day distance whose window is tolerated. Pain often shows a day
  or several after the load that caused it, so a window counts as tolerated only when no pain event's load day
  falls inside it *or in the 6 days after it*; otherwise the window ending the day before a painful long run would
  count as "tolerated" at nearly the painful volume. It needs some pain log in the window: a runner who never
  logs pain has told us nothing about what they tolerate.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from advisor.risk.aggregates import DailySeries, km, m1
from advisor.risk.model import Flag, PainEntry, Thresholds

WEEK = 7
MORNING_BASELINE_DAYS = 7


@dataclass(frozen=True, slots=True)
class PainEvent:
    entry: PainEntry
    load_day: date
    reason: Literal["score", "morning_rise"]
    previous_morning: int | None
    """The morning score the rise is measured from (None when no morning score in the 7 days before)."""


def sort_pain(entries: Sequence[PainEntry]) -> list[PainEntry]:
    return sorted(entries, key=lambda p: (p.day, p.id))


def pain_events(entries: Sequence[PainEntry], t: Thresholds) -> list[PainEvent]:
    """Pain events in day order. A morning rise compares with the previous day's highest morning score."""
    events: list[PainEvent] = []
    morning_by_day: dict[date, int] = {}
    for p in entries:
        if p.when == "morning":
            morning_by_day[p.day] = max(morning_by_day.get(p.day, -1), p.score)
    morning_days = sorted(morning_by_day)
    for p in entries:
        prev: int | None = None
        if p.when == "morning":
            k = bisect_left(morning_days, p.day)
            if k > 0 and (p.day - morning_days[k - 1]).days <= MORNING_BASELINE_DAYS:
                prev = morning_by_day[morning_days[k - 1]]
        load_day = p.day - timedelta(days=1) if p.when == "morning" else p.day
        if p.score > t.pain_acceptable:
            events.append(PainEvent(p, load_day, "score", prev))
        elif prev is not None and p.score - prev >= t.morning_rise_points:
            events.append(PainEvent(p, load_day, "morning_rise", prev))
    return events


class PainThreshold(BaseModel):
    """What the last `window_days` of pain log say about the volume this knee tolerates. Metres, plus km."""

    model_config = ConfigDict(frozen=True)

    window_days: int
    entries: int
    events: int
    distance_7d_m: float | None
    distance_7d_km: float | None
    single_run_m: float | None
    single_run_km: float | None
    descent_7d_m: float | None
    tolerated_7d_m: float | None
    tolerated_7d_km: float | None
    reason: str | None
    """Why there is no threshold (in words), None when there is one."""


def pain_threshold(
    series: DailySeries, entries: Sequence[PainEntry], events: Sequence[PainEvent], t: Thresholds
) -> PainThreshold:
    """Threshold and tolerated level from the last `pain_window_weeks` weeks ending series.as_of."""
    as_of = series.as_of
    window_days = t.pain_window_weeks * WEEK
    start = as_of - timedelta(days=window_days - 1)
    in_window = [p for p in entries if start <= p.day <= as_of]
    ev = [e for e in events if start <= e.entry.day <= as_of]
    distances: list[float] = []
    singles: list[float] = []
    descents: list[float] = []
    for e in ev:
        d7 = series.total(series.distance_m, e.load_day, WEEK)
        if d7 > 0:
            distances.append(d7)
        i = series.index(e.load_day)
        if i >= 0 and series.longest_run_m[i] > 0:
            singles.append(series.longest_run_m[i])
        desc = series.total(series.descent_m, e.load_day, WEEK)
        if desc > 0:
            descents.append(desc)
    tolerated: float | None = None
    if in_window:
        load_days = sorted(e.load_day for e in events)
        day = start
        while day <= as_of:
            k = bisect_left(load_days, day - timedelta(days=WEEK - 1))
            painful = k < len(load_days) and load_days[k] <= day + timedelta(days=WEEK - 1)
            if not painful:
                d7 = series.total(series.distance_m, day, WEEK)
                if d7 > 0 and (tolerated is None or d7 > tolerated):
                    tolerated = d7
            day += timedelta(days=1)
    threshold = min(distances) if distances else None
    single = min(singles) if singles else None
    reason = None
    if not in_window:
        reason = f"No pain logged in the last {t.pain_window_weeks} weeks, so there is no personal pain threshold yet."
    elif not ev:
        reason = (
            f"No pain event (a score above {t.pain_acceptable}/10 or a worse next morning) in the last "
            f"{t.pain_window_weeks} weeks, so there is no personal pain threshold yet."
        )
    elif threshold is None:
        reason = "Your pain events happened without running in the week before, so they set no running threshold."
    return PainThreshold(
        window_days=window_days,
        entries=len(in_window),
        events=len(ev),
        distance_7d_m=m1(threshold) if threshold is not None else None,
        distance_7d_km=km(threshold) if threshold is not None else None,
        single_run_m=m1(single) if single is not None else None,
        single_run_km=km(single) if single is not None else None,
        descent_7d_m=m1(min(descents)) if descents else None,
        tolerated_7d_m=m1(tolerated) if tolerated is not None else None,
        tolerated_7d_km=km(tolerated) if tolerated is not None else None,
        reason=reason,
    )


# --- flags ---------------------------------------------------------------------------------------------------------


def recent(entries: Sequence[PainEntry], as_of: date, days: int) -> list[PainEntry]:
    first = as_of - timedelta(days=days - 1)
    return [p for p in entries if first <= p.day <= as_of]


def pain_reported_flag(
    entries: Sequence[PainEntry], events: Sequence[PainEvent], as_of: date, t: Thresholds
) -> Flag | None:
    """Pain above the acceptable level in the last 7 days, or a next morning worse than the one before."""
    first = as_of - timedelta(days=WEEK - 1)
    hits = [e for e in events if first <= e.entry.day <= as_of]
    if not hits:
        return None
    worst = max(hits, key=lambda e: (e.entry.score, e.entry.day, e.entry.id))
    rises = [
        e
        for e in hits
        if e.previous_morning is not None and e.entry.score - e.previous_morning >= t.morning_rise_points
    ]
    p = worst.entry
    if p.score > t.pain_acceptable:
        msg = (
            f"You logged knee pain of {p.score}/10 ({p.when}) on {p.day.isoformat()}, above the "
            f"{t.pain_acceptable}/10 that is fine to run with."
        )
    else:
        msg = f"Your knee felt worse on the morning of {p.day.isoformat()} than the morning before — ease off."
    return Flag(
        code="pain_reported",
        severity="high" if p.score >= t.rest_days_pain_score else "caution",
        message=msg,
        evidence={
            "worst_score": p.score,
            "worst_when": p.when,
            "worst_day": p.day.isoformat(),
            "events_last_7_days": len(hits),
            "morning_rises": len(rises),
            "acceptable_score": t.pain_acceptable,
        },
    )


def pain_not_improving_flag(entries: Sequence[PainEntry], as_of: date, t: Thresholds) -> Flag | None:
    """Mean pain flat or rising across the last `not_improving_weeks` 7-day blocks while still above acceptable.

    Every block must have scores (no trend from silence) and the latest must still hold pain above the acceptable
    level (a flat 1/10 is fine). Whether the advice was followed cannot be known, so it is not required.
    """
    n = t.not_improving_weeks
    means: list[float] = []
    worst_latest = -1
    for k in range(n - 1, -1, -1):
        end = as_of - timedelta(days=WEEK * k)
        block = recent(entries, end, WEEK)
        if not block:
            return None
        means.append(sum(p.score for p in block) / len(block))
        if k == 0:
            worst_latest = max(p.score for p in block)
    if worst_latest <= t.pain_acceptable or means[-1] < means[0]:
        return None
    return Flag(
        code="pain_not_improving",
        severity="high",
        message=(
            f"Your knee pain has not eased over the last {n} weeks (average {means[0]:.1f} → {means[-1]:.1f} out "
            "of 10) — time to get it assessed."
        ),
        evidence={
            "weeks": n,
            **{f"mean_score_week_{i + 1}": round(m, 2) for i, m in enumerate(means)},
            "worst_score_latest_week": worst_latest,
        },
    )


def red_flag(entries: Sequence[PainEntry], as_of: date, t: Thresholds) -> Flag | None:
    """Swelling, locking, giving way, or pain at rest/night in the last `red_flag_days` days: refer now."""
    hits = [p for p in recent(entries, as_of, t.red_flag_days) if p.red_flags]
    if not hits:
        return None
    signs = sorted({s for p in hits for s in p.red_flags})
    last = max(hits, key=lambda p: (p.day, p.id))
    words = ", ".join(s.replace("_", " ") for s in signs)
    return Flag(
        code="red_flag",
        severity="high",
        message=f"You reported {words} — have the knee assessed before running again.",
        evidence={
            "signs": ",".join(signs),
            "reports": len(hits),
            "last_report_day": last.day.isoformat(),
            "window_days": t.red_flag_days,
            **{s: True for s in signs},
        },
    )


def over_pain_threshold_flag(series: DailySeries, threshold: PainThreshold) -> Flag | None:
    """The last 7 days' distance at or above the distance at which this knee last started to hurt."""
    if threshold.distance_7d_m is None:
        return None
    d7 = series.total(series.distance_m, series.as_of, WEEK)
    if d7 + 0.05 < threshold.distance_7d_m:
        return None
    return Flag(
        code="over_pain_threshold",
        severity="caution",
        message=(
            f"You ran {km(d7):g} km in the last 7 days, at or above the {threshold.distance_7d_km:g} km a week at "
            "which your knee has hurt before."
        ),
        evidence={
            "distance_7d_m": m1(d7),
            "distance_7d_km": km(d7),
            "pain_threshold_7d_m": threshold.distance_7d_m,
            "pain_threshold_7d_km": threshold.distance_7d_km,
        },
    )


def is_new_pain(events: Sequence[PainEvent], as_of: date, t: Thresholds) -> bool:
    """True when the first pain event ever logged (up to as_of) is within the last `new_pain_days` days."""
    days = [e.entry.day for e in events if e.entry.day <= as_of]
    return bool(days) and min(days) > as_of - timedelta(days=t.new_pain_days)
