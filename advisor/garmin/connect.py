"""The `garminconnect` method: the unofficial library (0.3.x, DI OAuth tokens, curl_cffi + requests).

Why this shape:
- We drive `Garmin.connectapi` / `Garmin.download` with the library's own endpoint attributes instead of its
  high-level getters, because only these pass a per-request `timeout` through, and we want our own bounded
  retry (the library's is switched off with `retry_attempts=0`).
- We do not call `Garmin.login(tokenstore)` to resume: it turns a 429 or 5xx during its profile fetch into
  "authentication failed", which would tell the user to log in again during an outage. We load the token
  file and refresh the DI token ourselves (`_refresh_di_token`), mapping the answer by its HTTP status.
- A password login happens only in `login_interactive`, i.e. only when a person runs `advisor garmin login`.

Library internals relied on (pin `garminconnect` and re-check these when upgrading):
  `Garmin(retry_attempts=...)`, `Garmin.client` (a `garminconnect.client.Client`), the Client attributes
  `_sso`, `_connect`, `_connectapi`, `_di_token_url`, `_ios_service_url`, `_mobile_sso_service_url`,
  `_portal_service_url` (rewritten by `rebase_client`), `Client.load/dump/login`, `Client.di_token`,
  `Client.di_refresh_token`, `Client._token_expires_soon()`, `Client._refresh_di_token()` and its
  "DI token refresh failed: <status>" message, `garminconnect.client.token_file_path`, the token file name
  `garmin_tokens.json`, and the `Garmin.garmin_connect_*` endpoint attributes used below.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from curl_cffi.requests import exceptions as cffi_exceptions
from garminconnect import (
    Garmin,
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectTooManyRequestsError,
)
from garminconnect.client import Client, token_file_path

from advisor.garmin.errors import (
    LOGIN_HINT,
    GarminAuthError,
    GarminBadDownload,
    GarminError,
    GarminRateLimited,
    GarminUnavailable,
)
from advisor.garmin.model import (
    DailyFloors,
    GarminActivity,
    check_original_download,
    ensure_private_dir,
    in_range,
    parse_activity,
)
from advisor.garmin.policy import RequestPolicy, RequestRunner, parse_retry_after

_LOG = logging.getLogger(__name__)

TOKEN_FILE_NAME = "garmin_tokens.json"  # what garminconnect's Client.dump() writes inside a directory
_STEPS_RANGE_MAX_DAYS = 28  # usersummary-service/stats/steps/daily refuses longer ranges
_REFRESH_STATUS_RE = re.compile(r"refresh failed: (\d{3})")

# --- the base_url seam ----------------------------------------------------------------------------------

_REBASED_ATTRIBUTES = {
    # Client attribute -> path on the one origin that stands in for every Garmin host
    "_sso": "",
    "_connect": "",
    "_connectapi": "",
    "_di_token_url": "/di-oauth2-service/oauth/token",
    "_ios_service_url": "/gcm/ios",
    "_mobile_sso_service_url": "/gcm/android",
    "_portal_service_url": "/app",
}


def rebase_client(client: Client, base_url: str) -> None:
    """Point every Garmin host the library uses (sso., connect., connectapi., diauth.) at one origin.

    garminconnect offers no URL setting: `Client.__init__` builds these from a domain restricted to
    garmin.com / garmin.cn. This function is the one place that reaches in; it refuses to run if an attribute
    it expects is gone, so a library upgrade that moves them fails loudly instead of talking to the real
    Garmin from a test.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"garmin.base_url must be an http(s) URL, not {base_url!r}")
    origin = base_url.rstrip("/")
    missing = [name for name in _REBASED_ATTRIBUTES if not isinstance(getattr(client, name, None), str)]
    if missing:
        raise RuntimeError(f"this garminconnect version has no {', '.join(missing)}; garmin.base_url cannot be applied")
    for name, path in _REBASED_ATTRIBUTES.items():
        setattr(client, name, origin + path)


def new_garmin(base_url: str | None) -> Garmin:
    """A `Garmin` with the library's own retries off (ours apply) and, if asked, pointed at `base_url`."""
    api = Garmin(retry_attempts=0)
    if base_url:
        rebase_client(api.client, base_url)
    return api


# --- token files ----------------------------------------------------------------------------------------


def token_path(token_dir: Path) -> Path:
    """Where the library keeps the tokens for `token_dir`."""
    return token_file_path(str(token_dir))


