"""Distance covered in a run from the device's cumulative counter, or from speed when there is none.

Why not last - first: a chained FIT file restarts its counter at 0, a glitch can jump it by kilometres, and the
first record can come after the timer started (a pool swim writes it after the first length). Pure functions over
plain lists, O(n).
"""

from __future__ import annotations

import math

from advisor.domain.activity import RecordStream, SessionTotals

PAUSE_GAP_S = 30.0
"""Intervals longer than this with no distance covered are pauses (smart recording writes every <= ~8 s)."""
DISTANCE_RESET_M = 50.0
"""Backward steps up to this are jitter (ignored); larger ones restart the counter (chained files)."""
MAX_PLAUSIBLE_SPEED_MPS = 120.0
"""Forward distance steps faster than this (430 km/h) are glitches: rebase, do not count."""
FIRST_RECORD_SPEED_MPS = 15.0
FIRST_RECORD_SLACK_S = 5.0
"""The first record's distance counts if covered at <= 15 m/s since the session start (+5 s of clock slack)."""
FIRST_RECORD_MAX_LAG_S = 600.0
"""A first record later than this after the session start is not the counter's start (or the start is a clock
glitch): its distance is not counted, so a glitched start cannot make a garbage counter value look plausible."""


def cumulative_distance(distance: list[float | None], time_s: list[float]) -> tuple[list[float | None], float]:
    """Per-sample distance covered since the first sample (None where missing) and the total, reset-robust."""
    out: list[float | None] = [None] * len(distance)
    total = 0.0
    ref: float | None = None
    ref_t = 0.0
    for i, d in enumerate(distance):
        if d is None or not math.isfinite(d):
            continue
        t = time_s[i]
        if ref is None:
            ref, ref_t = d, t
        elif d >= ref:
            step = d - ref
            dt = t - ref_t
            if step > DISTANCE_RESET_M and step > MAX_PLAUSIBLE_SPEED_MPS * max(dt, 0.0):
                ref, ref_t = d, t  # glitch or offset: rebase without counting
            else:
                total += step
                ref, ref_t = d, t
        elif ref - d > DISTANCE_RESET_M:
            ref, ref_t = d, t  # counter restarted (chained file)
        out[i] = total
    return out, total


def integrate_speed(speed: list[float | None], time_s: list[float]) -> tuple[list[float | None], float]:
    """Cumulative distance from speed (trapezoids; one-sided where a neighbour is missing; pauses skipped)."""
    out: list[float | None] = [None] * len(speed)
    if not speed:
        return out, 0.0
    total = 0.0
    out[0] = 0.0
    for i in range(1, len(speed)):
        dt = time_s[i] - time_s[i - 1]
        if 0.0 < dt <= PAUSE_GAP_S:
            v0, v1 = speed[i - 1], speed[i]
            if v0 is not None and v1 is not None:
                total += 0.5 * (v0 + v1) * dt
            elif v1 is not None:
                total += v1 * dt
            elif v0 is not None:
                total += v0 * dt
        out[i] = total
    return out, total


def distance_before_first_record(records: RecordStream, session: SessionTotals | None) -> float:
    """The first record's own distance when it was covered since the session started.

    Devices count from the timer start, and the first record can come late (a pool swim writes its first record
    after the first length; some bike computers after a few seconds), so last - first would drop that stretch.
    It counts only when plausible for the time since the session start, so a multisport leg whose counter
    carries on from the previous leg does not inherit that leg's distance.
    """
    if session is None:
        return 0.0
    for t, d in zip(records.time_s, records.distance_m, strict=True):
        if d is None or not math.isfinite(d):
            continue
        since_start = t - session.start_time.timestamp()
        if since_start > FIRST_RECORD_MAX_LAG_S:
            return 0.0
        if 0.0 < d <= FIRST_RECORD_SPEED_MPS * (max(0.0, since_start) + FIRST_RECORD_SLACK_S):
            return d
        return 0.0
    return 0.0
