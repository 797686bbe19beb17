"""Build the configured Garmin source: the one place that knows both implementations exist."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from advisor.garmin.errors import GarminAuthError
from advisor.garmin.model import GarminSource
from advisor.garmin.policy import RequestPolicy

if TYPE_CHECKING:
    from advisor.config import Settings

Method = Literal["garminconnect", "personal_api"]


def default_token_dir(home: Path) -> Path:
    """Tokens live under ADVISOR_HOME, like every other piece of state."""
    return home / "garmin"


def open_garmin_source(
    method: Method,
    *,
    token_dir: Path,
    base_url: str | None = None,
    api_key: str | None = None,
    policy: RequestPolicy | None = None,
) -> GarminSource:
    """The source for `method`. `base_url` None means the real Garmin service.

    Imports are local so that a runner using one method does not need the other library to import cleanly.
    """
    if method == "garminconnect":
        from advisor.garmin.connect import GarminConnectSource

        return GarminConnectSource(token_dir, base_url=base_url, policy=policy)
    if method == "personal_api":
        from advisor.garmin.personal import KEY_HINT, PersonalApiSource

        if not api_key:
            raise GarminAuthError(f"No Garmin Personal API key is configured; {KEY_HINT}")
        return PersonalApiSource(api_key, token_dir, base_url=base_url, policy=policy)
    raise ValueError(f"unknown garmin.method {method!r}")


def open_garmin_source_from_settings(settings: Settings, **policy_overrides: float | int) -> GarminSource:
    """`open_garmin_source` with everything taken from the loaded configuration."""
    garmin = settings.garmin
    values: dict[str, float | int] = {"min_interval_s": garmin.request_interval_s, "max_retries": garmin.max_retries}
    policy = RequestPolicy(**(values | policy_overrides))  # type: ignore[arg-type]
    return open_garmin_source(
        garmin.method,
        token_dir=settings.garmin_token_dir,
        base_url=garmin.base_url,
        api_key=garmin.resolved_api_key() if garmin.method == "personal_api" else None,
        policy=policy,
    )
