"""The Garmin sources against a fake Garmin on loopback: the real libraries, real HTTP, no mocks of our code.

Each behaviour that does not depend on the login method runs against both methods (`garminconnect` and
`personal_api`), because sync must not care which one the runner configured.
"""

from __future__ import annotations

import io
import itertools
import json
import socket
import stat
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fake_garmin import TOKEN_FILE_NAME, FakeGarmin, sample_fit_bytes

from advisor.garmin import (
    DailyFloors,
    GarminAuthError,
    GarminBadDownload,
    GarminRateLimited,
    GarminSource,
    GarminUnavailable,
    RequestPolicy,
    login_interactive,
    open_garmin_source,
)
from advisor.garmin.connect import new_garmin, rebase_client
from advisor.garmin.model import check_original_download
from advisor.garmin.personal import BEARER_CACHE_NAME, summaries_to_floors
from advisor.garmin.policy import parse_retry_after

METHODS = ["garminconnect", "personal_api"]
API_KEY = "personal-key-1"
FAST = RequestPolicy(
    min_interval_s=0.0, max_retries=2, backoff_base_s=0.01, backoff_max_s=0.05, timeout_s=2.0, page_size=20
)
DAY0 = date(2024, 3, 1)


@pytest.fixture
def fake() -> Iterator[FakeGarmin]:
    with FakeGarmin() as server:
        yield server


@pytest.fixture
def token_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / "garmin"


def open_source(
    method: str, fake: FakeGarmin, token_dir: Path, policy: RequestPolicy = FAST, *, base_url: str | None = None
) -> GarminSource:
    if method == "garminconnect" and not (token_dir / TOKEN_FILE_NAME).exists():
        fake.seed_token_dir(token_dir)
    return open_garmin_source(
        method,  # type: ignore[arg-type]
        token_dir=token_dir,
        base_url=base_url or fake.base_url,
        api_key=API_KEY if method == "personal_api" else None,
        policy=policy,
    )


