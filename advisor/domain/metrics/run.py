"""Per-run metrics from one session's record stream: pure functions, no I/O, no clock.

Choices (each a named constant, here or in `advisor.domain.metrics.distance`, so tests and reviewers can see them):

- **Distance** is the sum of the forward steps of the device's cumulative distance, not last - first: a
  chained FIT file restarts its distance at 0, and a glitch can jump it by kilometres. A backward step of more than
  `DISTANCE_RESET_M`, or a forward step faster than `MAX_PLAUSIBLE_SPEED_MPS`, rebases instead of counting.
  The first record's own distance counts too when it is plausible for the time since the session start.
  Without a distance stream, speed is integrated over time (trapezoids, skipping pauses); without either, the
  session's total_distance is used.
- **Moving time** counts an interval between consecutive records when the runner covered ground: speed >
  `MOVING_SPEED_MPS` (0.5 m/s, slower than any walk) or the cumulative distance advanced at that rate. A gap
  longer than `PAUSE_GAP_S` (30 s; smart recording writes at least every ~8 s while moving) counts only if the
  distance advanced across it, so a stopped timer (no records, no distance) is a pause while a GPS dropout in
  mid-run is not. Streams with neither speed nor distance count every interval up to `PAUSE_GAP_S`.
- **Cadence**: FIT running cadence is per foot (strides/min), so foot sports are doubled to steps/min; other
  sports return None because RunMetrics only carries steps per minute. Time-weighted over moving intervals
  with cadence > 0 (standing still writes cadence 0 and would drag the average down).
- **Load**: Banister TRIMP, sum of dt_min x HRr x a x exp(b x HRr), with HRr = (HR - rest)/(max - rest)
  clipped to [0, 1]; a, b = 0.64, 1.92 (men), 0.86, 1.67 (women), and their means 0.75, 1.795 for
  "unspecified" (halfway: neither sex's curve is imposed on someone who did not say). Intervals without heart
  rate are filled at the run's own mean TRIMP rate when heart rate covers at least half the active time (a
  strap dropping out for a few minutes should not make a run look easier); below that the duration fallback is
  used: moving minutes x the TRIMP rate of a steady HRr = 0.6 effort (about 1.2-1.4 per minute), so a run
  without a strap weighs like a moderate run of the same length with one. "Active" time is every interval up
  to `PAUSE_GAP_S` plus moving gaps: heart-rate load accrues at a traffic light too, but not while paused.
"""

from __future__ import annotations

import math

from advisor.domain.activity import RecordStream, SessionTotals
from advisor.domain.metrics.distance import (
    PAUSE_GAP_S,
    cumulative_distance,
    distance_before_first_record,
    integrate_speed,
)
from advisor.domain.metrics.elevation import ElevationSummary, elevation_summary
from advisor.domain.metrics.model import HeartRateProfile, RunMetrics

MOVING_SPEED_MPS = 0.5
SPEED_BRIDGE_S = 5.0
"""Longest interval that speed alone (at both ends) may call moving when the distance did not advance."""
FALLBACK_HRR = 0.6
"""Intensity assumed by the duration fallback: a moderate, conversational effort."""
MIN_HR_COVERAGE = 0.5
"""Share of active time with heart rate needed to call the load a TRIMP."""
TRIMP_CONSTANTS: dict[str, tuple[float, float]] = {
    "male": (0.64, 1.92),
    "female": (0.86, 1.67),
    "unspecified": ((0.64 + 0.86) / 2, (1.92 + 1.67) / 2),
}
FOOT_SPORTS = frozenset({"running", "walking", "hiking", "trail_running", "mountaineering", "snowshoeing", "treadmill"})
FOOT_SUB_SPORTS = frozenset(
    {
        "treadmill",
        "trail",
        "street",
        "track",
        "indoor_running",
        "virtual_activity",
        "indoor_walking",
        "casual_walking",
        "speed_walking",
        "ultra",
        "obstacle",
    }
)
"""Sub-sports that mean running/walking under a generic sport (a treadmill is sometimes fitness_equipment)."""


