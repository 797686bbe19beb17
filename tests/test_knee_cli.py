"""`advisor pain`, `advisor stairs log` and `advisor status` through the real command and a real database.

Runs come in as FIT files the tests write and import, so the whole path — decode, metrics, store, assess — is
exercised; expectations are worked out by hand in the comments.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity

from advisor.store.db import open_database
from advisor.store.models import PainEntryRow


def import_runs(cli, folder: Path, runs: list[tuple[date, float]]) -> None:
    """One FIT file per (local date, km), started 07:00 local (+02:00), 3 m/s on the flat, 5 s recording."""
    folder.mkdir(parents=True, exist_ok=True)
    for day, km in runs:
        start = datetime(day.year, day.month, day.day, 5, 0, tzinfo=UTC)
        points = track_from_segments([(km * 1000, 0.0)], speed=3.0, interval_s=5.0)
        write_activity(folder / f"{day.isoformat()}.fit", points, start=start, utc_offset_s=7200)
    result = cli("import", str(folder), "--json")
    assert result.exit_code == 0, result.stdout


def status(cli, as_of: str) -> dict:
    result = cli("status", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def codes(items: list[dict]) -> list[str]:
    return [item["code"] for item in items]


def test_next_run_cap_and_large_spike_end_to_end(tmp_path: Path, cli) -> None:
    """A month of 6 km runs every other day with long runs built up gradually, 9 → 9.5 → 10 km (each under 10 %
    longer than the longest before it, so none is a spike): next-run cap 1.10 × 10 = 11 km. A 21 km run the next
    day is > 100 % longer than 10 km: a large session spike, and it does not raise the cap."""
    first = date(2026, 4, 1)
    long_runs = {date(2026, 4, 1): 9.0, date(2026, 4, 9): 9.5, date(2026, 4, 17): 10.0}
    runs = [(day, long_runs.get(day, 6.0)) for day in (first + timedelta(days=d) for d in range(0, 28, 2))]
    import_runs(cli, tmp_path / "month", runs)
    before = status(cli, "2026-04-29")
    assert before["caps"]["next_run_m"] == pytest.approx(11_000, abs=60)
    import_runs(cli, tmp_path / "spike", [(date(2026, 4, 30), 21.0)])
    after = status(cli, "2026-04-30")
    spike = next(f for f in after["flags"] if f["code"] == "session_spike")
    assert spike["severity"] == "high"
    assert spike["evidence"]["baseline_longest_run_m"] == pytest.approx(10_000, abs=60)
    assert after["caps"]["next_run_m"] <= 11_000 + 60


def test_pain_log_list_delete(cli, database_url: str) -> None:
    result = cli("pain", "log", "--score", "3", "--when", "morning", "--date", "2026-05-01", "--note", "<b>stairs</b>")
    assert result.exit_code == 0 and "Logged pain 3/10 (morning) on 2026-05-01" in result.stdout
    listed = json.loads(cli("pain", "list", "--json").stdout)["pain"]
    assert [(p["date"], p["when"], p["score"], p["note"]) for p in listed] == [
        ("2026-05-01", "morning", 3, "<b>stairs</b>")
    ]
    assert cli("pain", "delete", str(listed[0]["id"])).exit_code == 0
    assert json.loads(cli("pain", "list", "--json").stdout)["pain"] == []
    missing = cli("pain", "delete", "999")
    assert missing.exit_code == 2 and "no pain entry with id 999" in missing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--score", "11"], "--score must be a whole number from 0 (no pain) to 10"),
        (["--score", "-1"], "--score must be a whole number from 0 (no pain) to 10"),
        (["--score", "3", "--when", "before"], "--when must be one of during, after, morning"),
        (["--score", "3", "--date", "2999-01-01"], "is in the future"),
        (["--score", "3", "--date", "last tuesday"], "--date expects a date: YYYY-MM-DD, today, yesterday or -N"),
        (["--score", "3", "--date", "-99999"], "goes back before 1900-01-01"),
        (["--score", "3", "--date", "+2"], "--date expects a date: YYYY-MM-DD, today, yesterday or -N"),
        (["--score", "0", "--no-red-flags", "--calf"], "--no-red-flags says none of the signs is there"),
    ],
)
def test_bad_pain_input_is_one_sentence_and_stores_nothing(cli, database_url: str, args, message) -> None:
    result = cli("pain", "log", *args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    db = open_database(database_url)
    with db.transaction() as session:
        assert session.query(PainEntryRow).count() == 0
    db.dispose()


def test_dates_as_a_runner_says_them_today_yesterday_and_days_ago(cli) -> None:
    """Logging last night's pain is `--date yesterday`, three days ago `-3`: counted back from the runner's today
    (the profile's time zone), and stored as those days."""
    from advisor.config import load_settings

    today = load_settings().today()
    for typed in ("today", "yesterday", "-3", "Yesterday"):
        assert cli("pain", "log", "--score", "1", "--date", typed).exit_code == 0, typed
    logged = json.loads(cli("pain", "list", "--since", "-3", "--json").stdout)["pain"]
    days = [date.fromisoformat(p["date"]) for p in logged]
    assert sorted(days) == sorted(today - timedelta(days=n) for n in (0, 1, 3, 1))
    assert cli("status", "--as-of", "-7").exit_code == 0
    report = json.loads(cli("status", "--as-of", "-7", "--json").stdout)
    assert report["as_of"] == (today - timedelta(days=7)).isoformat()


def test_unknown_option_is_a_usage_error(cli) -> None:
    assert cli("pain", "log", "--score", "2", "--mood", "bad").exit_code == 2


def test_a_same_day_sign_answers_get_seen_today_at_once_and_leads_the_report(cli) -> None:
    """PRODUCT.md "Same-day signs": a hot, red knee or a fever is "get seen today (urgent care)" — the moment it is
    logged, and at the top of the report, above everything, with running paused as a red flag pauses it."""
    logged = cli("pain", "log", "--score", "4", "--date", "2026-05-01", "--hot-red")
    assert logged.exit_code == 0 and "Get seen today (urgent care): a hot, red knee or a fever" in logged.stdout
    report = status(cli, "2026-05-01")
    first = report["advice"][0]
    assert first["code"] == "see_clinician" and first["message"].startswith("Get seen today (urgent care)")
    assert first["numbers"]["urgent"] is True and first["numbers"]["same_day"] is True
    assert report["paused"] is True and report["phase"]["code"] == "paused" and report["today"]["kind"] == "rest"
    assert "get seen today" in report["phase"]["reason"]
    listed = json.loads(cli("pain", "list", "--json").stdout)["pain"]
    assert listed[0]["hot_red_or_fever"] is True and listed[0]["calf_pain"] is False
    swelling = cli("pain", "log", "--score", "2", "--date", "2026-05-01", "--swelling")
    assert "red flag: stop running" in swelling.stdout and "urgent care" not in swelling.stdout


def test_swelling_puts_see_clinician_first_and_pauses_running(cli) -> None:
    cli("pain", "log", "--score", "2", "--date", "2026-05-01", "--swelling")
    report = status(cli, "2026-05-02")
    assert report["advice"][0]["code"] == "see_clinician"
    assert "red_flag" in codes(report["flags"])
    assert report["paused"] is True


def test_stairs_log_shows_in_the_weeks(cli) -> None:
    assert cli("stairs", "log", "--floors", "40", "--date", "2026-05-04").exit_code == 0
    report = status(cli, "2026-05-06")
    week = next(w for w in report["weeks"] if w["week"] == "2026-W19")
    assert week["floors_descended"] == pytest.approx(40)
    bad = cli("stairs", "log", "--floors", "-3")
    assert bad.exit_code == 2 and "--floors must be zero or more" in bad.stderr


def test_status_is_reproducible_and_ignores_later_data(tmp_path: Path, cli) -> None:
    import_runs(cli, tmp_path / "a", [(date(2026, 3, 2) + timedelta(days=d), 5.0) for d in range(0, 21, 3)])
    first = status(cli, "2026-03-20")
    assert status(cli, "2026-03-20") == first
    import_runs(cli, tmp_path / "b", [(date(2026, 3, 25), 30.0)])
    cli("pain", "log", "--score", "7", "--date", "2026-03-25")
    assert status(cli, "2026-03-20") == first


def test_status_page_on_a_terminal_leads_with_the_decision_and_full_adds_the_rest(tmp_path: Path, cli) -> None:
    import_runs(cli, tmp_path / "a", [(date(2026, 3, 2), 8.0)])
    cli("pain", "log", "--score", "4", "--date", "2026-03-03")
    result = cli("status", "--as-of", "2026-03-04")
    assert result.exit_code == 0
    page = result.stdout
    for expected in ("2026-W10", "CAUTION", "Next 7 days", "Longest run", "Rehab: step 1", "not a diagnosis"):
        assert expected in page, expected
    assert "Clamshell" not in page and "Last 8 weeks" not in page
    full = cli("status", "--as-of", "2026-03-04", "--full").stdout
    for expected in ("Last 8 weeks", "Sources", "Silbernagel", "Clamshell", "Figure-four", "Step 3"):
        assert expected in full, expected


def test_status_fits_an_80_by_24_terminal_with_the_caps_on_it(tmp_path: Path, cli, monkeypatch) -> None:
    """Eight weeks of running with a long-run jump, low cadence from the watch and pain logged: several flags,
    and still the caps (each with the dates it covers and its reason), rest days and the routine's progress fit
    on one 80 × 24 screen, the caps before the flags, no sentence twice."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    first = date(2026, 3, 2)
    runs = [(first + timedelta(days=d), 6.0) for d in range(0, 56, 2)]
    runs.append((first + timedelta(days=57), 14.0))
    import_runs(cli, tmp_path / "a", runs)
    cli("pain", "log", "--score", "4", "--date", "2026-04-27")
    page = cli("status", "--as-of", "2026-04-28").stdout
    lines = page.rstrip("\n").splitlines()
    assert len(lines) <= 24, page
    assert all(len(line) <= 80 for line in lines), page
    for expected in ("Next 7 days, to Mon 4 May: at most", "Longest run: at most", "rest day", "Rehab: step"):
        assert expected in page, page
    joined = " ".join(lines)
    assert re.search(r"Next 7 days, to Mon 4 May: at most [\d.]+ km — \w", joined), "the weekly cap's reason"
    assert re.search(r"Longest run: at most [\d.]+ km — \w", joined), "the longest run's reason"
    assert page.index("Next 7 days") < page.index("CAUTION"), "the caps come before the flags"
    sentences = [s.strip() for s in page.replace("\n", " ").split(". ") if len(s.strip()) > 30]
    assert len(sentences) == len(set(sentences)), page


def test_old_or_missing_data_says_so_and_a_future_as_of_is_refused(tmp_path: Path, cli) -> None:
    empty = cli("status", "--as-of", "2026-05-20").stdout
    assert (
        "No activities yet: `advisor import PATH`, or `advisor sync` for Garmin; and `advisor profile set`"
        in " ".join(empty.split())
    )
    import_runs(cli, tmp_path / "a", [(date(2026, 5, 14), 8.0)])
    old = cli("status", "--as-of", "2026-11-20").stdout
    assert "Your newest run is from 14 May 2026; use `--as-of 2026-05-14` to see that week." in old
    future = cli("status", "--as-of", "2099-01-01")
    assert future.exit_code == 2 and "in the future" in future.stderr


def test_a_database_that_cannot_be_written_is_one_sentence(tmp_path: Path, cli, monkeypatch) -> None:
    """The installed command, not the in-process app: a write that fails mid-command is one line and exit 1."""
    import os
    import subprocess
    import sys

    database = tmp_path / "own.db"
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{database}")
    assert cli("pain", "list").exit_code == 0  # creates and migrates the database
    env = {**os.environ, "ADVISOR_DATABASE__URL": f"sqlite:///file:{database}?mode=ro&uri=true"}
    result = subprocess.run(
        [sys.executable, "-m", "advisor", "pain", "log", "--score", "3"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.startswith("advisor: cannot use the database") and "nothing half-written" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_text_follows_profile_units_and_json_stays_si(tmp_path: Path, cli, monkeypatch) -> None:
    """A runner in miles reads miles in every sentence and cap row; --json keeps metres (plus km)."""
    runs = [(date(2026, 3, 2) + timedelta(days=d), 8.0) for d in range(0, 28, 2)]
    import_runs(cli, tmp_path / "a", runs)
    before = status(cli, "2026-03-28")
    monkeypatch.setenv("ADVISOR_PROFILE__UNITS", "mi")
    page = cli("status", "--as-of", "2026-03-28").stdout
    # next run 1.1 × 8 km = 8.8 km = 5.47 mi, shown to one decimal; the cap sentence (in --json) says 5.47 mi
    assert "5.5 mi" in page and " km" not in page
    monkeypatch.setenv("COLUMNS", "200")
    full = json.loads(cli("status", "--as-of", "2026-03-28", "--json").stdout)
    assert "5.47 mi" in next(a["message"] for a in full["advice"] if a["code"] == "cap_next_run")
    numbers = lambda caps: {k: v for k, v in caps.items() if not k.endswith("_reason")}  # noqa: E731
    assert numbers(status(cli, "2026-03-28")["caps"]) == numbers(before["caps"])  # the reasons are in the units
