"""Knee-risk engine: the pure domain core (no database, clock or network).

Inputs and thresholds live in `advisor.risk.model`; `advisor.risk.flags.evaluate` runs every rule; the advice and
the full report (`assess`) are in `advisor.advice`.
"""

from advisor.risk.model import Flag, PainEntry, Profile, Run, StairDay, Thresholds, activity_kind

__all__ = ["Flag", "PainEntry", "Profile", "Run", "StairDay", "Thresholds", "activity_kind"]
