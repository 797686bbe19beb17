"""The Garmin sync job: a thin door to `advisor.usecases.sync`, which does the work.

Kept thin on purpose: the daemon only needs "is it configured?" and "sync now, tell me in a sentence". The sync
use case is optional at import time, so the daemon runs (inbox and summary) on installs without it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from advisor.config import Settings
from advisor.usecases.runtime import Runtime

__all__ = ["NOT_CONFIGURED", "garmin_configured", "sync_garmin"]

NOT_CONFIGURED = "Garmin sync not configured"
_SYNC_MODULE = "advisor.usecases.sync"


def _sync_module() -> ModuleType | None:
    try:
        return importlib.import_module(_SYNC_MODULE)
    except ModuleNotFoundError as error:
        if error.name != _SYNC_MODULE:
            raise  # the module exists but something it needs is missing: that is a real error
        return None


def garmin_configured(settings: Settings) -> bool:
    """Whether the daemon should schedule Garmin syncs at all.

    Asks the sync use case when it offers `garmin_configured(settings)`; otherwise a Personal API key, or the
    tokens `advisor garmin login` leaves under ADVISOR_HOME/garmin, mean the runner has set it up.
    """
    module = _sync_module()
    if module is None or not hasattr(module, "sync_garmin"):
        return False
    check = getattr(module, "garmin_configured", None)
    if callable(check):
        return bool(check(settings))
    if settings.garmin.method == "personal_api":
        return bool(settings.garmin.resolved_api_key())
    from advisor.sources.garmin.factory import default_token_dir

    token_dir = default_token_dir(settings.home)
    return token_dir.is_dir() and any(token_dir.iterdir())


def sync_garmin(rt: Runtime) -> str:
    """Sync new activities and daily floors from Garmin Connect; returns one sentence.

    Errors from the sync (network, expired login) propagate: the daemon records them as the job's last error.
    """
    module = _sync_module()
    sync = getattr(module, "sync_garmin", None) if module is not None else None
    if sync is None:
        return f"{NOT_CONFIGURED}."
    outcome = sync(rt)
    if isinstance(outcome, str):
        return outcome
    line = getattr(outcome, "line", None)
    return str(line() if callable(line) else outcome)
