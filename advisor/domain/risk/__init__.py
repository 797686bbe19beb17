"""Knee-risk engine: the pure domain core (no database, clock or network).

Inputs and thresholds live in `advisor.domain.risk.model`; `advisor.domain.risk.flags.evaluate` runs every rule;
the advice and the full report (`assess`) are in `advisor.domain.advice`.
"""

from advisor.domain.risk.model import Flag, PainEntry, Profile, Run, StairDay, activity_kind
from advisor.domain.risk.thresholds import Thresholds

__all__ = ["Flag", "PainEntry", "Profile", "Run", "StairDay", "Thresholds", "activity_kind"]
