"""`advisor sync` against the fake Garmin on loopback, on SQLite and PostgreSQL.

The real libraries talk real HTTP to `tests/fake_garmin.py`; nothing of ours is patched. Where a test needs a
knob the configuration does not offer (a small page size, millisecond backoff), it passes a source built by the
public factory with policy overrides to `sync_garmin` instead of going through the CLI.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_garmin import TOKEN_FILE_NAME, FakeGarmin, sample_fit_bytes
from hostile import panicking_run
from sqlalchemy import select

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.garmin import GarminSource, open_garmin_source_from_settings
from advisor.ingest.decode import decode_fit
from advisor.services.sync import SyncReport, sync_garmin
from advisor.store.models import Activity, DailyStairs, SyncState

BASE = datetime.now(UTC).replace(hour=6, minute=30, second=0, microsecond=0) - timedelta(days=30)
"""Activity i starts at BASE + i days: inside the default 90-day backfill, and the same in every test, so the
fake's FIT files (slow to generate) are made once per session."""
FIRST_ID = 15_000_000_000


def start_of(i: int) -> datetime:
    return BASE + timedelta(days=i)


def gid(i: int) -> int:
    return FIRST_ID + i


LIBRARY_LOGIN_PAUSES = (
    "MOBILE_DELAY_MIN_S",
    "MOBILE_DELAY_MAX_S",
    "WIDGET_DELAY_MIN_S",
    "WIDGET_DELAY_MAX_S",
    "LOGIN_DELAY_MIN_S",
    "LOGIN_DELAY_MAX_S",
)
"""garminconnect's random pauses (2-20 s) between loading Garmin's sign-in page and posting the password, there to
look like a person to Garmin's bot filter. The fake has no bot filter: against it they are only wall-clock time,
so the tests set them to 0 — the same requests, in the same order, without the wait."""


@pytest.fixture
def fake(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    """A running fake Garmin, configured as `garmin.base_url`, with a saved login under ADVISOR_HOME."""
    import garminconnect.client.sso

    for pause in LIBRARY_LOGIN_PAUSES:  # raising: a library that renamed them fails here, not slowly
        monkeypatch.setattr(garminconnect.client.sso, pause, 0.0)
    with FakeGarmin() as server:
        monkeypatch.setenv("ADVISOR_GARMIN__BASE_URL", server.base_url)
        monkeypatch.setenv("ADVISOR_GARMIN__REQUEST_INTERVAL_S", "0")
        monkeypatch.setenv("ADVISOR_GARMIN__MAX_RETRIES", "0")  # CLI runs: no 2 s backoffs; see fast_source
        server.seed_token_dir(isolated_home / "garmin")
        yield server


def add_runs(fake: FakeGarmin, indices: range | list[int], **kwargs: object) -> list[int]:
    for i in indices:
        fake.add_activity(gid(i), start_of(i), **kwargs)  # type: ignore[arg-type]
    return [gid(i) for i in indices]


@pytest.fixture
def rt(cli: object, fake: FakeGarmin) -> Iterator[Runtime]:
    """A Runtime on the same database and home as the `cli` fixture, for reading what was stored."""
    runtime = Runtime(load_settings())
    yield runtime
    runtime.close()


def fast_source(rt: Runtime, max_retries: int = 0, **overrides: float | int) -> GarminSource:
    """The configured source with millisecond backoff (the config offers only `max_retries` and the interval)."""
    settings = rt.settings.model_copy(
        update={"garmin": rt.settings.garmin.model_copy(update={"max_retries": max_retries})}
    )
    policy: dict[str, float | int] = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 3.0}
    policy.update(overrides)
    return open_garmin_source_from_settings(settings, **policy)


def run_sync(rt: Runtime, now: datetime | None = None, max_retries: int = 0, **overrides: float | int) -> SyncReport:
    source = fast_source(rt, max_retries, **overrides)
    try:
        return sync_garmin(rt, now=now, source=source)
    finally:
        source.close()


def stored(rt: Runtime) -> list[Activity]:
    with rt.db.transaction() as session:
        return list(session.scalars(select(Activity).order_by(Activity.start_utc, Activity.id)))


def state(rt: Runtime) -> SyncState:
    with rt.db.transaction() as session:
        row = session.get(SyncState, (rt.athlete_id, "garmin"))
        assert row is not None
        return row


