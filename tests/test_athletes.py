"""A coach's athletes on one database: each their own profile, inbox, Garmin folder, email and daemon claim.

Real parts: SQLite and PostgreSQL, the CLI in-process and as processes, FIT files the tests write into the inbox,
and a real SMTP server on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ProcessOutput
from fitgen import Point, track_from_segments, write_activity
from smtp_server import SmtpTestServer

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services.athletes import add_athlete
from advisor.store.jobruns import list_job_runs
from jobs.daemon import run_once
from jobs.roster import NobodyToServe, Roster


def test_an_athlete_is_added_listed_shown_and_changed(cli) -> None:
    added = cli("athlete", "add", "ana", "--email", "ana@example.org", "--timezone", "Europe/Berlin", "--max-hr", "182")
    assert added.exit_code == 0, added.stderr
    assert "inbox/ana" in added.stdout
    cli("athlete", "add", "ben", "--units", "mi", "--threshold", "acwr_high=1.4")
    listed = json.loads(cli("athlete", "list", "--json").stdout)["athletes"]
    assert [a["name"] for a in listed] == ["default", "ana", "ben"]
    ana = json.loads(cli("athlete", "show", "ana", "--json").stdout)
    assert ana["profile"]["timezone"] == "Europe/Berlin" and ana["profile"]["max_hr"] == 182
    assert ana["profile"]["resting_hr"] == 60  # not given: the config file's [profile]
    assert ana["own_profile"] == {"email": "ana@example.org", "timezone": "Europe/Berlin", "max_hr": 182}
    changed = cli("athlete", "set", "ben", "--clear", "acwr_high", "--clear", "units", "--max-hr", "175")
    assert changed.exit_code == 0, changed.stderr
    ben = json.loads(cli("athlete", "show", "ben", "--json").stdout)
    assert ben["own_thresholds"] == {} and ben["profile"]["units"] == "km" and ben["own_profile"] == {"max_hr": 175}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("athlete", "add", "ana"), "exists already"),
        (("athlete", "add", "Ana"), "an athlete named 'ana' exists already: names that differ only in case"),
        (("athlete", "add", "DEFAULT"), "an athlete named 'default' exists already"),
        (("athlete", "add", "../etc"), "not allowed"),
        (("athlete", "add", "processed"), "not allowed"),
        (("athlete", "add", "cy", "--timezone", "Mars/Olympus"), "unknown time zone"),
        (("athlete", "add", "cy", "--max-hr", "400"), "max_hr"),
        (("athlete", "add", "cy", "--threshold", "acwr_hihg=1.2"), "not a known key"),
        (("athlete", "add", "cy", "--threshold", "acwr_high"), "KEY=NUMBER"),
        (("athlete", "set", "default", "--max-hr", "170"), "config file"),
        (("athlete", "set", "zoe", "--max-hr", "170"), "no athlete named 'zoe'"),
        (("--athlete", "zoe", "status"), "no athlete named 'zoe'"),
    ],
)
def test_bad_athlete_input_is_one_sentence_and_changes_nothing(cli, args: tuple[str, ...], words: str) -> None:
    cli("athlete", "add", "ana")
    before = cli("athlete", "list", "--json").stdout
    result = cli(*args)
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli("athlete", "list", "--json").stdout == before


def test_athlete_option_anywhere_and_from_the_environment(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("athlete", "add", "ana")
    assert cli("pain", "log", "--score", "4", "--note", "ana's knee", "--athlete", "ana").exit_code == 0
    assert cli("--athlete", "ana", "pain", "log", "--score", "2", "--note", "ana again").exit_code == 0
    assert cli("pain", "log", "--score", "6", "--note", "the default runner").exit_code == 0
    monkeypatch.setenv("ADVISOR_ATHLETE", "ana")
    ana = cli("pain", "list").stdout
    assert "ana's knee" in ana and "ana again" in ana and "the default runner" not in ana
    monkeypatch.delenv("ADVISOR_ATHLETE")
    default = cli("pain", "list").stdout
    assert "the default runner" in default and "ana" not in default


def test_own_thresholds_and_time_zone_reach_the_report(cli, tmp_path: Path) -> None:
    """The same week of running, two athletes: a physio lowered ben's acute:chronic limit, so only ben is flagged."""
    cli("athlete", "add", "ben", "--threshold", "acwr_high=1.05", "--threshold", "acwr_caution=1.0")
    cli("athlete", "add", "ana", "--timezone", "Pacific/Kiritimati")  # UTC+14: already tomorrow
    start = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    files = []
    for day in range(42):  # six weeks of 5 km a day, then a week of 10 km a day
        km = 10.0 if day >= 35 else 5.0
        path = tmp_path / f"run{day:02}.fit"
        write_activity(path, _flat(km), start=start + timedelta(days=day), serial_number=1000 + day)
        files.append(str(path))
    for who in ("default", "ben"):  # one decoding worker: the pool is not what this test is about
        assert cli("--athlete", who, "import", "--jobs", "1", *files).exit_code == 0
    as_of = "2026-04-12"
    default = json.loads(cli("status", "--json", "--as-of", as_of).stdout)
    ben = json.loads(cli("--athlete", "ben", "status", "--json", "--as-of", as_of).stdout)
    default_weekly = [f for f in default["flags"] if f["code"] == "weekly_spike"]
    ben_weekly = [f for f in ben["flags"] if f["code"] == "weekly_spike"]
    assert ben_weekly and ben_weekly[0]["severity"] == "high"
    assert not default_weekly or default_weekly[0]["severity"] != "high"
    # ana's "today" is her own: in Kiritimati it is a day ahead of UTC for most of the day
    ana_today = datetime.now(UTC).astimezone(load_settings(profile={"timezone": "Pacific/Kiritimati"}).tz).date()
    assert json.loads(cli("--athlete", "ana", "status", "--json").stdout)["as_of"] == ana_today.isoformat()


