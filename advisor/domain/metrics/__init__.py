"""Per-run metrics: distance, moving time, smoothed climb, downhill exposure, cadence and heart-rate load.

Pure functions over a decoded `RecordStream`; `advisor.domain.metrics.run` and
`advisor.domain.metrics.elevation` explain the methods and why they were chosen.
"""

from advisor.domain.metrics.elevation import ElevationSummary, elevation_summary, hysteresis_climb, smoothed_profile
from advisor.domain.metrics.model import HeartRateProfile, RunMetrics
from advisor.domain.metrics.run import compute_run_metrics, is_foot_sport, trimp_rate
from advisor.domain.metrics.sessions import split_sessions

__all__ = [
    "ElevationSummary",
    "HeartRateProfile",
    "RunMetrics",
    "compute_run_metrics",
    "elevation_summary",
    "hysteresis_climb",
    "is_foot_sport",
    "smoothed_profile",
    "split_sessions",
    "trimp_rate",
]
