"""`advisor activities` and `advisor activity ...` through the real command, on files the tests write and import.

The set is what a runner's history looks like: five weeks of runs, a long name, a bike ride, a treadmill run and
a walk — 24 activities — so the listing is judged on realistic cell widths, not on one tidy row.

The files are written and imported once per module and database kind (`history`): the tests that only read use
that database (`stored`, which checks afterwards that they changed nothing), the tests that change it get a copy
of their own (`own_history`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import KEEP_ENV, _postgres_schema_url
from fitgen import track_from_segments, write_activity
from stored import copy_database, fingerprint
from typer.testing import CliRunner

from advisor.cli import cli_app

MONDAY = date(2026, 3, 2)
LONG_NAME = "Sunday long run along the river with the club, then home over the hill"


def _write(folder: Path, day: date, km: float, hour: int = 5, **kwargs) -> None:
    start = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
    speed = kwargs.pop("speed", 3.0)
    segments = kwargs.pop("segments", [(km * 1000, 0.0)])
    points = track_from_segments(segments, speed=speed, interval_s=5.0, noise_m=0.2, seed=day.toordinal() + hour)
    write_activity(folder / f"{day.isoformat()}-{hour}.fit", points, start=start, utc_offset_s=3600, **kwargs)


def write_history(folder: Path) -> date:
    """Five weeks of 8 km on Mon/Wed/Fri/Sun plus extras; returns the day of the 20 km long run (a session spike)."""
    folder.mkdir(parents=True, exist_ok=True)
    for week in range(5):
        for offset in (0, 2, 4, 6):
            _write(folder, MONDAY + timedelta(weeks=week, days=offset), 8.0)
    long_day = MONDAY + timedelta(weeks=5, days=1)
    _write(folder, long_day, 20.0, name=LONG_NAME, segments=[(10_000, 0.0), (2000, 0.08), (2000, -0.12), (6000, 0)])
    _write(folder, MONDAY + timedelta(days=1), 42.0, speed=8.0, sport="cycling", sub_sport="road", name="Ride")
    _write(folder, MONDAY + timedelta(days=3), 6.0, sport="running", sub_sport="treadmill")
    _write(folder, MONDAY + timedelta(days=5), 4.0, speed=1.4, sport="walking")
    return long_day


@dataclass(frozen=True)
class History:
    """The module's history: its files and the database they were imported into once."""

    folder: Path
    """The FIT files, in a folder named `runs`."""
    long_day: date
    """The day of the 20 km long run."""
    url: str
    """The database they were imported into, shared by the tests that only read it."""