def add_runs(fake: FakeGarmin, n: int) -> list[int]:
    ids = []
    for i in range(n):
        activity_id = 9_000_000_000 + i
        fake.add_activity(activity_id, datetime(2024, 3, 1, 6, 30, tzinfo=UTC) + timedelta(days=i))
        ids.append(activity_id)
    return ids


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- what every method must do -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_lists_activities_across_pages_oldest_first(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    ids = add_runs(fake, 45)
    fake.add_activity(1, datetime(2023, 1, 1, 6, tzinfo=UTC))  # before the window
    source = open_source(method, fake, token_dir)

    listed = list(source.list_activities(DAY0, DAY0 + timedelta(days=60)))

    assert [a.activity_id for a in listed] == ids
    assert listed[0].start_utc == datetime(2024, 3, 1, 6, 30, tzinfo=UTC)
    assert listed[0].start_local == datetime(2024, 3, 1, 7, 30)
    assert {a.type_key for a in listed} == {"running"}
    pages = fake.hits("/activitylist-service/")
    assert [int(r.query["start"]) for r in pages] == [0, 20, 40]
    assert {r.query["limit"] for r in pages} == {"20"}


@pytest.mark.parametrize("method", METHODS)
def test_download_is_garmins_zip_holding_the_fit(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    [activity_id] = add_runs(fake, 1)
    data = open_source(method, fake, token_dir).download_original(activity_id)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [f"{activity_id}_ACTIVITY.fit"]
        fit = archive.read(archive.namelist()[0])
    assert fit == sample_fit_bytes(datetime(2024, 3, 1, 6, 30, tzinfo=UTC))
    assert fit[8:12] == b".FIT"
    assert data == fake.original(activity_id)


@pytest.mark.parametrize("method", METHODS)
def test_corrupt_zip_fails_that_activity_only(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    good, bad, good2 = add_runs(fake, 3)
    fake.add_activity(bad, datetime(2024, 3, 2, 6, 30, tzinfo=UTC), corrupt=True)
    source = open_source(method, fake, token_dir)

    assert source.download_original(good)
    with pytest.raises(GarminBadDownload) as caught:
        source.download_original(bad)
    assert caught.value.activity_id == bad
    assert str(bad) in str(caught.value)
    assert source.download_original(good2)


@pytest.mark.parametrize("method", METHODS)
def test_deleted_activity_is_a_bad_download(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    with pytest.raises(GarminBadDownload) as caught:
        open_source(method, fake, token_dir).download_original(123)
    assert caught.value.activity_id == 123


@pytest.mark.parametrize("method", METHODS)
def test_daily_floors_and_steps(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    fake.set_day(date(2024, 3, 2), floors_up=11, floors_down=9, steps=14_321)
    fake.set_day(date(2024, 3, 4), floors_up=0, floors_down=3, steps=4_000)
    days = list(open_source(method, fake, token_dir).daily_floors(date(2024, 3, 1), date(2024, 3, 5)))

    assert days == [
        DailyFloors(date(2024, 3, 2), 11.0, 9.0, 14_321),
        DailyFloors(date(2024, 3, 4), 0.0, 3.0, 4_000),
    ]


@pytest.mark.parametrize("method", METHODS)
def test_429_stops_at_once_and_reports_retry_after(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    add_runs(fake, 3)
    fake.fail("/activitylist-service/", 429, retry_after="120", times=-1)
    source = open_source(method, fake, token_dir)

    with pytest.raises(GarminRateLimited) as caught:
        list(source.list_activities(DAY0, DAY0 + timedelta(days=10)))

    assert caught.value.retry_after_s == 120
    assert "120 s" in str(caught.value)
    assert len(fake.hits("/activitylist-service/")) == 1  # no retry into a rate limiter


@pytest.mark.parametrize("method", METHODS)
def test_5xx_is_retried_with_backoff(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    ids = add_runs(fake, 2)
    fake.fail("/activitylist-service/", 503, times=2)

    listed = list(open_source(method, fake, token_dir).list_activities(DAY0, DAY0 + timedelta(days=5)))

    assert [a.activity_id for a in listed] == ids
    assert [r.status for r in fake.hits("/activitylist-service/")] == [503, 503, 200]


@pytest.mark.parametrize("method", METHODS)
def test_outage_gives_up_after_bounded_retries(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    [activity_id] = add_runs(fake, 1)
    fake.fail("/download-service/", 500, times=-1)

    with pytest.raises(GarminUnavailable) as caught:
        open_source(method, fake, token_dir).download_original(activity_id)

    assert "3 attempts" in str(caught.value)
    assert len(fake.hits("/download-service/")) == FAST.max_retries + 1


@pytest.mark.parametrize("method", METHODS)
def test_slow_answer_times_out_and_is_retried(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    [activity_id] = add_runs(fake, 1)
    policy = RequestPolicy(min_interval_s=0, max_retries=1, backoff_base_s=0.01, timeout_s=0.4, page_size=20)
    source = open_source(method, fake, token_dir, policy)

    fake.fail("/download-service/", None, delay_s=1.5)  # slow once, then normal
    assert source.download_original(activity_id)

    fake.fail("/download-service/", None, delay_s=1.5, times=-1)
    with pytest.raises(GarminUnavailable):
        source.download_original(activity_id)


@pytest.mark.parametrize("method", METHODS)
def test_unreachable_garmin_is_unavailable(method: str, fake: FakeGarmin, token_dir: Path) -> None:
    if method == "garminconnect":
        fake.seed_token_dir(token_dir)
    source = open_source(method, fake, token_dir, base_url=closed_port_url())

    with pytest.raises(GarminUnavailable) as caught:
        list(source.list_activities(DAY0, DAY0))
    assert "cannot reach Garmin" in str(caught.value)


def test_requests_are_paced(fake: FakeGarmin, token_dir: Path) -> None:
    add_runs(fake, 45)
    policy = RequestPolicy(min_interval_s=0.3, max_retries=0, timeout_s=2, page_size=20)
    source = open_source("garminconnect", fake, token_dir, policy)

    began = time.monotonic()
    list(source.list_activities(DAY0, DAY0 + timedelta(days=60)))
    elapsed = time.monotonic() - began

    arrivals = [r.at for r in fake.hits("/activitylist-service/")]
    assert len(arrivals) == 3
    assert elapsed >= 2 * 0.3
    assert all(b - a >= 0.15 for a, b in itertools.pairwise(arrivals))  # slack for a loaded machine


# --- garminconnect: login and tokens -----------------------------------------------------------------------


def test_login_with_mfa_keeps_only_tokens_owner_only(fake: FakeGarmin, token_dir: Path) -> None:
    fake.mfa_code = "246810"
    prompts: list[int] = []

    def prompt() -> str:
        prompts.append(1)
        return "246810"

    path = login_interactive(fake.email, fake.password, prompt, token_dir, base_url=fake.base_url)

    assert path == token_dir / TOKEN_FILE_NAME
    assert prompts == [1]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_dir.stat().st_mode) == 0o700
    assert set(json.loads(path.read_text())) == {"di_token", "di_refresh_token", "di_client_id"}
    for stored in token_dir.iterdir():
        assert fake.password not in stored.read_text()
    # and the saved login works without any further password
    add_runs(fake, 1)
    assert len(list(open_source("garminconnect", fake, token_dir).list_activities(DAY0, DAY0))) == 1


def test_login_with_wrong_password_is_refused(fake: FakeGarmin, token_dir: Path) -> None:
    with pytest.raises(GarminAuthError, match="email, password or MFA code"):
        login_interactive(fake.email, "wrong", lambda: "x", token_dir, base_url=fake.base_url)
    assert not (token_dir / TOKEN_FILE_NAME).exists()


def test_login_with_wrong_mfa_code_is_refused(fake: FakeGarmin, token_dir: Path) -> None:
    fake.mfa_code = "111111"
    with pytest.raises(GarminAuthError):
        login_interactive(fake.email, fake.password, lambda: "999999", token_dir, base_url=fake.base_url)
    assert not (token_dir / TOKEN_FILE_NAME).exists()


def test_login_rate_limited_everywhere(fake: FakeGarmin, token_dir: Path) -> None:
    fake.fail("/", 429, times=-1)  # every strategy's first request
    with pytest.raises(GarminRateLimited):
        login_interactive(fake.email, fake.password, lambda: "x", token_dir, base_url=fake.base_url)


def test_expired_access_token_is_refreshed_and_saved(fake: FakeGarmin, token_dir: Path) -> None:
    old = fake.seed_token_dir(token_dir, expired=True)
    add_runs(fake, 1)

    assert len(list(open_source("garminconnect", fake, token_dir).list_activities(DAY0, DAY0))) == 1

    saved = json.loads((token_dir / TOKEN_FILE_NAME).read_text())
    assert saved["di_token"] != old["di_token"]
    assert saved["di_refresh_token"] != old["di_refresh_token"]  # Garmin rotates refresh tokens
    assert stat.S_IMODE((token_dir / TOKEN_FILE_NAME).stat().st_mode) == 0o600
    assert [r.method for r in fake.hits("/di-oauth2-service/")] == ["POST"]
    assert not fake.hits("/mobile/")  # never a password login


def test_token_rejected_by_api_is_refreshed_once(fake: FakeGarmin, token_dir: Path) -> None:
    old = fake.seed_token_dir(token_dir)
    with fake.lock:
        fake.access_tokens.clear()  # access token revoked, refresh token still good
    add_runs(fake, 1)

    assert len(list(open_source("garminconnect", fake, token_dir).list_activities(DAY0, DAY0))) == 1
    assert json.loads((token_dir / TOKEN_FILE_NAME).read_text())["di_token"] != old["di_token"]


@pytest.mark.parametrize("expired", [False, True])
def test_revoked_login_gives_one_clear_message(fake: FakeGarmin, token_dir: Path, expired: bool) -> None:
    fake.seed_token_dir(token_dir, expired=expired)
    fake.revoke_all()
    source = open_source("garminconnect", fake, token_dir)

    with pytest.raises(GarminAuthError) as caught:
        list(source.list_activities(DAY0, DAY0))

    assert str(caught.value) == "Garmin rejected the saved login; run `advisor garmin login`"
    assert not fake.hits("/mobile/")  # no password login, no loop
    assert len(fake.requests) <= 3


def test_refresh_outage_is_not_an_auth_error(fake: FakeGarmin, token_dir: Path) -> None:
    fake.seed_token_dir(token_dir, expired=True)
    fake.fail("/di-oauth2-service/", 502, times=-1)
    with pytest.raises(GarminUnavailable):
        list(open_source("garminconnect", fake, token_dir).list_activities(DAY0, DAY0))

    fake.clear_faults()
    fake.fail("/di-oauth2-service/", 429, times=-1)
    with pytest.raises(GarminRateLimited):
        list(open_source("garminconnect", fake, token_dir).list_activities(DAY0, DAY0))


def test_no_saved_login(fake: FakeGarmin, token_dir: Path) -> None:
    source = open_garmin_source("garminconnect", token_dir=token_dir, base_url=fake.base_url, policy=FAST)
    with pytest.raises(GarminAuthError, match="advisor garmin login"):
        list(source.list_activities(DAY0, DAY0))
    assert not fake.requests


def test_base_url_seam(fake: FakeGarmin) -> None:
    real = new_garmin(None).client
    assert real._connectapi == "https://connectapi.garmin.com"
    assert real._di_token_url == "https://diauth.garmin.com/di-oauth2-service/oauth/token"

    rebased = new_garmin(fake.base_url).client
    for name in ("_sso", "_connect", "_connectapi", "_di_token_url", "_ios_service_url"):
        assert getattr(rebased, name).startswith(fake.base_url)
    with pytest.raises(ValueError):
        rebase_client(rebased, "connectapi.example")


# --- personal_api: key and bearer token ----------------------------------------------------------------------


def test_personal_api_wrong_key(fake: FakeGarmin, token_dir: Path) -> None:
    source = open_garmin_source(
        "personal_api", token_dir=token_dir, base_url=fake.base_url, api_key="nope", policy=FAST
    )
    with pytest.raises(GarminAuthError, match="Personal API key"):
        list(source.list_activities(DAY0, DAY0))
    assert not fake.hits("/activitylist-service/")


def test_personal_api_without_key() -> None:
    with pytest.raises(GarminAuthError, match="ADVISOR_GARMIN__API_KEY"):
        open_garmin_source("personal_api", token_dir=Path("/nonexistent"), api_key=None)


def test_personal_api_token_cached_privately_and_renewed_on_401(fake: FakeGarmin, token_dir: Path) -> None:
    add_runs(fake, 1)
    source = open_source("personal_api", fake, token_dir)
    list(source.list_activities(DAY0, DAY0))
    cache = token_dir / BEARER_CACHE_NAME
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert API_KEY not in cache.read_text()

    with fake.lock:
        fake.access_tokens.clear()  # revoked before its exp
    assert len(list(source.list_activities(DAY0, DAY0))) == 1
    assert len(fake.hits("/personalapitoken-service/")) == 2

    fake.api_keys.clear()
    fake.revoke_all()
    with pytest.raises(GarminAuthError, match="Personal API key"):
        list(source.list_activities(DAY0, DAY0))


# --- small pure pieces -----------------------------------------------------------------------------------


def test_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("14") == 14
    assert parse_retry_after("Thu, 01 Jan 2026 12:02:00 GMT", now=now) == 120
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_download_container_check() -> None:
    fit = sample_fit_bytes()
    assert check_original_download(1, fit) == fit  # a bare FIT is accepted as is
    for bad in (b"", b"<html>login</html>", b"PK\x03\x04broken"):
        with pytest.raises(GarminBadDownload):
            check_original_download(1, bad)
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(GarminBadDownload, match="empty zip"):
        check_original_download(1, empty.getvalue())


def test_daily_summaries_read_flat_or_grouped() -> None:
    answer = {
        "data": [
            {"calendarDate": "2024-03-02", "totalSteps": 10, "floorsAscended": 3.0, "floorsDescended": 2.0},
            {"calendarDate": "2024-03-03", "movement": {"totalSteps": 20, "floorsAscended": 1, "floorsDescended": 4}},
            {"calendarDate": "not a day"},
        ]
    }
    assert list(summaries_to_floors(answer)) == [
        DailyFloors(date(2024, 3, 2), 3.0, 2.0, 10),
        DailyFloors(date(2024, 3, 3), 1.0, 4.0, 20),
    ]
