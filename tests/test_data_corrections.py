"""The runner's data theirs to correct (issue 19 item 4): an activity deleted for good (and its file importable
again), a rehab session logged by mistake, and stairs listed, replaced, added to and deleted — each one sentence,
each changing what the report counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fitgen import track_from_segments, write_activity

from advisor.config import load_settings


def a_run(folder: Path, days_ago: int, km: float) -> Path:
    day = load_settings().today() - timedelta(days=days_ago)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{days_ago}.fit"
    points = track_from_segments([(km * 1000, 0.0)], speed=3.0, interval_s=5.0, seed=days_ago)
    write_activity(path, points, start=datetime(day.year, day.month, day.day, 6, tzinfo=UTC))
    return path


def week_km(cli) -> float:
    return json.loads(cli("status", "--json").stdout)["weeks"][-1]["distance_km"]


def test_an_activity_deleted_for_good_counts_nowhere_and_its_file_imports_again(cli, tmp_path: Path) -> None:
    runs = [a_run(tmp_path / "runs", 1, 5.0), a_run(tmp_path / "runs", 2, 8.0)]
    assert cli("import", str(tmp_path / "runs")).exit_code == 0
    listed = json.loads(cli("activities", "--json").stdout)["activities"]
    eight = next(a["id"] for a in listed if abs(a["distance_m"] - 8000) < 100)
    before = week_km(cli)

    unasked = cli("activity", "delete", str(eight))  # no terminal to ask on: nothing deleted
    assert unasked.exit_code == 2 and "add --yes to confirm" in unasked.stderr
    assert len(json.loads(cli("activities", "--json").stdout)["activities"]) == 2

    deleted = cli("activity", "delete", str(eight), "--yes")
    assert deleted.exit_code == 0 and "Importing its file again brings it back" in deleted.stdout
    assert eight not in [a["id"] for a in json.loads(cli("activities", "--json").stdout)["activities"]]
    assert abs(week_km(cli) - (before - 8.0)) < 0.1, "the week counts 8 km less"
    again = json.loads(cli("import", str(runs[1]), "--json").stdout)
    assert [f["status"] for f in again["files"]] == ["imported"], "not a duplicate of something deleted"
    assert abs(week_km(cli) - before) < 0.1
    missing = cli("activity", "delete", "999", "--yes")
    assert missing.exit_code == 2 and "there is no activity 999" in missing.stderr


def test_a_rehab_session_logged_by_mistake_is_deleted(cli) -> None:
    assert cli("rehab", "log", "--strength").exit_code == 0
    [entry] = json.loads(cli("rehab", "list", "--json").stdout)["rehab"]
    progress = json.loads(cli("status", "--json").stdout)["rehab_progress"]
    assert progress["strength_sessions_this_week"] == 1
    assert cli("rehab", "delete", str(entry["id"])).exit_code == 0
    assert json.loads(cli("rehab", "list", "--json").stdout)["rehab"] == []
    assert json.loads(cli("status", "--json").stdout)["rehab_progress"]["strength_sessions_this_week"] == 0
    missing = cli("rehab", "delete", str(entry["id"]))
    assert missing.exit_code == 2 and f"no rehab session with id {entry['id']}" in missing.stderr


def test_stairs_logged_twice_replace_unless_added_and_can_be_listed_and_deleted(cli) -> None:
    first = cli("stairs", "log", "--floors", "10", "--date", "yesterday")
    assert first.exit_code == 0 and "replacing" not in first.stdout
    second = cli("stairs", "log", "--floors", "4", "--date", "yesterday")
    assert "replacing the 10 logged before" in second.stdout
    added = cli("stairs", "log", "--floors", "3", "--date", "yesterday", "--add")
    assert "7 in all that day" in added.stdout
    day = (load_settings().today() - timedelta(days=1)).isoformat()
    listed = cli("stairs", "list").stdout
    assert day in listed and "manual" in listed and "7 down" in listed
    assert cli("stairs", "delete", "yesterday").exit_code == 0
    assert day not in cli("stairs", "list").stdout
    none = cli("stairs", "delete", "yesterday")
    assert none.exit_code == 2 and f"you logged no floors for {day}" in none.stderr


def test_a_coachs_athlete_is_removed_with_everything_of_theirs_and_only_theirs(cli, tmp_path: Path) -> None:
    assert cli("athlete", "add", "ana").exit_code == 0
    assert cli("--athlete", "ana", "import", str(a_run(tmp_path / "ana", 1, 6.0))).exit_code == 0
    assert cli("--athlete", "ana", "pain", "log", "--score", "3").exit_code == 0
    assert cli("import", str(a_run(tmp_path / "mine", 1, 4.0))).exit_code == 0
    assert cli("pain", "log", "--score", "1").exit_code == 0

    unasked = cli("athlete", "remove", "ana")
    assert unasked.exit_code == 2 and "add --yes to confirm" in unasked.stderr
    removed = cli("athlete", "remove", "ana", "--yes")
    assert removed.exit_code == 0 and "1 activities" in removed.stdout and "1 pain entries" in removed.stdout
    assert "ana" not in cli("athlete", "list").stdout
    gone = cli("--athlete", "ana", "status")
    assert gone.exit_code == 2 and "there is no athlete named 'ana'" in gone.stderr
    mine = json.loads(cli("activities", "--json").stdout)["activities"]
    assert len(mine) == 1 and len(json.loads(cli("pain", "list", "--json").stdout)["pain"]) == 1, "mine untouched"
    default = cli("athlete", "remove", "default", "--yes")
    assert default.exit_code == 2 and "`advisor data delete` empties it" in default.stderr
    again = cli("athlete", "add", "ana")  # the name is free again, and the new ana starts empty
    assert (
        again.exit_code == 0 and json.loads(cli("--athlete", "ana", "activities", "--json").stdout)["activities"] == []
    )


def test_the_default_athletes_data_is_deleted_and_the_report_is_empty_again(cli, tmp_path: Path) -> None:
    run = a_run(tmp_path / "runs", 1, 6.0)
    assert cli("import", str(run)).exit_code == 0
    assert cli("pain", "log", "--score", "4", "--swelling").exit_code == 0
    assert json.loads(cli("status", "--json").stdout)["paused"], "the swelling pauses running"
    deleted = cli("data", "delete", "--yes")
    assert deleted.exit_code == 0 and "1 activities" in deleted.stdout and "1 pain entries" in deleted.stdout
    report = json.loads(cli("status", "--json").stdout)
    assert not report["paused"] and report["newest_data"] is None, "nothing of the old data is shown"
    assert json.loads(cli("import", str(run), "--json").stdout)["files"][0]["status"] == "imported"
