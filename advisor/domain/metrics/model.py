"""Per-run metrics: what `advisor.domain.metrics.compute_run_metrics` returns for one session's record stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class HeartRateProfile:
    """The runner's numbers Banister TRIMP needs; sex picks the weighting constant (1.92 men, 1.67 women)."""

    max_hr: int = 190
    resting_hr: int = 60
    sex: Literal["male", "female", "unspecified"] = "unspecified"


@dataclass(frozen=True, slots=True)
class RunMetrics:
    """Computed from the record stream; the file's own session totals are kept separately beside these."""

    distance_m: float
    elapsed_s: float
    moving_s: float
    ascent_m: float
    descent_m: float
    descent_steep5_m: float
    """Metres descended on stretches steeper than -5 % grade."""
    distance_steep5_m: float
    """Metres run on stretches steeper than -5 % grade."""
    descent_steep10_m: float
    distance_steep10_m: float
    avg_cadence_spm: float | None
    """Steps per minute (both feet) for foot sports; None when the file has no cadence."""
    avg_heart_rate: float | None
    load: float
    """Banister TRIMP (minutes x weighted HR reserve) or, without heart rate, the duration fallback."""
    load_method: Literal["trimp", "duration"]
