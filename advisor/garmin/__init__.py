"""Garmin Connect as a data source: activity list, ORIGINAL FIT downloads, daily floors and steps.

Two methods behind one interface (`GarminSource`), chosen by `garmin.method`:
- `garminconnect`: the unofficial `garminconnect` library; `advisor garmin login` asks for email, password and
  MFA code once and keeps only the tokens (ADVISOR_HOME/garmin/garmin_tokens.json, 0600).
- `personal_api`: Garmin's official read-only Personal API via Garmin's own client; an API key from
  ADVISOR_GARMIN__API_KEY or `garmin.api_key_file`, never a password.

Callers see only `model` types and `errors` exceptions.
"""

from collections.abc import Callable
from pathlib import Path

from advisor.garmin.errors import (
    GarminAuthError,
    GarminBadDownload,
    GarminError,
    GarminRateLimited,
    GarminUnavailable,
)
from advisor.garmin.factory import default_token_dir, open_garmin_source, open_garmin_source_from_settings
from advisor.garmin.model import DailyFloors, GarminActivity, GarminSource
from advisor.garmin.policy import RequestPolicy

__all__ = [
    "DailyFloors",
    "GarminActivity",
    "GarminAuthError",
    "GarminBadDownload",
    "GarminError",
    "GarminRateLimited",
    "GarminSource",
    "GarminUnavailable",
    "RequestPolicy",
    "default_token_dir",
    "login_interactive",
    "open_garmin_source",
    "open_garmin_source_from_settings",
]


def login_interactive(
    email: str,
    password: str,
    prompt_mfa: Callable[[], str],
    token_dir: Path,
    *,
    base_url: str | None = None,
) -> Path:
    """`advisor garmin login`: see `advisor.garmin.connect.login_interactive`.

    Imported lazily so that the Personal API method never needs garminconnect to import.
    """
    from advisor.garmin.connect import login_interactive as login

    return login(email, password, prompt_mfa, token_dir, base_url=base_url)