def _flat(km: float) -> list[Point]:
    """A flat run at 3 m/s recorded every 5 s: the same distance and time as every 1 s, a fifth of the samples."""
    return track_from_segments([(km * 1000, 0.0)], speed=3.0, noise_m=0.0, seed=1, interval_s=5.0)


def test_each_athlete_has_an_inbox_folder_and_a_garmin_folder(database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    settings = load_settings()
    main = Runtime(settings)
    add_athlete(main.db, settings, "ana", {}, {})
    ana = Runtime.for_athlete(settings, "ana", db=main.db)
    assert ana.settings.inbox_path == settings.inbox_path / "ana"
    assert ana.settings.garmin_token_dir == settings.garmin_token_dir / "ana"
    start = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
    (settings.inbox_path / "ana").mkdir(parents=True)
    write_activity(settings.inbox_path / "ana" / "ana.fit", start=start, serial_number=11)
    write_activity(settings.inbox_path / "mine.fit", start=start + timedelta(hours=3), serial_number=12)
    old = time.time() - 3600  # settled files: the inbox imports only what has stopped changing
    for path in settings.inbox_path.rglob("*.fit"):
        os.utime(path, (old, old))

    assert run_once(settings) == 0  # one run, every athlete

    from advisor.services.activities import list_activities

    ana_runs = list_activities(main.db, ana.athlete_id)
    mine = list_activities(main.db, main.athlete_id)
    assert [a.start_utc for a in ana_runs] == [start]
    assert [a.start_utc for a in mine] == [start + timedelta(hours=3)]
    assert (settings.inbox_path / "processed" / "mine.fit").exists()
    assert (settings.inbox_path / "ana" / "processed" / "ana.fit").exists()
    ana.close()
    main.close()


def test_two_daemons_never_serve_one_athlete(database_url: str, monkeypatch) -> None:
    """The database decides who serves whom: a second daemon's roster gets only athletes nobody holds."""
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    settings = load_settings()
    main = Runtime(settings)
    add_athlete(main.db, settings, "ana", {}, {})
    first = Roster(settings, main.db)
    first.start()
    other_db = Runtime(settings)  # another engine: another connection, as another machine would have
    second = Roster(settings, other_db.db)
    with pytest.raises(NobodyToServe):
        second.start()
    add_athlete(main.db, settings, "ben", {}, {})
    names = {rt.athlete_name for rt in second.refresh()} | {rt.athlete_name for rt in first.refresh()}
    assert names == {"ben"}
    served = [sorted(rt.athlete_name for rt in roster) for roster in (first, second)]
    if database_url.startswith("sqlite"):
        assert served == [["ana", "ben", "default"], []]  # one daemon per SQLite file
    else:
        assert served == [["ana", "default"], ["ben"]]
    first.release()
    third = Roster(settings, other_db.db)  # the first daemon is gone: its athletes are free again
    assert {rt.athlete_name for rt in third.start()} >= {"ana", "default"}
    for roster in (second, third):
        roster.release()
    other_db.close()
    main.close()


@pytest.mark.postgres
def test_a_daemon_on_another_home_shares_the_athletes_through_the_queue(tmp_path: Path, postgres_url: str) -> None:
    """On PostgreSQL nobody claims athletes any more (issue 25 item 4): the work goes through the job queue, whose
    per-athlete lock keeps one athlete's tasks one at a time, so a second home's `daemon --once` is not refused."""
    database_url = postgres_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    server = env | {"ADVISOR_HOME": str(tmp_path / "server"), "ADVISOR_DATABASE__URL": database_url}
    laptop = env | {"ADVISOR_HOME": str(tmp_path / "laptop"), "ADVISOR_DATABASE__URL": database_url}
    _advisor_here("athlete", "add", "ana", env=server)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "advisor", "daemon"], env=server, stderr=subprocess.PIPE, text=True
    )
    assert daemon.stderr is not None
    log = ProcessOutput(daemon.stderr)
    try:
        log.wait_for("The advisor daemon started", 60)
        shared = subprocess.run(
            [sys.executable, "-m", "advisor", "daemon", "--once"], env=laptop, capture_output=True, text=True
        )
        assert shared.returncode == 0, shared.stderr
        _advisor_here("athlete", "add", "ben", env=laptop)
        ben = subprocess.run(
            [sys.executable, "-m", "advisor", "--athlete", "ben", "daemon", "--once"],
            env=laptop,
            capture_output=True,
            text=True,
        )
        assert ben.returncode == 0, ben.stderr
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    assert daemon.returncode == 0
    settings = load_settings(database={"url": database_url})
    rt = Runtime(settings)
    names = {r.name for r in list_job_runs(rt.db, every_athlete=True)}
    rt.close()
    assert {"inbox", "inbox:ana", "inbox:ben"} <= names