def _save_tokens(api: Garmin, token_dir: Path) -> Path:
    ensure_private_dir(token_dir)
    api.client.dump(str(token_dir))  # atomic write, 0600
    path = token_path(token_dir)
    path.chmod(0o600)
    return path


# --- error mapping --------------------------------------------------------------------------------------


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status_and_response(error: BaseException) -> tuple[int | None, Any]:
    for item in _chain(error):
        response = getattr(item, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status, response
        match = _REFRESH_STATUS_RE.search(str(item))
        if match:
            return int(match.group(1)), None
    return None, None


def _is_network_error(error: BaseException) -> bool:
    return any(isinstance(item, requests.RequestException | cffi_exceptions.RequestException) for item in _chain(error))


def classify(error: BaseException, *, auth_message: str = LOGIN_HINT) -> GarminError | None:
    """Map a garminconnect / requests / curl_cffi exception to ours; None for anything else (a bug)."""
    library_error = (
        GarminConnectConnectionError,
        GarminConnectAuthenticationError,
        GarminConnectTooManyRequestsError,
        requests.RequestException,
        cffi_exceptions.RequestException,
    )
    if not isinstance(error, library_error):
        return None
    status, response = _status_and_response(error)
    if status == 429 or (status is None and isinstance(error, GarminConnectTooManyRequestsError)):
        headers = getattr(response, "headers", None) or {}
        return GarminRateLimited(parse_retry_after(headers.get("Retry-After")))
    if status in (401, 403):
        return GarminAuthError(auth_message)
    if status is not None and status >= 500:
        return GarminUnavailable(f"Garmin answered HTTP {status}", status=status)
    if status is None and _is_network_error(error):
        cause = next(
            item
            for item in _chain(error)
            if isinstance(item, requests.RequestException | cffi_exceptions.RequestException)
        )
        return GarminUnavailable(f"cannot reach Garmin ({type(cause).__name__}: {cause})")
    if isinstance(error, GarminConnectAuthenticationError):
        # Refresh answered 400 invalid_grant, no refresh token, wrong password, failed MFA ...
        return GarminAuthError(auth_message)
    if status is not None:
        return GarminUnavailable(f"Garmin answered HTTP {status}", retryable=False, status=status)
    return GarminUnavailable(f"Garmin request failed: {error}", retryable=False)


# --- the source -----------------------------------------------------------------------------------------


class GarminConnectSource:
    """`GarminSource` over garminconnect, resuming the tokens that `login_interactive` saved."""

    def __init__(self, token_dir: Path, *, base_url: str | None = None, policy: RequestPolicy | None = None) -> None:
        self._token_dir = token_dir
        self._policy = policy or RequestPolicy()
        self._api = new_garmin(base_url)
        self._runner = RequestRunner(self._policy, classify)
        self._tokens_loaded = False

    # tokens

    def _ensure_login(self) -> Garmin:
        """Load the saved tokens once, and refresh the access token when it is about to expire."""
        client = self._api.client
        if not self._tokens_loaded:
            path = token_path(self._token_dir)
            if not path.is_file():
                raise GarminAuthError(f"No saved Garmin login at {self._token_dir}; run `advisor garmin login`")
            try:
                client.load(str(self._token_dir))
            except GarminConnectConnectionError as error:
                raise GarminAuthError(
                    f"The saved Garmin login at {path} cannot be read; run `advisor garmin login`"
                ) from error
            self._tokens_loaded = True
        if client.di_token and client._token_expires_soon():
            self._runner.run("token refresh", self._refresh)
        return self._api

    def _refresh(self) -> None:
        self._api.client._refresh_di_token()
        _save_tokens(self._api, self._token_dir)
        _LOG.info("Garmin access token refreshed; saved to %s", token_path(self._token_dir))

    def _call(self, what: str, call: Callable[[Garmin], Any]) -> Any:
        api = self._ensure_login()
        return self._runner.run(what, lambda: call(api))

    # GarminSource

    def list_activities(self, since: date, until: date) -> Iterator[GarminActivity]:
        page_size = self._policy.page_size
        found: dict[int, GarminActivity] = {}
        start = 0
        while True:
            params = {
                "startDate": since.isoformat(),
                "endDate": until.isoformat(),
                "start": str(start),
                "limit": str(page_size),
                "sortOrder": "asc",
            }
            page = self._call(
                "activity list",
                lambda api, params=params: api.connectapi(
                    api.garmin_connect_activities, params=params, timeout=self._policy.timeout_s
                ),
            )
            if not isinstance(page, list):
                raise GarminUnavailable("Garmin's activity list is not a list", retryable=False)
            for raw in page:
                activity = parse_activity(raw)
                found.setdefault(activity.activity_id, activity)
            if len(page) < page_size:
                break
            start += page_size
        yield from in_range(found.values(), since, until)

    def download_original(self, activity_id: int) -> bytes:
        api = self._ensure_login()
        path = f"{api.garmin_connect_fit_download}/{int(activity_id)}"
        try:
            data = self._runner.run(
                f"download of activity {activity_id}",
                lambda: api.download(path, timeout=self._policy.timeout_s),
            )
        except GarminUnavailable as error:
            if error.status == 404:
                raise GarminBadDownload(activity_id, "Garmin has no such activity (HTTP 404)") from error
            raise
        return check_original_download(activity_id, data)

    def daily_floors(self, since: date, until: date) -> Iterator[DailyFloors]:
        steps: dict[date, int | None] = {}
        chunk_start = since
        while chunk_start <= until:
            chunk_end = min(until, chunk_start + timedelta(days=_STEPS_RANGE_MAX_DAYS - 1))
            url = f"{self._api.garmin_connect_daily_stats_steps_url}/{chunk_start}/{chunk_end}"
            rows = self._call("daily steps", lambda api, url=url: api.connectapi(url, timeout=self._policy.timeout_s))
            for row in rows if isinstance(rows, list) else []:
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    value = row.get("totalSteps")
                    steps[date.fromisoformat(row["calendarDate"])] = int(value) if value is not None else None
            chunk_start = chunk_end + timedelta(days=1)
        day = since
        while day <= until:
            url = f"{self._api.garmin_connect_floors_chart_daily_url}/{day.isoformat()}"
            chart = self._call("daily floors", lambda api, url=url: api.connectapi(url, timeout=self._policy.timeout_s))
            up, down = floors_from_chart(chart)
            if up is not None or down is not None or steps.get(day) is not None:
                yield DailyFloors(day=day, floors_up=up, floors_down=down, steps=steps.get(day))
            day += timedelta(days=1)

    def close(self) -> None:
        for session in (self._api.client.cs, self._api.client._api_session):
            with contextlib.suppress(Exception):
                session.close()


def floors_from_chart(chart: Any) -> tuple[float | None, float | None]:
    """Sum a floorsChartData answer: rows of [start, end, ascended, descended], columns named by descriptors."""
    if not isinstance(chart, dict):
        return None, None
    rows = chart.get("floorValuesArray")
    if not isinstance(rows, list) or not rows:
        return None, None
    index = {"floorsAscended": 2, "floorsDescended": 3}
    for descriptor in chart.get("floorsValueDescriptorDTOList") or []:
        if isinstance(descriptor, dict) and descriptor.get("key") in index:
            index[descriptor["key"]] = int(descriptor["index"])
    totals = []
    for key in ("floorsAscended", "floorsDescended"):
        column = index[key]
        values = [row[column] for row in rows if isinstance(row, list) and len(row) > column]
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        totals.append(sum(numbers) if numbers else None)
    return totals[0], totals[1]


# --- interactive login ----------------------------------------------------------------------------------


def login_interactive(
    email: str,
    password: str,
    prompt_mfa: Callable[[], str],
    token_dir: Path,
    *,
    base_url: str | None = None,
) -> Path:
    """Log in with email/password (+ MFA code when Garmin asks) and save only the tokens; return their path.

    The password goes straight to the library's login call and is not kept: nothing but the DI tokens is
    written, into `token_dir` (0700) as a 0600 file. Not retried: a person is at the keyboard, and repeated
    password logins are what Garmin rate-limits and locks hardest.
    """
    ensure_private_dir(token_dir)
    api = new_garmin(base_url)
    try:
        api.client.login(email, password, prompt_mfa=prompt_mfa)
    except Exception as error:
        mapped = classify(error, auth_message="Garmin did not accept that email, password or MFA code")
        if mapped is None:
            raise
        raise mapped from error
    if not api.client.di_token:
        # The library fell back to a JWT_WEB browser cookie, which it cannot save and which expires within
        # hours: storing nothing beats a login that silently stops working tonight.
        raise GarminUnavailable(
            "Garmin let us in only through its web-cookie fallback, which cannot be kept; try again later",
            retryable=False,
        )
    return _save_tokens(api, token_dir)