def is_foot_sport(sport: str, sub_sport: str | None = None) -> bool:
    """True when cadence is counted per foot and must be doubled to steps per minute."""
    if sport.lower() in FOOT_SPORTS:
        return True
    return (
        sub_sport is not None
        and sport.lower() in {"fitness_equipment", "generic", "training"}
        and (sub_sport.lower() in FOOT_SUB_SPORTS)
    )


def trimp_rate(hr: float, profile: HeartRateProfile) -> float:
    """TRIMP per minute at heart rate `hr` for this runner."""
    a, b = TRIMP_CONSTANTS.get(profile.sex, TRIMP_CONSTANTS["unspecified"])
    span = profile.max_hr - profile.resting_hr
    hrr = (hr - profile.resting_hr) / span if span > 0 else 0.0
    hrr = 0.0 if hrr < 0.0 else 1.0 if hrr > 1.0 else hrr
    return hrr * a * math.exp(b * hrr)


def fallback_rate(profile: HeartRateProfile) -> float:
    """TRIMP per minute assumed by the duration fallback (HRr = FALLBACK_HRR with the runner's constants)."""
    a, b = TRIMP_CONSTANTS.get(profile.sex, TRIMP_CONSTANTS["unspecified"])
    return FALLBACK_HRR * a * math.exp(b * FALLBACK_HRR)


def _valid_count(values: list[float | None] | list[int | None], at_least: int) -> bool:
    n = 0
    for v in values:
        if v is not None:
            n += 1
            if n >= at_least:
                return True
    return False


def compute_run_metrics(
    records: RecordStream,
    sport: str,
    profile: HeartRateProfile,
    session: SessionTotals | None = None,
) -> RunMetrics:
    """Everything the risk rules need about one run, from its record stream (see the module docstring).

    `records` should hold one session (cut multisport files with `split_sessions`); `session` is
    only a fallback for what the records lack (an empty stream keeps the device's own totals).
    """
    sub_sport = session.sub_sport if session is not None else None
    foot = is_foot_sport(sport, sub_sport)
    n = len(records.time_s)
    if n < 2:
        return _from_session(session, foot, profile)

    time_s = records.time_s
    speed = records.speed_mps
    cadence = records.cadence
    heart = records.heart_rate

    cum: list[float | None] | None
    if _valid_count(records.distance_m, 2):
        cum, distance = cumulative_distance(records.distance_m, time_s)
        distance += distance_before_first_record(records, session)
    elif _valid_count(speed, 1):
        cum, distance = integrate_speed(speed, time_s)
    else:
        cum = None
        distance = (session.total_distance_m or 0.0) if session is not None else 0.0
    # a distance stream stuck at 0 and speeds all ~0 (indoor equipment, diving) say nothing about moving
    has_motion = distance > 0.0 or any(v is not None and v > MOVING_SPEED_MPS for v in speed)

    moving_s = active_s = 0.0
    cad_sum = cad_time = 0.0
    hr_sum = hr_time = 0.0
    trimp = 0.0
    a, b = TRIMP_CONSTANTS.get(profile.sex, TRIMP_CONSTANTS["unspecified"])
    rest = float(profile.resting_hr)
    span = float(profile.max_hr - profile.resting_hr)
    inv_span = 1.0 / span if span > 0 else 0.0
    prev_t = time_s[0]
    prev_d = cum[0] if cum is not None else None
    prev_hr = heart[0] if heart[0] is not None and heart[0] > 0 else None
    for i in range(1, n):
        t = time_s[i]
        dt = t - prev_t
        d = cum[i] if cum is not None else None
        hr = heart[i]
        if hr is not None and hr <= 0:
            hr = None
        if dt > 0.0:
            v1, v0 = speed[i], speed[i - 1]
            if not has_motion:
                moving = dt <= PAUSE_GAP_S
            elif d is not None and prev_d is not None:
                # distance is the authority; speed only bridges a counter that lags the records by a second or two
                moving = (d - prev_d) > MOVING_SPEED_MPS * dt or (
                    dt <= SPEED_BRIDGE_S
                    and v0 is not None
                    and v1 is not None
                    and v0 > MOVING_SPEED_MPS
                    and v1 > MOVING_SPEED_MPS
                )
            elif v1 is not None or v0 is not None:
                v = v1 if v1 is not None else v0
                moving = dt <= PAUSE_GAP_S and v is not None and v > MOVING_SPEED_MPS
            else:
                moving = dt <= PAUSE_GAP_S  # no motion data for this interval (pool lengths): count while active
            if moving:
                moving_s += dt
                c = cadence[i]
                if c is not None and c > 0.0:
                    cad_sum += c * dt
                    cad_time += dt
            if moving or dt <= PAUSE_GAP_S:
                active_s += dt
                h = hr if hr is not None else prev_hr
                if h is not None:
                    if hr is not None and prev_hr is not None:
                        h = 0.5 * (hr + prev_hr)
                    hr_sum += h * dt
                    hr_time += dt
                    hrr = (h - rest) * inv_span
                    hrr = 0.0 if hrr < 0.0 else 1.0 if hrr > 1.0 else hrr
                    trimp += dt * hrr * a * math.exp(b * hrr)
            prev_t = t
        prev_d = d
        prev_hr = hr

    if hr_time > 0.0:
        avg_hr: float | None = hr_sum / hr_time
    else:
        hrs = [h for h in heart if h is not None and h > 0]
        avg_hr = sum(hrs) / len(hrs) if hrs else None

    if hr_time > 0.0 and active_s > 0.0 and hr_time >= MIN_HR_COVERAGE * active_s:
        load = trimp / 60.0 * (active_s / hr_time)
        method = "trimp"
    else:
        load = moving_s / 60.0 * fallback_rate(profile)
        method = "duration"

    avg_cad = (cad_sum / cad_time) * 2.0 if foot and cad_time > 0.0 else None
    # a distance stream stuck at 0 (indoor trainer without a sensor) gives no axis: fall back to time
    elev: ElevationSummary = elevation_summary(cum if distance > 0.0 else None, time_s, records.altitude_m)

    return RunMetrics(
        distance_m=distance,
        elapsed_s=max(0.0, time_s[-1] - time_s[0]),
        moving_s=moving_s,
        ascent_m=elev.ascent_m,
        descent_m=elev.descent_m,
        descent_steep5_m=elev.descent_steep5_m,
        distance_steep5_m=elev.distance_steep5_m,
        descent_steep10_m=elev.descent_steep10_m,
        distance_steep10_m=elev.distance_steep10_m,
        avg_cadence_spm=avg_cad,
        avg_heart_rate=avg_hr,
        load=load,
        load_method=method,
    )


