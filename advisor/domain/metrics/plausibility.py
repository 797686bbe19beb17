"""Values no body can produce are not measured as if they were real (PRODUCT.md, "Values no body can produce").

Devices write glitched samples with a valid CRC: a distance counter jumping by kilometres (a uint32 counter read as
42,950 km), a clock jumping by a century, a GPS fix on the other side of town, NaN in a TCX. Two gates, pure:

`gate_stream` — per sample, before any metric is computed:
- non-finite values (NaN, ±inf) and coordinates off the globe become "no value"; a sample without a finite time is
  dropped, and so is a lone time out of line with both neighbours (a timestamp a century ahead) and a small step
  back; a clock that jumps mid-file (back by more than an hour, or forward by more than the session's own elapsed
  time) is put back in line against the session's start, not dropped sample by sample;
- a sample whose speed from the previous kept one is above what the sport allows (`sample_speed_limit`: 15 m/s on
  foot, 40 m/s on a bike, 120 m/s otherwise) is dropped from the stream. Speed is measured with the device's
  distance counter when the file has one, else with the geodesic distance between fixes (which also gives the
  stream its distance). Two samples in a row that agree with each other but not with the past are a new level, not
  a glitch — a counter that jumped and carries on from there, a GPS re-acquired after a tunnel — and counting
  resumes from them without counting the jump. A counter stepping back more than 50 m restarted (chained files);
  a speed field above the limit is blanked.

`implausible` — per activity, after the metrics: on foot an average moving speed above 7 m/s or more than 72 h of
moving (timer) time, on any sport NaN/inf totals, and the same tests on the file's own session totals; and a stream
that lost more than a tenth of its samples while what is left disagrees with the session's own distance.
The answer is a reason, and the import then fails the file with it: the session's totals are never silently
replaced, and nothing impossible reaches the store or the risk engine.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields
from typing import Final

from advisor.domain.activity import RecordStream, SessionTotals
from advisor.domain.metrics.distance import DISTANCE_RESET_M
from advisor.domain.metrics.geodesy import geodesic_m
from advisor.domain.metrics.model import RunMetrics
from advisor.domain.metrics.run import is_foot_sport

FOOT_MAX_SAMPLE_SPEED_MPS: Final = 15.0
"""Faster than the 100 m world record (12.4 m/s peak): no foot sport sample goes beyond it."""
BIKE_MAX_SAMPLE_SPEED_MPS: Final = 40.0
"""144 km/h: beyond the fastest descents of road racing."""
OTHER_MAX_SAMPLE_SPEED_MPS: Final = 120.0
"""Other sports (skiing, motor, generic): only what no recorded sport reaches (the counter's own glitch level)."""
FOOT_MAX_MOVING_SPEED_MPS: Final = 7.0
"""An average moving speed above 7 m/s (2:23 min/km) over a whole activity is not a human on foot."""
FOOT_MAX_DURATION_S: Final = 72 * 3600.0
"""On foot, longer than 72 h of timer (moving) time is not one activity: judged by timer time, so a recording left
paused for a month is as long as its moving part."""
MAX_DROPPED_SHARE: Final = 0.1
MIN_DROPPED: Final = 10
MAX_DISAGREEMENT: Final = 0.2
"""When more than a tenth of a stream (and at least ten samples) had to be dropped, what is left must still agree
with the file's own session distance within 20 %: otherwise it is a few slow fragments of an impossible stream."""
CLOCK_JUMP_BACK_S: Final = 3600.0
"""A clock that steps back more than an hour has jumped (smaller steps back are single bad samples, dropped)."""
PAUSE_WITHOUT_SESSION_S: Final = 7 * 86400.0
"""Without the session's own elapsed time, a forward gap beyond a week is a clock jump, not a pause."""
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


def _lone_outliers_dropped(time_s: list[float]) -> list[int]:
    """Indices of the finite samples, without a lone time out of line with both neighbours (one sample a century
    ahead, the next one back in line)."""
    finite = [i for i, t in enumerate(time_s) if math.isfinite(t)]
    kept: list[int] = []
    for k, i in enumerate(finite):
        t = time_s[i]
        if kept and k + 1 < len(finite):
            before, after = time_s[kept[-1]], time_s[finite[k + 1]]
            if before <= after < t or t < before <= after:  # out of line while its neighbours agree
                continue
        kept.append(i)
    return kept


def _clock(time_s: list[float], session: SessionTotals | None) -> tuple[list[int], list[float]]:
    """The kept samples and their times, a clock that jumped mid-file put back in line (PRODUCT.md: a glitch is
    judged against the activity's own session, never against one stray sample).

    The stream is cut into runs at clock jumps — a step back of more than an hour, or a step forward longer than the
    session's own elapsed time (a week without one: shorter gaps are pauses, however long the session says it
    was paused). The run holding the session's start (else the longest) keeps its clock; the others are shifted to
    follow or precede it at the usual sample interval. Smaller steps back are single bad samples, dropped.
    """
    kept = _lone_outliers_dropped(time_s)
    if not kept:
        return kept, list(time_s)
    if session is not None and (session.total_elapsed_time_s or session.total_timer_time_s):
        forward = max(session.total_elapsed_time_s or 0.0, session.total_timer_time_s or 0.0) + 3600.0
    else:
        forward = PAUSE_WITHOUT_SESSION_S
    runs: list[list[int]] = [[kept[0]]]
    for i in kept[1:]:
        step = time_s[i] - time_s[runs[-1][-1]]
        if step < -CLOCK_JUMP_BACK_S or step > forward:
            runs.append([i])
        elif step >= 0.0:
            runs[-1].append(i)  # (a small step back: that one sample is dropped)
    times = list(time_s)
    if len(runs) == 1:
        return runs[0], times
    steps = [time_s[b] - time_s[a] for run in runs for a, b in itertools.pairwise(run) if time_s[b] > time_s[a]]
    interval = sorted(steps)[len(steps) // 2] if steps else 1.0
    start = session.start_time.timestamp() if session is not None else None
    holding = [k for k, run in enumerate(runs) if start is not None and _near(start, time_s[run[0]], time_s[run[-1]])]
    anchor = holding[0] if holding else max(range(len(runs)), key=lambda k: len(runs[k]))
    for k in range(anchor + 1, len(runs)):  # later runs follow the one before them
        _shift(times, runs[k], times[runs[k - 1][-1]] + interval - times[runs[k][0]])
    for k in range(anchor - 1, -1, -1):  # earlier runs end just before the one after them
        _shift(times, runs[k], times[runs[k + 1][0]] - interval - times[runs[k][-1]])
    return [i for run in runs for i in run], times


def _near(t: float, first: float, last: float) -> bool:
    return first - START_SLACK_S <= t <= last + START_SLACK_S


def _shift(times: list[float], run: list[int], by: float) -> None:
    for i in run:
        times[i] += by


def gate_stream(
    records: RecordStream, sport: str, sub_sport: str | None = None, session: SessionTotals | None = None
) -> GatedStream:
    """The stream with glitched samples dropped (see the module docstring); the distance column is the device's
    counter with glitched steps left out, or the geodesic distance between kept fixes for a track without one.
    With the file's `session`, a clock that jumped mid-file is put back in line against it (`_clock`)."""
    limit = sample_speed_limit(sport, sub_sport)
    kept, time_s = _clock(records.time_s, session)
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
    own = session.total_distance_m if session is not None else None
    many = dropped >= MIN_DROPPED and dropped > MAX_DROPPED_SHARE * total
    if many and own and abs(metrics.distance_m - own) > MAX_DISAGREEMENT * own:
        return (
            f"{dropped:,} of its {total:,} samples are glitches (moving impossibly fast, or out of time order), "
            f"and what is left ({metrics.distance_m / 1000:,.2f} km) does not agree with the file's own session "
            f"({own / 1000:,.2f} km)"
        )
    foot = is_foot_sport(sport, sub_sport)
    who = "72 h, more than anyone spends on foot in one activity"
    moving = metrics.moving_s or metrics.elapsed_s
    if foot and moving > FOOT_MAX_DURATION_S:
        return f"it moves for {_span(moving)}, longer than {who}"
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
        if foot and (duration or 0.0) > FOOT_MAX_DURATION_S:
            return f"the file's own session lasts {_span(duration or 0.0)}, longer than {who}"
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
