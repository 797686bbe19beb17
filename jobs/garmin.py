"""The Garmin sync job: a thin door to `advisor.services.sync`, which does the work.

The use case never raises for anything Garmin does (a rate limit, an expired login, an outage): it reports. The
daemon must still see such a round as failed, so `daemon status` shows the error, hence `GarminRoundStopped`.
"""

from __future__ import annotations

from advisor.bootstrap import Runtime
from advisor.config import Settings

__all__ = ["GarminRoundStopped", "garmin_configured", "garmin_round"]


class GarminRoundStopped(RuntimeError):
    """A sync round that stopped early; the message is the round's own sentence (what happened, what next)."""


def garmin_configured(settings: Settings) -> bool:
    """Whether the daemon should schedule Garmin syncs at all: a Personal API key, or saved login tokens."""
    from advisor.services.sync import garmin_configured as configured

    return configured(settings)


def garmin_round(rt: Runtime) -> str:
    """The daemon's Garmin job: one `advisor.services.sync.sync_garmin` round as one sentence; raises when the
    round stopped, so the daemon records it as the job's error."""
    from advisor.services.sync import sync_garmin

    report = sync_garmin(rt)
    if report.stopped is not None:
        raise GarminRoundStopped(report.line())
    return report.line()