def downloads(fake: FakeGarmin) -> list[int]:
    return [int(r.path.rsplit("/", 1)[1]) for r in fake.hits("/download-service/")]


# --- the normal path -------------------------------------------------------------------------------------------


def test_sync_imports_runs_and_floors_then_nothing_new(cli, fake: FakeGarmin, rt: Runtime) -> None:
    ids = add_runs(fake, range(3))
    fake.add_activity(99, BASE - timedelta(days=200))  # outside the 90-day backfill
    floor_day = start_of(1).date()
    fake.set_day(floor_day, floors_up=12, floors_down=10, steps=15_000)

    first = cli("sync", "--json")

    assert first.exit_code == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["summary"]["imported"] == 3
    assert doc["summary"]["failed"] == 0
    assert [a["garmin_activity_id"] for a in doc["activities"]] == ids
    rows = stored(rt)
    assert [a.garmin_activity_id for a in rows] == ids
    for i, row in enumerate(rows):
        fit = decode_fit(sample_fit_bytes(start_of(i)))
        session = fit.sessions[0]
        assert row.start_utc == session.start_time == start_of(i)
        assert row.session_distance_m == pytest.approx(session.total_distance_m)
        assert row.distance_m == pytest.approx(session.total_distance_m, rel=0.03)
        assert row.sport == "running"
    with rt.db.transaction() as db:
        stairs = db.scalars(select(DailyStairs).where(DailyStairs.source == "garmin")).all()
        assert [(s.day, s.floors_up, s.floors_down, s.steps) for s in stairs] == [(floor_day, 12.0, 10.0, 15_000)]
    assert state(rt).synced_up_to == start_of(2)
    assert state(rt).last_success_at is not None
    assert 99 not in downloads(fake)

    before = len(fake.hits("/download-service/"))
    second = cli("sync")

    assert second.exit_code == 0, second.stderr
    assert "0 new activities" in second.stdout
    assert len(fake.hits("/download-service/")) == before  # nothing before the mark is downloaded again
    assert len(stored(rt)) == 3

    status = cli("garmin", "status")
    assert status.exit_code == 0
    assert "garminconnect" in status.stdout
    assert "saved login:   yes" in status.stdout
    assert start_of(2).strftime("%Y-%m-%d %H:%M") in status.stdout


def test_run_imported_from_the_watch_is_a_duplicate(cli, fake: FakeGarmin, rt: Runtime, tmp_path: Path) -> None:
    ids = add_runs(fake, range(2))
    watch_file = tmp_path / "watch" / "run.fit"
    watch_file.parent.mkdir()
    watch_file.write_bytes(sample_fit_bytes(start_of(0)))
    assert cli("import", str(watch_file)).exit_code == 0

    result = cli("sync", "--json")

    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(a["garmin_activity_id"], a["status"]) for a in doc["activities"]] == [
        (ids[0], "duplicate"),
        (ids[1], "imported"),
    ]
    rows = stored(rt)
    assert len(rows) == 2  # one run, not two
    assert [a.garmin_activity_id for a in rows] == ids  # the watch's run is now tied to its Garmin id

    before = len(downloads(fake))
    assert cli("sync", "--since", start_of(0).date().isoformat()).exit_code == 0
    assert len(downloads(fake)) == before  # linked runs are never downloaded again, even with --since


def test_listing_pages_through_many_activities(cli, fake: FakeGarmin, rt: Runtime) -> None:
    ids = add_runs(fake, range(12))

    report = run_sync(rt, page_size=5)

    assert report.ok, report.outcome
    assert report.imported == 12
    assert [a.garmin_activity_id for a in stored(rt)] == ids
    assert [int(r.query["start"]) for r in fake.hits("/activitylist-service/")] == [0, 5, 10]


# --- faults ----------------------------------------------------------------------------------------------------


