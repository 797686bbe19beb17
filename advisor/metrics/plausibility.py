"""Values no body can produce are not measured as if they were real (PRODUCT.md, "Values no body can produce").

Devices write glitched samples with a valid CRC: a distance counter jumping by kilometres (a uint32 counter read as
42,950 km), a clock jumping by a century, a GPS fix on the other side of town, NaN in a TCX. Two gates, pure:

`gate_stream` — per sample, before any metric is computed:
- non-finite values (NaN, ±inf) and coordinates off the globe become "no value"; a sample without a finite time is
  dropped, and so is a sample whose time runs backwards from the last kept one or that the next sample contradicts
  (a lone timestamp a century ahead of its neighbours);
- a sample whose speed from the previous kept one is above what the sport allows (`sample_speed_limit`: 15 m/s on
  foot, 40 m/s on a bike, 120 m/s otherwise) is dropped from the stream. Speed is measured with the device's
  distance counter when the file has one, else with the geodesic distance between fixes (which also gives the
  stream its distance). Two samples in a row that agree with each other but not with the past are a new level, not
  a glitch — a counter that jumped and carries on from there, a GPS re-acquired after a tunnel — and counting
  resumes from them without counting the jump. A counter stepping back more than 50 m restarted (chained files);
  a speed field above the limit is blanked.

`implausible` — per activity, after the metrics: on foot an average moving speed above 7 m/s or a duration above
72 h, on any sport NaN/inf totals or a duration above 30 days, and the same tests on the file's own session totals.
The answer is a reason, and the import then fails the file with it: the session's totals are never silently
replaced, and nothing impossible reaches the store or the risk engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Final

from advisor.decode.model import RecordStream, SessionTotals
from advisor.metrics.distance import DISTANCE_RESET_M
from advisor.metrics.geodesy import geodesic_m
from advisor.metrics.model import RunMetrics
from advisor.metrics.run import is_foot_sport

FOOT_MAX_SAMPLE_SPEED_MPS: Final = 15.0
"""Faster than the 100 m world record (12.4 m/s peak): no foot sport sample goes beyond it."""
BIKE_MAX_SAMPLE_SPEED_MPS: Final = 40.0
"""144 km/h: beyond the fastest descents of road racing."""
OTHER_MAX_SAMPLE_SPEED_MPS: Final = 120.0
"""Other sports (skiing, motor, generic): only what no recorded sport reaches (the counter's own glitch level)."""
FOOT_MAX_MOVING_SPEED_MPS: Final = 7.0
"""An average moving speed above 7 m/s (2:23 min/km) over a whole activity is not a human on foot."""
FOOT_MAX_DURATION_S: Final = 72 * 3600.0
ANY_MAX_DURATION_S: Final = 30 * 86400.0
"""One recorded activity longer than a month is a clock glitch, whatever the sport (multi-day races are days)."""
MAX_DROPPED_SHARE: Final = 0.1
MIN_DROPPED: Final = 10
"""A stream is glitched as a whole when more than a tenth of its samples (and at least ten) had to be dropped."""
START_SLACK_S: Final = 86400.0
"""A session may start before its first record (a late first fix), but not a day away from all of them."""
BIKE_SPORTS: Final = frozenset({"cycling", "e_biking"})
BIKE_SUB_SPORTS: Final = frozenset({"indoor_cycling", "spin", "road", "mountain", "gravel_cycling", "track_cycling"})


@dataclass(frozen=True, slots=True)
class GatedStream:
    """A record stream with the glitches taken out, and how many samples that dropped."""

    records: RecordStream
    dropped: int


def sample_speed_limit(sport: str, sub_sport: str | None = None) -> float:
    """The fastest a sample of this sport may move from the previous one, m/s."""
    if is_foot_sport(sport, sub_sport):
        return FOOT_MAX_SAMPLE_SPEED_MPS
    if sport.lower() in BIKE_SPORTS or (sub_sport or "").lower() in BIKE_SUB_SPORTS:
        return BIKE_MAX_SAMPLE_SPEED_MPS
    return OTHER_MAX_SAMPLE_SPEED_MPS


def _finite(values: list[float | None]) -> list[float | None]:
    return [v if v is not None and math.isfinite(v) else None for v in values]


def _time_order(time_s: list[float]) -> list[int]:
    """Indices of the samples kept by the clock rules (finite, not backwards, not contradicted by the next)."""
    kept: list[int] = []
    last = -math.inf
    n = len(time_s)
    for i, t in enumerate(time_s):
        if not math.isfinite(t) or t < last:
            continue
        if i + 1 < n and math.isfinite(time_s[i + 1]) and last <= time_s[i + 1] < t:
            continue  # a lone jump ahead: the next sample is back in line with the past
        kept.append(i)
        last = t
    return kept


def gate_stream(records: RecordStream, sport: str, sub_sport: str | None = None) -> GatedStream:
    """The stream with glitched samples dropped (see the module docstring); the distance column is the device's
    counter with glitched steps left out, or the geodesic distance between kept fixes for a track without one."""
    limit = sample_speed_limit(sport, sub_sport)
    time_s = records.time_s
    kept = _time_order(time_s)
    distance = _finite(records.distance_m)
    speed = [v if v is not None and 0.0 <= v <= limit else None for v in _finite(records.speed_mps)]
    altitude = _finite(records.altitude_m)
    cadence = _finite(records.cadence)
    if sum(1 for i in kept if distance[i] is not None) >= 2:
        kept, distance = _gate_counter(kept, time_s, distance, limit)
    elif records.has_positions:
        lat = [v if v is not None and -90.0 <= v <= 90.0 else None for v in _finite(records.latitude_deg)]
        lon = [v if v is not None and -180.0 <= v <= 180.0 else None for v in _finite(records.longitude_deg)]
        kept, distance = _gate_positions(kept, time_s, lat, lon, limit)
    cleaned = RecordStream(
        time_s=list(time_s),
        distance_m=distance,
        altitude_m=altitude,
        speed_mps=speed,
        heart_rate=list(records.heart_rate),
        cadence=cadence,
        latitude_deg=list(records.latitude_deg),
        longitude_deg=list(records.longitude_deg),
    )
    return GatedStream(cleaned.take(kept), len(time_s) - len(kept))


def _gate_counter(
    kept: list[int], time_s: list[float], distance: list[float | None], limit: float
) -> tuple[list[int], list[float | None]]:
    """Drop samples whose counter step is faster than `limit`; return the kept indices and a corrected counter
    (monotonic: the first value plus every counted step)."""
    out: list[float | None] = [None] * len(distance)
    survivors: list[int] = []
    ref: float | None = None
    ref_t = corrected = 0.0
    pending: int | None = None
    for i in kept:
        d = distance[i]
        if d is None:
            survivors.append(i)
            continue
        t = time_s[i]
        if ref is None:
            ref, ref_t, corrected = d, t, d
        else:
            step = d - ref
            if step < -DISTANCE_RESET_M:
                ref, ref_t = d, t  # the counter restarted (chained file): nothing to count
            elif step <= 0.0:
                pass  # jitter backwards: count nothing, keep the reference
            elif step <= limit * max(t - ref_t, 1.0):
                corrected += step
                ref, ref_t = d, t
            elif pending is not None and 0.0 <= d - distance[pending] <= limit * max(t - time_s[pending], 1.0):
                corrected += d - distance[pending]  # a new level that stays: resume from it, the jump uncounted
                ref, ref_t = d, t
            else:
                pending = i
                continue
        pending = None
        out[i] = corrected
        survivors.append(i)
    return survivors, out


def _gate_positions(
    kept: list[int], time_s: list[float], lat: list[float | None], lon: list[float | None], limit: float
) -> tuple[list[int], list[float | None]]:
    """Cumulative geodesic distance over the kept fixes, dropping fixes faster than `limit` from the last one."""
    out: list[float | None] = [None] * len(time_s)
    survivors: list[int] = []
    prev: int | None = None
    pending: int | None = None
    total = 0.0
    for i in kept:
        la, lo = lat[i], lon[i]
        if la is None or lo is None:
            survivors.append(i)
            continue
        if prev is None:
            prev = i
        else:
            step = geodesic_m(lat[prev], lon[prev], la, lo)  # type: ignore[arg-type]
            if step <= limit * max(time_s[i] - time_s[prev], 1.0):
                total += step
            elif (
                pending is not None
                and (hop := geodesic_m(lat[pending], lon[pending], la, lo))  # type: ignore[arg-type]
                <= limit * max(time_s[i] - time_s[pending], 1.0)
            ):
                total += hop  # re-acquired elsewhere and staying there: count from the new place, not the jump
            else:
                pending = i
                continue
            prev = i
        pending = None
        out[i] = total
        survivors.append(i)
    return survivors, out


def implausible(
    metrics: RunMetrics,
    session: SessionTotals | None,
    sport: str,
    sub_sport: str | None = None,
    records: RecordStream | None = None,
    dropped: int = 0,
) -> str | None:
    """Why this activity cannot be real (one sentence), or None when it can.

    With the (gated) `records`, a session start more than `START_SLACK_S` away from them is impossible too: the
    start is what the activity is stored and matched under, so a clock glitch there must not be stored either.
    `dropped` is how many samples the gate took out: when that is more than `MAX_DROPPED_SHARE` of them, what is
    left is a few slow fragments of an impossible stream, not the run, and measuring it would understate it.
    """
    for f in fields(metrics):
        value = getattr(metrics, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            return f"the computed {f.name.replace('_', ' ')} is not a finite number"
    if session is not None:
        for f in fields(session):
            value = getattr(session, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                return f"the file's own {f.name.replace('_', ' ')} is not a finite number"
    total = dropped + (len(records) if records is not None else 0)
    if dropped >= MIN_DROPPED and dropped > MAX_DROPPED_SHARE * total:
        return f"{dropped:,} of its {total:,} samples are glitches (moving impossibly fast, or out of time order)"
    foot = is_foot_sport(sport, sub_sport)
    max_duration = FOOT_MAX_DURATION_S if foot else ANY_MAX_DURATION_S
    who = "72 h, more than anyone spends on foot in one activity" if foot else "30 days for one activity"
    if metrics.elapsed_s > max_duration:
        return f"its records span {_span(metrics.elapsed_s)}, longer than {who}"
    max_speed = FOOT_MAX_MOVING_SPEED_MPS if foot else sample_speed_limit(sport, sub_sport)
    what = "on foot" if foot else f"for {sport}"
    problem = _too_fast(metrics.distance_m, metrics.moving_s or metrics.elapsed_s, max_speed)
    if problem:
        return f"{problem}, faster than anyone moves {what}"
    if session is not None and records is not None and len(records):
        start = session.start_time.timestamp()
        if not records.time_s[0] - START_SLACK_S <= start <= records.time_s[-1] + START_SLACK_S:
            return (
                f"the file's own session starts {session.start_time:%Y-%m-%d %H:%M} UTC, "
                f"{_span(abs(start - records.time_s[0]))} away from its records"
            )
    if session is not None:
        duration = session.total_timer_time_s or session.total_elapsed_time_s
        longest = max(session.total_elapsed_time_s or 0.0, session.total_timer_time_s or 0.0)
        if longest > max_duration:
            return f"the file's own session lasts {_span(longest)}, longer than {who}"
        problem = _too_fast(session.total_distance_m or 0.0, duration or 0.0, max_speed)
        if problem:
            return f"the file's own session says {problem}, faster than anyone moves {what}"
    return None


def _too_fast(distance_m: float, seconds: float, limit: float) -> str | None:
    if distance_m <= 0.0 or (seconds > 0.0 and distance_m / seconds <= limit):
        return None
    if seconds <= 0.0:
        return None if distance_m <= limit else f"{distance_m / 1000:,.2f} km in no time"
    return f"{distance_m / 1000:,.2f} km in {_span(seconds)} ({distance_m / seconds:,.1f} m/s on average)"


def _span(seconds: float) -> str:
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    if seconds < 2 * 365.25 * 86400:
        return f"{seconds / 86400:.0f} days"
    return f"{seconds / (365.25 * 86400):,.0f} years"


__all__ = [
    "FOOT_MAX_DURATION_S",
    "FOOT_MAX_MOVING_SPEED_MPS",
    "GatedStream",
    "gate_stream",
    "implausible",
    "sample_speed_limit",
]
