"""Ascent, descent and downhill exposure from a noisy altitude stream.

Why not sum sample-to-sample differences: a barometric altimeter jitters by a few tenths of a metre every
second and FIT stores altitude in 0.2 m steps, so a flat 10 km run at 1 Hz "climbs" hundreds of metres if every
wiggle counts.
Downhill exposure is what the knee-risk flags are built on, so it must not be inflated by noise either.

The method, in a few O(n) passes over plain lists (cheap next to the FIT decode itself):

0. **Despike.** Samples implying more than 10 m/s of vertical speed are dropped (device glitches; see `despike`).
1. **Resample on distance.** Samples are averaged into fixed bins along the cumulative distance (10 m by
   default); empty bins (smart recording, fast cycling) are linearly interpolated from their neighbours.
   Working on distance rather than time means a runner standing at a traffic light contributes one averaged
   point instead of minutes of noise, and smart recording (irregular 1-8 s intervals) needs no special case.
   Streams without any distance (stair climbing, indoor) are binned on time instead (10 s bins).
2. **Smooth.** A centred moving average over 5 bins (50 m). It leaves straight grades untouched and only
   rounds crests and hollows (a 6 % crest loses well under a metre), while averaging 15+ raw 1 Hz samples,
   which brings ±0.4 m jitter down to about a decimetre. Heavier smoothing would flatten real rolling
   terrain: a 10 m-high roller every 200 m already loses 10 % of its height at 50 m. The window shrinks
   symmetrically at the ends so the first and last smoothed values stay anchored to the data.
3. **Hysteresis.** Ascent and descent are accumulated between turning points of the smoothed profile, counting
   a reversal only once it exceeds 2 m (Garmin/Strava-style climb hysteresis, 2-3 m). Unlike a simple
   deadband, the full height from valley to crest is counted once a reversal is confirmed, so a long climb
   loses nothing; only bumps smaller than 2 m are ignored. The first and last legs are always counted, so
   ascent - descent equals the net change of the smoothed profile exactly.
4. **Grade.** Each 10 m step gets the grade of the smoothed profile over a centred 70 m window (the step
   plus three bins either side); steps steeper than -5 % / -10 % add their length to the steep distance and
   their drop to the steep descent. Why 70 m: a -6 % slope sits one point from the -5 % threshold, and with
   sparse smart-recording samples a 30 m window let noise flip 10-15 % of a steady -6 % descent below the
   threshold; 70 m keeps that to a few %. The price is blur at grade changes: the window straddling a
   flat-to-steep corner is averaged, so about 25-30 m is lost at each end of a steep stretch (2 % of a 3 km
   descent at -6 %, 5 % of a 1 km pitch at -12 % against the -10 % threshold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DISTANCE_BIN_M = 10.0
"""Resampling step along distance: about three 1 Hz running samples per bin."""
TIME_BIN_S = 10.0
"""Resampling step along time, for altitude streams that have no distance at all."""
SMOOTH_HALF_WIDTH_BINS = 2
"""Moving-average half-width: 2 bins either side = a 50 m window."""
HYSTERESIS_M = 2.0
"""Smallest reversal counted as a climb or descent."""
GRADE_HALF_WINDOW_BINS = 3
"""Grade is measured over the step plus this many bins either side (70 m at 10 m bins)."""
STEEP_GRADES = (0.05, 0.10)
"""Downhill exposure thresholds: -5 % and -10 % (PRODUCT.md)."""
MAX_VERTICAL_SPEED_MPS = 10.0
"""Faster than any runner, skier or lift climbs or drops; glitches jump tens of metres per second."""
SPIKE_SLACK_M = 2.0
SPIKE_REANCHOR_S = 30.0
MAX_BINS = 200_000
"""Bins are widened beyond this count, so a corrupt distance (e.g. 4,000 km) cannot blow up memory or time."""


@dataclass(frozen=True, slots=True)
class ElevationSummary:
    """Climb totals and downhill exposure for one run; every field is >= 0."""

    ascent_m: float = 0.0
    descent_m: float = 0.0
    descent_steep5_m: float = 0.0
    distance_steep5_m: float = 0.0
    descent_steep10_m: float = 0.0
    distance_steep10_m: float = 0.0


def despike(time_s: list[float], altitude: list[float | None]) -> list[float | None]:
    """Drop altitude samples that jump faster than anyone moves vertically; None where dropped.

    Watches do write such glitches: the fēnix 2 sample starts at 55 m, reads 142.4 m for three seconds, then
    56 m, which alone would add 44 m of phantom descent. A sample is kept when it is within
    `MAX_VERTICAL_SPEED_MPS` x dt + `SPIKE_SLACK_M` of the last kept one. If samples keep disagreeing for
    `SPIKE_REANCHOR_S`, the new level is real (a barometer recalibrated against GPS) and becomes the reference.
    """
    out: list[float | None] = list(altitude)
    ref: float | None = None
    ref_t = 0.0
    rejected_since: float | None = None
    for i, z in enumerate(altitude):
        if z is None:
            continue
        t = time_s[i]
        if ref is None or abs(z - ref) <= MAX_VERTICAL_SPEED_MPS * max(0.0, t - ref_t) + SPIKE_SLACK_M:
            ref, ref_t, rejected_since = z, t, None
            continue
        if rejected_since is None:
            rejected_since = t
        if t - rejected_since >= SPIKE_REANCHOR_S:
            ref, ref_t, rejected_since = z, t, None
            continue
        out[i] = None
    return out


def resample(axis: list[float | None], values: list[float | None], step: float) -> tuple[list[float], float]:
    """Average `values` into bins of `step` along the monotonic `axis`; interpolate empty bins.

    Returns the binned series and the step actually used (widened when the axis span would need more than
    `MAX_BINS` bins). Samples where either the axis or the value is missing are skipped. An empty list means
    fewer than one valid sample.
    """
    start: float | None = None
    end = 0.0
    for x, z in zip(axis, values, strict=True):
        if x is None or z is None:
            continue
        if start is None:
            start = x
        end = x
    if start is None:
        return [], step
    span = max(0.0, end - start)
    if span / step > MAX_BINS:
        step = span / MAX_BINS
    n_bins = int(span / step) + 1
    sums = [0.0] * n_bins
    counts = [0] * n_bins
    last_bin = n_bins - 1
    for x, z in zip(axis, values, strict=True):
        if x is None or z is None:
            continue
        k = int((x - start) / step)
        if k > last_bin:
            k = last_bin
        elif k < 0:
            k = 0
        sums[k] += z
        counts[k] += 1
    out = [0.0] * n_bins
    prev_k = -1
    for k in range(n_bins):
        c = counts[k]
        if c == 0:
            continue
        z = sums[k] / c
        out[k] = z
        if prev_k >= 0 and k - prev_k > 1:
            z0 = out[prev_k]
            gap = k - prev_k
            for j in range(1, gap):
                out[prev_k + j] = z0 + (z - z0) * j / gap
        prev_k = k
    return out, step


def smooth(values: list[float], half_width: int = SMOOTH_HALF_WIDTH_BINS) -> list[float]:
    """Centred moving average, O(n) via prefix sums; the window shrinks symmetrically at both ends.

    Symmetric shrinking keeps the first and last values equal to the data there, so the net altitude change of
    the run is not biased by the smoothing.
    """
    n = len(values)
    if n == 0 or half_width <= 0:
        return list(values)
    prefix = [0.0] * (n + 1)
    acc = 0.0
    for i, v in enumerate(values):
        acc += v
        prefix[i + 1] = acc
    out = [0.0] * n
    for i in range(n):
        w = min(half_width, i, n - 1 - i)
        out[i] = (prefix[i + w + 1] - prefix[i - w]) / (2 * w + 1)
    return out


def hysteresis_climb(values: list[float], threshold: float = HYSTERESIS_M) -> tuple[float, float]:
    """Total (ascent, descent) between turning points whose reversal exceeds `threshold`.

    A turning point is confirmed once the profile has moved `threshold` back from it; the full leg up to that
    extreme is then counted. The open first and last legs are always counted, so
    ascent - descent == values[-1] - values[0].
    """
    if len(values) < 2:
        return 0.0, 0.0
    ascent = 0.0
    descent = 0.0
    first = values[0]
    hi = lo = first
    direction = 0  # 0 until the first reversal larger than the threshold; then +1 rising, -1 falling
    anchor = first  # last confirmed turning point
    ext = first  # running extreme of the current leg
    for z in values:
        if direction > 0:
            if z > ext:
                ext = z
            elif ext - z >= threshold:
                ascent += ext - anchor
                anchor = ext
                ext = z
                direction = -1
        elif direction < 0:
            if z < ext:
                ext = z
            elif z - ext >= threshold:
                descent += anchor - ext
                anchor = ext
                ext = z
                direction = 1
        else:
            if z > hi:
                hi = z
            elif z < lo:
                lo = z
            if hi - lo >= threshold:
                if z == hi:  # rising out of the initial band: the leg first -> lo was a (small) descent
                    descent += first - lo
                    anchor = lo
                    direction = 1
                else:
                    ascent += hi - first
                    anchor = hi
                    direction = -1
                ext = z
    last = values[-1]
    if direction > 0:
        ascent += ext - anchor
        descent += ext - last
    elif direction < 0:
        descent += anchor - ext
        ascent += last - ext
    elif last >= first:
        ascent += last - first
    else:
        descent += first - last
    return ascent, descent


def downhill_exposure(
    profile: list[float],
    step: float,
    half_window: int = GRADE_HALF_WINDOW_BINS,
    grades: tuple[float, float] = STEEP_GRADES,
) -> tuple[float, float, float, float]:
    """(descent_a, distance_a, descent_b, distance_b) on steps steeper than -grades[0] and -grades[1].

    The grade of the step k -> k+1 is taken over the centred window [k - half_window, k + 1 + half_window] of
    the smoothed profile, clipped at the ends; per-step grades would turn centimetre noise into false slopes.
    """
    n = len(profile)
    g_a, g_b = -grades[0], -grades[1]
    desc_a = dist_a = desc_b = dist_b = 0.0
    for k in range(n - 1):
        lo = k - half_window
        if lo < 0:
            lo = 0
        hi = k + 1 + half_window
        if hi > n - 1:
            hi = n - 1
        grade = (profile[hi] - profile[lo]) / ((hi - lo) * step)
        if grade < g_a:
            drop = profile[k] - profile[k + 1]
            if drop < 0.0:
                drop = 0.0
            desc_a += drop
            dist_a += step
            if grade < g_b:
                desc_b += drop
                dist_b += step
    return desc_a, dist_a, desc_b, dist_b


def smoothed_profile(
    axis: list[float | None], altitude: list[float | None], step: float = DISTANCE_BIN_M
) -> tuple[list[float], float]:
    """The resampled and smoothed altitude profile (and its step) that ascent/descent are measured on."""
    binned, step = resample(axis, altitude, step)
    return smooth(binned), step


def elevation_summary(
    distance_axis: list[float | None] | None,
    time_axis: list[float],
    altitude: list[float | None],
) -> ElevationSummary:
    """Ascent, descent and downhill exposure; zeros when there is no usable altitude.

    `distance_axis` is the cumulative distance per sample (None where unknown) or None when the run has no
    distance at all; then the profile is built on time and the downhill distances stay 0 (no grade without
    distance).
    """
    if not any(a is not None and math.isfinite(a) for a in altitude):
        return ElevationSummary()
    alt = despike(time_axis, [a if a is not None and math.isfinite(a) else None for a in altitude])
    if distance_axis is not None:
        profile, step = smoothed_profile(distance_axis, alt, DISTANCE_BIN_M)
        ascent, descent = hysteresis_climb(profile)
        desc5, dist5, desc10, dist10 = downhill_exposure(profile, step)
        return ElevationSummary(
            ascent_m=ascent,
            descent_m=descent,
            descent_steep5_m=min(desc5, descent),
            distance_steep5_m=dist5,
            descent_steep10_m=min(desc10, descent),
            distance_steep10_m=dist10,
        )
    profile, _ = smoothed_profile(list(time_axis), alt, TIME_BIN_S)
    ascent, descent = hysteresis_climb(profile)
    return ElevationSummary(ascent_m=ascent, descent_m=descent)