def _from_session(session: SessionTotals | None, foot: bool, profile: HeartRateProfile) -> RunMetrics:
    """Metrics for a run with fewer than two records: the device's own totals, or zeros.

    With the session's average heart rate the load is Banister's original TRIMP (duration x weighting of the
    average HRr), which is what the per-sample sum reduces to for a steady effort.
    """
    if session is None:
        return RunMetrics(
            distance_m=0.0,
            elapsed_s=0.0,
            moving_s=0.0,
            ascent_m=0.0,
            descent_m=0.0,
            descent_steep5_m=0.0,
            distance_steep5_m=0.0,
            descent_steep10_m=0.0,
            distance_steep10_m=0.0,
            avg_cadence_spm=None,
            avg_heart_rate=None,
            load=0.0,
            load_method="duration",
        )
    elapsed = max(0.0, session.total_elapsed_time_s or session.total_timer_time_s or 0.0)
    moving = max(0.0, session.total_timer_time_s or session.total_elapsed_time_s or 0.0)
    avg_hr = float(session.avg_heart_rate) if session.avg_heart_rate else None
    if avg_hr is not None:
        load = moving / 60.0 * trimp_rate(avg_hr, profile)
        method = "trimp"
    else:
        load = moving / 60.0 * fallback_rate(profile)
        method = "duration"
    cad = session.avg_cadence * 2.0 if foot and session.avg_cadence else None
    return RunMetrics(
        distance_m=max(0.0, session.total_distance_m or 0.0),
        elapsed_s=elapsed,
        moving_s=moving,
        ascent_m=max(0.0, session.total_ascent_m or 0.0),
        descent_m=max(0.0, session.total_descent_m or 0.0),
        descent_steep5_m=0.0,
        distance_steep5_m=0.0,
        descent_steep10_m=0.0,
        distance_steep10_m=0.0,
        avg_cadence_spm=cad,
        avg_heart_rate=avg_hr,
        load=load,
        load_method=method,
    )