def _import_once(folder: Path, url: str, home: Path) -> None:
    """`advisor import FOLDER` into `url`, in this process, with an environment of its own (module fixtures run
    outside any test's `isolated_home`)."""
    with pytest.MonkeyPatch.context() as env:
        for key in list(os.environ):
            if key.startswith("ADVISOR_") and key not in KEEP_ENV:
                env.delenv(key)
        env.setenv("ADVISOR_HOME", str(home))
        env.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
        env.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
        env.setenv("ADVISOR_DATABASE__URL", url)
        result = CliRunner().invoke(cli_app(), ["import", str(folder), "--json", "--jobs", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["imported"] == 24


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """The 24 activities, written and imported once for the module on each kind of database."""
    root = tmp_path_factory.mktemp("history")
    long_day = write_history(root / "runs")
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'history.db'}"
        _import_once(root / "runs", url, root / "home")
        yield History(root / "runs", long_day, url)
        return
    schema = _postgres_schema_url()
    url = next(schema)
    try:
        _import_once(root / "runs", url, root / "home")
        yield History(root / "runs", long_day, url)
    finally:
        next(schema, None)  # drops the schema


@pytest.fixture
def database_url(history: History) -> str:
    """Overrides conftest's: the `cli` of this module runs on the shared history (`own_history` moves it to a
    copy)."""
    return history.url


@pytest.fixture
def stored(cli, history: History) -> Iterator[date]:
    """The shared history, for a test that only reads it; the day of its long run. A test that changed it would
    change every later test's history, so it fails here and must ask for `own_history` instead."""
    before = fingerprint(history.url)
    yield history.long_day
    assert fingerprint(history.url) == before, "this test changed the shared history: use `own_history`"


@pytest.fixture
def own_history(cli, history: History, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[date]:
    """A copy of the history for a test that changes it, its own; the day of its long run."""
    if history.url.startswith("sqlite"):
        isolated_home.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{isolated_home / 'advisor.db'}"
        copy_database(history.url, url)
        monkeypatch.setenv("ADVISOR_DATABASE__URL", url)
        yield history.long_day
        return
    schema = _postgres_schema_url()
    url = next(schema)
    try:
        copy_database(history.url, url)
        monkeypatch.setenv("ADVISOR_DATABASE__URL", url)
        yield history.long_day
    finally:
        next(schema, None)


def listed(cli, *args: str) -> list[dict]:
    result = cli("activities", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["activities"]


def by_sport(cli, sport: str) -> dict:
    return next(a for a in listed(cli) if a["sport"] == sport)


@pytest.mark.parametrize("columns", ["80", "120", "150", "200"])
def test_listing_fits_the_terminal_without_cutting_a_cell(cli, stored: date, monkeypatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    result = cli("activities")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= int(columns)
    assert "24 activities" in out
    assert "42.00" in out and "20.00" in out  # the ride's and the long run's distance, whole
    assert "km/h" in out  # the ride shows a speed
    assert "/km" in out  # the runs show a pace
    assert "run/treadmill" in out  # the sport column is always there
    if columns != "80":
        assert "HR" in out and "run/treadmill" in out and "ride/road" in out
    if columns in ("150", "200"):
        assert "name" in out.splitlines()[1]
        # the whole name, on one line or folded over lines, but never cut
        assert LONG_NAME.replace(" ", "") in out.replace(" ", "").replace("\n", "")


def test_pace_for_feet_speed_for_bikes(cli, stored: date, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    lines = cli("activities").stdout.splitlines()
    ride = next(line for line in lines if "ride/road" in line)
    walk = next(line for line in lines if " walk " in line)
    assert "28.8 km/h" in ride and "/km" not in ride
    assert "/km" in walk and "km/h" not in walk


def test_units_mi_show_miles_and_feet(cli, stored: date, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("ADVISOR_PROFILE__UNITS", "mi")
    out = cli("activities", "--sport", "cycling").stdout
    assert "26.10" in out and "17.9 mph" in out  # 42 km
    assert json.loads(cli("activities", "--json", "--sport", "cycling").stdout)["activities"][0]["distance_km"] == (
        pytest.approx(42.0, abs=0.1)
    )


def test_limit_and_sport(cli, stored: date) -> None:
    everything = listed(cli)
    last3 = listed(cli, "--limit", "3")
    assert [a["id"] for a in last3] == [a["id"] for a in everything[-3:]]
    assert {a["sport"] for a in listed(cli, "--sport", "cycling")} == {"cycling"}
    runs = listed(cli, "--sport", "run")
    assert len(runs) == 22 and {a["sport"] for a in runs} == {"running"}
    assert [a["sub_sport"] for a in listed(cli, "--sport", "treadmill")] == ["treadmill"]
    assert len(listed(cli, "--sport", "foot")) == 23
    since = listed(cli, "--since", (MONDAY + timedelta(weeks=4)).isoformat(), "--sport", "run")
    assert len(since) == 5
    assert cli("activities", "--limit", "0").exit_code == 2


def test_activity_detail_shows_the_run_and_its_file(cli, stored: date, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    long_run = next(a for a in listed(cli) if a["name"] == LONG_NAME)
    result = cli("activity", str(long_run["id"]))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    for expected in (
        "distance",
        "20.00 km",
        "pace",
        "/km",
        "climb",
        "descent",
        "steeper than -5 %",
        "steeper than -10 %",
        "cadence",
        "steps/min",
        "load",
        "the file's totals",
    ):
        assert expected in out, expected
    assert f"runs/{stored.isoformat()}-5.fit" in out.replace("\n", "")  # a long path folds, whole
    assert "Excluded" not in out
    document = json.loads(cli("activity", str(long_run["id"]), "--json").stdout)
    assert document["distance_steep10_m"] == pytest.approx(2000, rel=0.15)
    assert document["descent_steep10_m"] > 150
    assert document["session"]["distance_m"] == pytest.approx(20_000, rel=0.01)
    assert [Path(f["name"]).name for f in document["source_files"]] == [f"{stored.isoformat()}-5.fit"]
    assert document["excluded"] is False and document["file_sport"] is None


def test_unknown_activity_is_one_sentence(cli, stored: date) -> None:
    for args in (("activity", "9999"), ("activity", "exclude", "9999"), ("activity", "set", "9999", "--sport", "x")):
        result = cli(*args)
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1


def status(cli, as_of: date) -> dict:
    result = cli("status", "--as-of", as_of.isoformat(), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def week_of(report: dict, day: date) -> dict:
    return next(w for w in report["weeks"] if date.fromisoformat(w["start"]) <= day <= date.fromisoformat(w["end"]))


def test_exclude_takes_a_run_out_of_every_count_and_include_brings_it_back(cli, own_history: date) -> None:
    long_day = own_history
    long_run = next(a for a in listed(cli) if a["name"] == LONG_NAME)
    before = status(cli, long_day)
    assert "session_spike" in [f["code"] for f in before["flags"]]
    week_before = week_of(before, long_day)["distance_m"]

    result = cli("activity", "exclude", str(long_run["id"]))
    assert result.exit_code == 0 and "counts nowhere" in result.stdout
    after = status(cli, long_day)
    assert "session_spike" not in [f["code"] for f in after["flags"]]
    assert week_of(after, long_day)["distance_m"] == pytest.approx(week_before - long_run["distance_m"], abs=1)
    detail = cli("activity", str(long_run["id"]))
    assert "Excluded" in detail.stdout and "counts nowhere" in detail.stdout
    assert json.loads(cli("activity", str(long_run["id"]), "--json").stdout)["excluded"] is True
    assert next(a for a in listed(cli) if a["id"] == long_run["id"])["excluded"] is True

    assert cli("activity", "include", str(long_run["id"])).exit_code == 0
    again = status(cli, long_day)
    assert "session_spike" in [f["code"] for f in again["flags"]]
    assert week_of(again, long_day)["distance_m"] == pytest.approx(week_before, abs=1)


def test_reimporting_an_excluded_activity_stays_a_duplicate(cli, own_history: date, history: History) -> None:
    long_run = next(a for a in listed(cli) if a["name"] == LONG_NAME)
    cli("activity", "exclude", str(long_run["id"]))
    again = cli("import", str(history.folder / f"{own_history.isoformat()}-5.fit"), "--json")
    assert json.loads(again.stdout)["files"][0]["status"] == "duplicate"
    assert json.loads(cli("activity", str(long_run["id"]), "--json").stdout)["excluded"] is True


def test_setting_a_run_to_cycling_takes_it_out_of_running(cli, own_history: date) -> None:
    day = MONDAY + timedelta(weeks=4, days=2)
    run = next(a for a in listed(cli) if a["local_date"] == day.isoformat())
    before = week_of(status(cli, day), day)["distance_m"]

    result = cli("activity", "set", str(run["id"]), "--sport", "cycling")
    assert result.exit_code == 0, result.stderr
    assert "its file said running" in result.stdout
    assert week_of(status(cli, day), day)["distance_m"] == pytest.approx(before - run["distance_m"], abs=1)
    changed = json.loads(cli("activity", str(run["id"]), "--json").stdout)
    assert (changed["sport"], changed["file_sport"], changed["file_sub_sport"]) == ("cycling", "running", "generic")
    assert changed["avg_cadence_spm"] == pytest.approx(run["avg_cadence_spm"] / 2, abs=0.1)
    assert "running (you corrected it)" in cli("activity", str(run["id"])).stdout

    back = cli("activity", "set", str(run["id"]), "--sport", "running", "--sub-sport", "generic")
    assert back.exit_code == 0 and "as its file says" in back.stdout
    restored = json.loads(cli("activity", str(run["id"]), "--json").stdout)
    assert (restored["sport"], restored["file_sport"]) == ("running", None)
    assert restored["avg_cadence_spm"] == pytest.approx(run["avg_cadence_spm"], abs=0.1)
    assert week_of(status(cli, day), day)["distance_m"] == pytest.approx(before, abs=1)


def test_an_unknown_sport_is_refused_with_a_suggestion(cli, stored: date) -> None:
    run = listed(cli)[0]
    result = cli("activity", "set", str(run["id"]), "--sport", "runing")
    assert result.exit_code == 2
    assert "unknown sport 'runing'" in result.stderr and "running" in result.stderr
    assert json.loads(cli("activity", str(run["id"]), "--json").stdout)["sport"] == run["sport"]


def test_the_detail_names_the_flags_the_run_raised(cli, own_history: date) -> None:
    """The long run is the week's session spike: its detail says so, in words and in --json; excluded, it raises
    nothing."""
    long_run = next(a for a in listed(cli) if a["name"] == LONG_NAME)
    page = " ".join(cli("activity", str(long_run["id"])).stdout.split())
    assert "longer than your longest of the 30 days before" in page
    document = json.loads(cli("activity", str(long_run["id"]), "--json").stdout)
    assert "session_spike" in [f["code"] for f in document["flags"]]
    assert all(f["evidence"]["activity_id"] == long_run["id"] for f in document["flags"])
    other = next(a for a in listed(cli) if a["id"] != long_run["id"] and a["sport"] == "running")
    assert json.loads(cli("activity", str(other["id"]), "--json").stdout)["flags"] == []
    cli("activity", "exclude", str(long_run["id"]))
    assert json.loads(cli("activity", str(long_run["id"]), "--json").stdout)["flags"] == []
