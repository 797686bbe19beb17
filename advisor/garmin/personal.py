"""The `personal_api` method: Garmin's official, read-only Personal API, through Garmin's own client.

`garmin-connect-personal-api-python` (import name `garmin_personal_api`, by Garmin, Apache-2.0) exchanges the
user's Personal API key (`Authorization: ApiKey <key>` on
POST /personalapitoken-service/personal-api/personal-api-key/token) for a JWT bearer token, caches it in a
0600 file, and wraps the GET endpoints. No password, no MFA, no SSO scraping: that is why it is the method to
prefer when the runner can create a key.

Why this shape:
- The client raises `HttpError(status_code, ...)` without response headers, so a requests response hook on
  the session we hand it remembers the last response; that is how `Retry-After` on a 429 is honoured.
- Its base URL comes from the `GARMIN_PERSONAL_API_BASE_URL` environment variable at construction; we do
  not touch the process environment and instead set the public `base_url` attribute of the authenticator
  and the client (`_rebase`), the one place `garmin.base_url` is applied for this method.
- The bearer token cache goes under our token dir, not the library's default `~/.config/garmin/`.

Library surface relied on (pin the version): `PersonalApiAuthenticator(timeout, session,
bearer_token_cache_file)`, `.obtain_token(key, force_refresh)`, `BearerToken.access_token/expires_at`,
`GarminPersonalApiClient(token, timeout, session)`, `.base_url`, `.update_bearer_token`, `.search_activities`,
`.download_activity`, `.get_daily_steps`, `.get_daily_summaries`, `HttpError.status_code`,
`GarminPersonalApiError`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import requests
from garmin_personal_api import (
    BearerToken,
    GarminPersonalApiClient,
    GarminPersonalApiError,
    HttpError,
    PersonalApiAuthenticator,
)

from advisor.garmin.errors import (
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

T = TypeVar("T")

BEARER_CACHE_NAME = "personal_api_bearer.json"
KEY_HINT = (
    "create a new key in Garmin Connect (Settings > Account > Personal API Token) and put it in "
    "ADVISOR_GARMIN__API_KEY or the file named by garmin.api_key_file"
)
_RANGE_MAX_DAYS = 28  # the stats/summaries range endpoints refuse long ranges; 28 is accepted by all
_REFRESH_MARGIN_S = 3600.0  # same window the library uses: renew a token with less than an hour left


def _rebase(target: PersonalApiAuthenticator | GarminPersonalApiClient, base_url: str | None) -> None:
    if base_url:
        target.base_url = base_url.rstrip("/")


class PersonalApiSource:
    """`GarminSource` over Garmin's Personal API."""

    def __init__(
        self,
        api_key: str,
        token_dir: Path,
        *,
        base_url: str | None = None,
        policy: RequestPolicy | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise GarminAuthError(f"No Garmin Personal API key is configured; {KEY_HINT}")
        self._key = api_key.strip()
        self._policy = policy or RequestPolicy()
        self._base_url = base_url
        self._last_response: requests.Response | None = None
        self._session = requests.Session()
        self._session.hooks["response"].append(self._remember)
        ensure_private_dir(token_dir)
        self._auth = PersonalApiAuthenticator(
            timeout=self._policy.timeout_s,
            session=self._session,
            bearer_token_cache_file=token_dir / BEARER_CACHE_NAME,
        )
        _rebase(self._auth, base_url)
        self._token: BearerToken | None = None
        self._client: GarminPersonalApiClient | None = None
        self._runner = RequestRunner(self._policy, self._classify)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self._last_response = response
        return response

    # errors

    def _classify(self, error: BaseException, *, key_exchange: bool = False) -> GarminError | None:
        if isinstance(error, HttpError):
            status = error.status_code
            if status == 429:
                headers = self._last_response.headers if self._last_response is not None else {}
                return GarminRateLimited(parse_retry_after(headers.get("Retry-After")))
            if status in (400, 401, 403) and key_exchange:
                return GarminAuthError(f"Garmin rejected the Personal API key (HTTP {status}); {KEY_HINT}")
            if status in (401, 403):
                return GarminAuthError(f"Garmin refused the Personal API token (HTTP {status}); {KEY_HINT}")
            if status >= 500:
                return GarminUnavailable(f"Garmin answered HTTP {status}", status=status)
            return GarminUnavailable(f"Garmin answered HTTP {status}", retryable=False, status=status)
        if isinstance(error, requests.RequestException):
            return GarminUnavailable(f"cannot reach Garmin ({type(error).__name__}: {error})")
        if isinstance(error, GarminPersonalApiError):
            return GarminUnavailable(f"Garmin Personal API: {error}", retryable=False)
        return None

    # tokens

    def _api(self, *, force_refresh: bool = False) -> GarminPersonalApiClient:
        """A client holding a bearer token with at least an hour left, exchanging the key when needed."""
        token = self._token
        if force_refresh or token is None or token.expires_at - time.time() < _REFRESH_MARGIN_S:
            token = self._runner.run(
                "Personal API token exchange",
                lambda: self._auth.obtain_token(self._key, force_refresh=force_refresh),
                classify=lambda error: self._classify(error, key_exchange=True),
            )
            self._token = token
        if self._client is None:
            self._client = GarminPersonalApiClient(
                token.access_token, timeout=self._policy.timeout_s, session=self._session
            )
            _rebase(self._client, self._base_url)
        else:
            self._client.update_bearer_token(token.access_token)
        return self._client

    def _call(self, what: str, call: Callable[[GarminPersonalApiClient], T]) -> T:
        """Run one API call; a 401 gets one fresh token exchange (tokens can be revoked before they expire)."""
        client = self._api()
        try:
            return self._runner.run(what, lambda: call(client))
        except GarminAuthError:
            client = self._api(force_refresh=True)
            return self._runner.run(what, lambda: call(client))

    # GarminSource

    def list_activities(self, since: date, until: date) -> Iterator[GarminActivity]:
        page_size = self._policy.page_size
        found: dict[int, GarminActivity] = {}
        start = 0
        while True:
            page = self._call(
                "activity list",
                lambda c, start=start: c.search_activities(
                    start=start, limit=page_size, start_date=since, end_date=until
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
        def fetch(client: GarminPersonalApiClient) -> bytes:
            try:
                return client.download_activity(int(activity_id))
            except HttpError:
                raise
            except GarminPersonalApiError:  # "The original activity file response was empty"
                return b""  # reported as a bad download of this activity below

        try:
            data = self._call(f"download of activity {activity_id}", fetch)
        except GarminUnavailable as error:
            if error.status == 404:
                raise GarminBadDownload(activity_id, "Garmin has no such activity (HTTP 404)") from error
            raise
        return check_original_download(activity_id, data)

    def daily_floors(self, since: date, until: date) -> Iterator[DailyFloors]:
        chunk_start = since
        while chunk_start <= until:
            chunk_end = min(until, chunk_start + timedelta(days=_RANGE_MAX_DAYS - 1))
            answer = self._call(
                "daily summaries",
                lambda c, a=chunk_start, b=chunk_end: c.get_daily_summaries(a, b),
            )
            by_day = {row.day: row for row in summaries_to_floors(answer)}
            if any(row.steps is None for row in by_day.values()) or not by_day:
                steps = self._call("daily steps", lambda c, a=chunk_start, b=chunk_end: c.get_daily_steps(a, b))
                for row in steps if isinstance(steps, list) else []:
                    with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
                        day = date.fromisoformat(row["calendarDate"])
                        value = row.get("totalSteps")
                        old = by_day.get(day, DailyFloors(day, None, None, None))
                        if old.steps is None and value is not None:
                            by_day[day] = DailyFloors(day, old.floors_up, old.floors_down, int(value))
            for day in sorted(by_day):
                if chunk_start <= day <= chunk_end:
                    yield by_day[day]
            chunk_start = chunk_end + timedelta(days=1)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._session.close()


def _find(record: Mapping[str, Any], key: str, depth: int = 2) -> Any:
    """`record[key]`, or the first `key` inside nested groups (the v2 summaries group values per topic)."""
    if key in record:
        return record[key]
    if depth:
        for value in record.values():
            if isinstance(value, Mapping):
                found = _find(value, key, depth - 1)
                if found is not None:
                    return found
    return None


def summaries_to_floors(answer: Any) -> Iterator[DailyFloors]:
    """Read /usersummary-service/v2/dailysummaries: {"data": [one object per day]}.

    Garmin's documentation describes the object as "grouped per day"; the field names used here
    (calendarDate, floorsAscended, floorsDescended, totalSteps) are those of the classic daily summary and
    are looked up at the top level and inside nested groups, so either layout is read.
    """
    rows = answer.get("data") if isinstance(answer, Mapping) else answer
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping):
            continue
        raw_day = _find(row, "calendarDate")
        try:
            day = date.fromisoformat(str(raw_day))
        except ValueError:
            continue
        up, down, steps = (_find(row, k) for k in ("floorsAscended", "floorsDescended", "totalSteps"))
        yield DailyFloors(
            day=day,
            floors_up=float(up) if isinstance(up, int | float) else None,
            floors_down=float(down) if isinstance(down, int | float) else None,
            steps=int(steps) if isinstance(steps, int | float) else None,
        )