def _advisor_here(*args: str, env: dict[str, str]) -> None:
    """`advisor ARGS` in this process on another home's environment: the setup steps, where a process of their own
    would cost a second each and prove nothing the test is about."""
    from typer.testing import CliRunner

    from advisor.cli import cli_app

    result = CliRunner().invoke(cli_app(), list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


def test_each_athlete_gets_their_own_weekly_email(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpTestServer("none", auth_required=False) as smtp:
        monkeypatch.setenv("ADVISOR_SMTP__HOST", smtp.host)
        monkeypatch.setenv("ADVISOR_SMTP__PORT", str(smtp.port))
        monkeypatch.setenv("ADVISOR_SMTP__SECURITY", "none")
        monkeypatch.setenv("ADVISOR_PROFILE__EMAIL", "me@example.org")
        cli("athlete", "add", "ana", "--email", "ana@example.org")
        cli("athlete", "add", "ben")  # no email of his own: the config's, like every other profile value
        for who in ("default", "ana", "ben"):
            result = cli("--athlete", who, "summary", "--week", "2026-W10", "--send")
            assert result.exit_code == 0, result.stderr
        assert cli("--athlete", "ana", "summary", "--week", "2026-W10", "--send").exit_code == 0  # never twice
        assert sorted(m.rcpt_tos for m in smtp.messages) == [
            ("ana@example.org",),
            ("me@example.org",),
            ("me@example.org",),
        ]


def test_the_web_page_of_one_athlete_shows_and_stores_only_theirs(cli, database_url: str, monkeypatch) -> None:
    from starlette.testclient import TestClient

    from advisor.web.app import create_app

    cli("athlete", "add", "ana")
    cli("pain", "log", "--score", "5", "--note", "the default runner's knee")
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    settings = load_settings()
    ana = Runtime.for_athlete(settings, "ana")
    with TestClient(create_app(ana.settings, runtime=ana)) as client:
        page = client.get("/pain").text
        assert "the default runner" not in page
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        fields = {"csrf_token": token, "score": "3", "when": "after", "note": "ana from her phone"}
        stored = client.post("/pain", data=fields)
        assert stored.status_code in (200, 303)
    ana.close()
    assert "ana from her phone" in cli("--athlete", "ana", "pain", "list").stdout
    assert "ana from her phone" not in cli("pain", "list").stdout


@pytest.mark.postgres
def test_daemons_of_two_schemas_on_one_server_do_not_block_each_other(postgres_url: str) -> None:
    """Advisory locks belong to the whole database: athlete 1 of one schema must not hold athlete 1 of another."""
    database_url = postgres_url
    from conftest import _postgres_schema_url

    other_schema = _postgres_schema_url()
    other_url = next(other_schema)
    try:
        rosters = []
        for url in (database_url, other_url):
            settings = load_settings(database={"url": url})
            rt = Runtime(settings)
            roster = Roster(settings, rt.db)
            assert [r.athlete_id for r in roster.start()] == [1]  # the default athlete, id 1 in both schemas
            rosters.append((roster, rt))
        for roster, rt in rosters:
            roster.release()
            rt.close()
    finally:
        other_schema.close()
