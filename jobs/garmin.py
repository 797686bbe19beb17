"""The Garmin sync job: a thin door to `advisor.usecases.sync`, which does the work.

The use case never raises for anything Garmin does (a rate limit, an expired login, an outage): it reports. The
daemon must still see such a round as failed, so `daemon status` shows the error, hence `GarminRoundStopped`.
"""

from __future__ import annotations

from advisor.config import Settings
from advisor.usecases.runtime import Runtime

__all__ = ["GarminRoundStopped", "garmin_configured", "sync_garmin"]


class GarminRoundStopped(RuntimeError):
    """A sync round that stopped early; the message is the round's own sentence (what happened, what next)."""


def garmin_configured(settings: Settings) -> bool:
    """Whether the daemon should schedule Garmin syncs at all: a Personal API key, or saved login tokens."""
    from advisor.usecases.sync import garmin_configured as configured

    return configured(settings)


def sync_garmin(rt: Runtime) -> str:
    """Sync new activities and daily floors from Garmin Connect; returns one sentence, raises when it stopped."""
    from advisor.usecases.sync import sync_garmin as sync

    report = sync(rt)
    if report.stopped is not None:
        raise GarminRoundStopped(report.line())
    return report.line()