def test_rate_limit_stops_politely_and_resumes_after_retry_after(cli, fake: FakeGarmin, rt: Runtime) -> None:
    ids = add_runs(fake, range(4))
    fake.fail(f"/download-service/files/activity/{ids[2]}", 429, retry_after="120")

    began = datetime.now(UTC)
    first = cli("sync")

    assert first.exit_code == 1
    match = re.search(
        r"Garmin asked us to slow down after 2 new activities; next try after (\d\d:\d\d)\.", first.stderr
    )
    assert match, first.stderr
    expected = {(began + timedelta(seconds=s)).strftime("%H:%M") for s in (119, 120, 121, 150)}
    assert match.group(1) in expected
    row = state(rt)
    assert row.synced_up_to == start_of(1)  # the last stored activity, not the one refused
    assert row.retry_after is not None and row.retry_after >= began + timedelta(seconds=119)
    assert [a.garmin_activity_id for a in stored(rt)] == ids[:2]

    requests_before = len(fake.requests)
    again = cli("sync")
    assert again.exit_code == 1
    assert "next try after" in again.stderr
    # refused without asking Garmin — and so without waiting: the request policy only ever waits before a request
    assert len(fake.requests) == requests_before
    assert "retry after" in cli("garmin", "status").stdout

    later = run_sync(rt, now=datetime.now(UTC) + timedelta(seconds=180))

    assert later.ok, later.outcome
    assert [a.garmin_activity_id for a in stored(rt)] == ids
    assert downloads(fake).count(ids[0]) == 1  # finished work is not repeated
    assert downloads(fake).count(ids[1]) == 1
    assert state(rt).retry_after is None
    assert state(rt).synced_up_to == start_of(3)


def test_revoked_login_asks_for_login_once_and_does_not_hammer(
    cli, fake: FakeGarmin, rt: Runtime, isolated_home: Path
) -> None:
    add_runs(fake, range(2))
    fake.revoke_all()

    first = cli("sync")

    assert first.exit_code == 2
    assert "run `advisor garmin login`" in first.stderr
    assert not fake.hits("/mobile/")  # never a password login
    assert not fake.hits("/download-service/")
    assert "advisor garmin login" in (state(rt).last_error or "")
    requests_after_first = len(fake.requests)
    assert requests_after_first <= 3

    second = cli("sync")
    assert second.exit_code == 2
    assert "advisor garmin login" in second.stderr
    assert len(fake.requests) == requests_after_first  # refused without a request until the login changes
    assert "login needed" in cli("garmin", "status").stdout

    login = cli("garmin", "login", input=f"{fake.email}\n{fake.password}\n")
    assert login.exit_code == 0, login.stderr
    third = cli("sync")
    assert third.exit_code == 0, third.stderr
    assert len(stored(rt)) == 2
    assert state(rt).last_error is None


def test_not_logged_in_is_a_usage_error(cli, fake: FakeGarmin, isolated_home: Path) -> None:
    (isolated_home / "garmin" / TOKEN_FILE_NAME).unlink()
    result = cli("sync")
    assert result.exit_code == 2
    assert "advisor garmin login" in result.stderr
    assert not fake.requests


def test_5xx_is_retried_then_succeeds(cli, fake: FakeGarmin, rt: Runtime) -> None:
    ids = add_runs(fake, range(2))
    fake.fail("/activitylist-service/", 503, times=2)
    fake.fail(f"/download-service/files/activity/{ids[1]}", 500, times=1)

    report = run_sync(rt, max_retries=3)

    assert report.ok, report.outcome
    assert [r.status for r in fake.hits("/activitylist-service/")] == [503, 503, 200]
    assert [a.garmin_activity_id for a in stored(rt)] == ids


def test_outage_is_left_for_next_round_without_moving_the_mark(cli, fake: FakeGarmin, rt: Runtime) -> None:
    ids = add_runs(fake, range(3))
    fake.fail(f"/download-service/files/activity/{ids[1]}", 500, times=-1)

    report = run_sync(rt, max_retries=2)

    assert report.stopped == "unavailable"
    assert "left for the next round" in report.outcome
    assert downloads(fake).count(ids[1]) == 3  # bounded: one try and two retries
    assert ids[2] not in downloads(fake)
    assert state(rt).synced_up_to == start_of(0)  # not past the activity that was not stored
    assert "left for the next round" in (state(rt).last_error or "")

    fake.clear_faults()
    result = cli("sync")

    assert result.exit_code == 0, result.stderr
    assert [a.garmin_activity_id for a in stored(rt)] == ids
    assert downloads(fake).count(ids[0]) == 1


