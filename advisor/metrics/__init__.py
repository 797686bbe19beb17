"""Per-run metrics: distance, moving time, smoothed climb, downhill exposure, cadence and heart-rate load.

Pure functions over a decoded `RecordStream`; `advisor.metrics.run` and `advisor.metrics.elevation` explain
the methods and why they were chosen.
"""

from advisor.metrics.elevation import ElevationSummary, elevation_summary, hysteresis_climb, smoothed_profile
from advisor.metrics.model import HeartRateProfile, RunMetrics
from advisor.metrics.run import compute_run_metrics, is_foot_sport, trimp_rate
from advisor.metrics.sessions import split_sessions

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