def test_outage_through_the_cli_exits_1(cli, fake: FakeGarmin) -> None:
    add_runs(fake, range(1))
    fake.fail("/activitylist-service/", 502, times=-1)
    result = cli("sync", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["stopped"] == "unavailable"
    assert "HTTP 502" in doc["outcome"]


def test_corrupt_download_fails_that_activity_only(cli, fake: FakeGarmin, rt: Runtime) -> None:
    ids = add_runs(fake, range(3))
    fake.add_activity(ids[1], start_of(1), corrupt=True)

    result = cli("sync", "--json")

    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    by_id = {a["garmin_activity_id"]: a for a in doc["activities"]}
    assert by_id[ids[1]]["status"] == "failed"
    assert str(ids[1]) in by_id[ids[1]]["detail"]
    assert "zip" in by_id[ids[1]]["detail"]
    assert [by_id[i]["status"] for i in (ids[0], ids[2])] == ["imported", "imported"]
    assert [a.garmin_activity_id for a in stored(rt)] == [ids[0], ids[2]]
    assert state(rt).synced_up_to == start_of(2)  # a broken file does not block the runs after it
    assert str(ids[1]) in (state(rt).last_error or "")

    again = cli("sync")
    assert again.exit_code == 0, again.stderr
    assert downloads(fake).count(ids[1]) == 1  # reported once, not retried forever


def test_a_download_that_panics_the_native_decoder_is_stored_and_the_round_goes_on(
    cli, fake: FakeGarmin, rt: Runtime
) -> None:
    """Garmin serving a file that makes fitfast panic used to crash every round on that activity (nothing stored,
    "last error: none"); now fitdecode reads it, and the runs after it are stored in the same round."""
    ids = add_runs(fake, range(3))
    fake.add_activity(ids[1], start_of(1), fit=panicking_run(seed=11))

    result = cli("sync", "--json")

    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [a["status"] for a in doc["activities"]] == ["imported"] * 3
    assert sorted(a.garmin_activity_id for a in stored(rt)) == ids
    assert state(rt).synced_up_to == start_of(2) and state(rt).last_error is None


def test_killed_mid_sync_finishes_next_time_with_each_run_once(
    cli, fake: FakeGarmin, rt: Runtime, isolated_home: Path
) -> None:
    ids = add_runs(fake, range(5))
    for i in range(5):
        fake.original(ids[i])  # make the FIT files now, so the child process is not racing fit-tool
    # The 4th download gets no answer within the child's own 30 s request timeout: once the fake has seen that
    # request (the event waited on below), the child is stuck in it with three runs stored until it is killed. A
    # test that took over 30 s to notice would find it exited 1 on that timeout, and fail rather than pass by luck.
    fake.fail(f"/download-service/files/activity/{ids[3]}", None, delay_s=120)

    env = dict(os.environ)
    child = subprocess.Popen(
        [sys.executable, "-m", "advisor", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not fake.hits(f"/activity/{ids[3]}") and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert fake.hits(f"/activity/{ids[3]}"), child.communicate(timeout=5)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=10)
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert state(rt).synced_up_to == start_of(2)

    fake.clear_faults()
    result = cli("sync")

    assert result.exit_code == 0, result.stderr
    rows = stored(rt)
    assert [a.garmin_activity_id for a in rows] == ids  # every run exactly once
    assert len({a.start_utc for a in rows}) == 5
    assert [downloads(fake).count(i) for i in ids[:3]] == [1, 1, 1]


# --- since, and the floors window ------------------------------------------------------------------------------


def test_since_looks_again_without_moving_the_mark_back(cli, fake: FakeGarmin, rt: Runtime) -> None:
    ids = add_runs(fake, [0, 5])
    assert cli("sync").exit_code == 0
    late = gid(2)
    fake.add_activity(late, start_of(2))  # appears on Garmin after the mark passed it (a second device)

    quiet = cli("sync")
    assert quiet.exit_code == 0
    assert late not in downloads(fake)  # more than a day before the mark: only --since looks there

    result = cli("sync", "--since", start_of(1).date().isoformat())

    assert result.exit_code == 0, result.stderr
    assert [a.garmin_activity_id for a in stored(rt)] == [ids[0], late, ids[1]]
    assert state(rt).synced_up_to == start_of(5)


def test_late_arrival_inside_the_overlap_is_found(cli, fake: FakeGarmin, rt: Runtime) -> None:
    add_runs(fake, [3])
    assert cli("sync").exit_code == 0
    late = gid(33)
    fake.add_activity(late, start_of(3) - timedelta(hours=5))

    assert cli("sync").exit_code == 0
    assert late in [a.garmin_activity_id for a in stored(rt)]


def test_bad_since_is_a_usage_error(cli, fake: FakeGarmin) -> None:
    result = cli("sync", "--since", "last week")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr
    assert not fake.requests


def test_floors_window_after_a_success_is_short(cli, fake: FakeGarmin, rt: Runtime) -> None:
    assert cli("sync").exit_code == 0
    first_days = len(fake.hits("/floorsChartData/"))
    assert first_days >= 90  # the backfill window
    fake.set_day(datetime.now(UTC).date(), floors_up=3, floors_down=2, steps=4000)

    assert cli("sync").exit_code == 0
    assert len(fake.hits("/floorsChartData/")) - first_days <= 3
    with rt.db.transaction() as db:
        assert db.get(DailyStairs, (rt.athlete_id, datetime.now(UTC).date(), "garmin")) is not None


# --- login and status --------------------------------------------------------------------------------------------


def test_login_with_mfa_saves_only_tokens_owner_only(cli, fake: FakeGarmin, isolated_home: Path) -> None:
    token_file = isolated_home / "garmin" / TOKEN_FILE_NAME
    token_file.unlink()
    fake.mfa_code = "864201"

    result = cli("garmin", "login", input=f"{fake.email}\n{fake.password}\n864201\n")

    assert result.exit_code == 0, result.stderr
    assert str(token_file) in result.stdout
    assert fake.password not in result.stdout + result.stderr
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert set(json.loads(token_file.read_text())) == {"di_token", "di_refresh_token", "di_client_id"}
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert fake.password.encode() not in path.read_bytes()
    assert len(fake.hits("/mfa/verifyCode")) == 1

    add_runs(fake, range(1))
    assert cli("sync").exit_code == 0


def test_login_with_wrong_password(cli, fake: FakeGarmin, isolated_home: Path) -> None:
    (isolated_home / "garmin" / TOKEN_FILE_NAME).unlink()
    result = cli("garmin", "login", input=f"{fake.email}\nwrong\n")
    assert result.exit_code == 1
    assert "nothing was saved" in result.stderr
    assert not (isolated_home / "garmin" / TOKEN_FILE_NAME).exists()


def test_login_without_a_terminal(cli, fake: FakeGarmin) -> None:
    result = cli("garmin", "login")
    assert result.exit_code == 2
    assert "run it in a terminal" in result.stderr
    assert not fake.requests


def test_login_for_personal_api_explains_the_key(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_GARMIN__METHOD", "personal_api")
    result = cli("garmin", "login")
    assert result.exit_code == 0
    assert "no login is needed" in result.stdout
    assert "ADVISOR_GARMIN__API_KEY" in result.stdout


def test_personal_api_sync_and_missing_key(cli, fake: FakeGarmin, rt: Runtime, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_GARMIN__METHOD", "personal_api")
    ids = add_runs(fake, range(2))

    missing = cli("sync")
    assert missing.exit_code == 2
    assert "ADVISOR_GARMIN__API_KEY" in missing.stderr

    monkeypatch.setenv("ADVISOR_GARMIN__API_KEY", "personal-key-1")
    result = cli("sync")
    assert result.exit_code == 0, result.stderr
    assert [a.garmin_activity_id for a in stored(rt)] == ids
    status = cli("garmin", "status")
    assert "API key:       configured" in status.stdout
    assert "personal-key-1" not in status.stdout
    assert "personal-key-1" not in (state(rt).last_error or "")


def test_each_athlete_logs_in_and_syncs_with_their_own_garmin_tokens(
    cli, fake: FakeGarmin, isolated_home: Path
) -> None:
    """A clinic's runner logs in once; their tokens are theirs, and the default athlete's sync stays the default's."""
    (isolated_home / "garmin" / TOKEN_FILE_NAME).unlink()  # nobody logged in yet
    assert cli("athlete", "add", "ana").exit_code == 0
    result = cli("--athlete", "ana", "garmin", "login", input=f"{fake.email}\n{fake.password}\n")
    assert result.exit_code == 0, result.stderr
    assert (isolated_home / "garmin" / "ana" / TOKEN_FILE_NAME).is_file()
    assert not (isolated_home / "garmin" / TOKEN_FILE_NAME).exists()
    add_runs(fake, range(2))
    assert cli("--athlete", "ana", "sync").exit_code == 0
    ana = json.loads(cli("--athlete", "ana", "activities", "--json").stdout)
    assert len(ana["activities"]) == 2
    assert cli("sync").exit_code == 2  # the default athlete has not logged in
    assert json.loads(cli("activities", "--json").stdout)["activities"] == []
