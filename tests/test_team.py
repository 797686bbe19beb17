"""`advisor team status`: the list a physio or a coach reads on Monday, every athlete of the database at once.

Histories are stored as activity rows (the team read is what is under test, not the FIT decoder), pain, rehab,
assessments and athletes go through the real commands, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from stored import store_runs

from advisor.store.db import open_database
from advisor.store.models import Athlete, DailyStairs, SyncState

MON = date(2026, 3, 2)
W = timedelta(weeks=1)
D = timedelta(days=1)
AS_OF = MON + 5 * W + 6 * D  # Sunday of the sixth week


def weeks(monday: date, n: int, kms: list[float]) -> list[tuple[date, float]]:
    """n Mon..Sun weeks, kms[i] on day i (0: no run)."""
    return [(monday + k * W + i * D, km) for k in range(n) for i, km in enumerate(kms) if km]


QUIET = weeks(MON, 6, [5, 0, 5, 0, 5, 0, 5])  # 20 km every week, the same 5 km run


@pytest.fixture
def team(cli, database_url):
    """Adds an athlete (with `athlete add` options) and stores their runs; returns `team status --json` on demand."""

    class Team:
        url = database_url

        def add(self, name: str, runs: Iterable[tuple[date, float]] = QUIET, *options: str) -> Team:
            result = cli("athlete", "add", name, *options)
            assert result.exit_code == 0, result.stderr
            runs = list(runs)
            if runs:
                store_runs(database_url, name, runs)
            return self

        def cmd(self, name: str, *args: str) -> str:
            result = cli("--athlete", name, *args)
            assert result.exit_code == 0, result.stderr
            return result.stdout

        def status(self, as_of: date = AS_OF) -> list[dict]:
            result = cli("team", "status", "--as-of", as_of.isoformat(), "--json")
            assert result.exit_code == 0, result.stderr
            document = json.loads(result.stdout)
            assert document["as_of"] == as_of.isoformat()
            return [a for a in document["athletes"] if a["name"] != "default"]

        def line(self, name: str, as_of: date = AS_OF) -> dict:
            return next(a for a in self.status(as_of) if a["name"] == name)

    return Team()


def names(lines: list[dict]) -> list[str]:
    return [line["name"] for line in lines]


def test_swelling_is_at_the_top_with_a_referral_and_a_mileage_jump_above_a_quiet_runner(team):
    # Names chosen so that alphabetical order is the wrong answer.
    jump = weeks(MON, 5, [5, 0, 5, 0, 5, 0, 5]) + weeks(MON + 5 * W, 1, [9, 9, 9, 9, 9, 9, 9])
    team.add("abe").add("mia", jump).add("zoe")
    team.cmd("zoe", "pain", "log", "--score", "4", "--date", (AS_OF - D).isoformat(), "--swelling")

    lines = team.status()
    assert names(lines) == ["zoe", "mia", "abe"]
    zoe, mia, abe = lines
    assert zoe["referral"] and zoe["referral_urgent"] and zoe["group"] == "referral"
    assert "red_flag" in zoe["worst_flags"] and zoe["paused"] and zoe["weekly_cap_m"] is None
    assert (zoe["last_pain_score"], zoe["last_pain_date"]) == (4, (AS_OF - D).isoformat())
    assert mia["group"] == "high" and not mia["referral"]
    assert "weekly_spike" in mia["worst_flags"], mia["flags"]
    assert mia["week_distance_km"] == pytest.approx(63.0)
    assert abe["group"] == "other" and abe["worst_flags"] == [] and not abe["referral"]
    assert abe["week_distance_m"] == pytest.approx(20_000.0) and abe["weekly_cap_m"] >= 20_000.0
    assert abe["last_pain_score"] is None and abe["last_pain_date"] is None


def test_each_line_is_the_athletes_own_status_report(team):
    """The team view is a summary of `advisor --athlete NAME status`, never a second opinion."""
    jump = weeks(MON, 5, [5, 0, 5, 0, 5, 0, 5]) + weeks(MON + 5 * W, 1, [9, 9, 9, 9, 9, 9, 9])
    team.add("abe").add("mia", jump).add(
        "kim", QUIET, "--threshold", "acwr_high=1.2", "--threshold", "acwr_caution=1.1"
    )
    team.cmd("kim", "pain", "log", "--score", "2", "--date", (AS_OF - 2 * D).isoformat())
    team.cmd("kim", "rehab", "log", "--date", (AS_OF - D).isoformat())
    for line in team.status():
        report = json.loads(team.cmd(line["name"], "status", "--as-of", AS_OF.isoformat(), "--json"))
        assert [(f["code"], f["severity"]) for f in report["flags"]] == [
            (f["code"], f["severity"]) for f in line["flags"]
        ]
        assert line["weekly_cap_m"] == pytest.approx(report["caps"]["weekly_distance_m"], abs=0.1)
        assert line["referral"] == ("see_clinician" in [a["code"] for a in report["advice"]])
        assert line["paused"] == report["paused"]


def test_a_runners_own_threshold_flags_them_where_the_default_does_not(team):
    # 5 km runs, then one of 5.4 km: 8 % longer than the longest of the 30 days before, under the default 10 %.
    history = [*weeks(MON, 5, [5, 0, 5, 0, 5, 0, 5]), (AS_OF - D, 5.4)]
    team.add("deb", history).add("eve", history, "--threshold", "session_spike_small_pct=5")

    deb, eve = team.line("deb"), team.line("eve")
    assert "session_spike" not in [f["code"] for f in deb["flags"]]
    assert "session_spike" in [f["code"] for f in eve["flags"]]
    assert deb["week_distance_m"] == eve["week_distance_m"]


def test_red_flag_outranks_a_high_flag_and_clearance_moves_the_runner_down(team):
    team.add("bob").add("cat")
    team.cmd("bob", "pain", "log", "--score", "2", "--date", (AS_OF - 20 * D).isoformat(), "--giving-way")
    assert names(team.status())[:1] == ["bob"]
    team.cmd("bob", "pain", "assessed", "--date", (AS_OF - 18 * D).isoformat(), "--cleared")
    bob = team.line("bob")
    assert "red_flag" not in [f["code"] for f in bob["flags"]]


def test_text_lists_every_athlete_in_their_own_units(team, cli):
    team.add("ann", QUIET, "--units", "mi").add("ben")
    team.cmd("ben", "pain", "log", "--score", "3", "--date", (AS_OF - D).isoformat())
    result = cli("team", "status", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert all(len(row) <= 80 for row in out.splitlines()), out
    ann = next(row for row in out.splitlines() if row.strip().startswith("ann"))
    ben = next(row for row in out.splitlines() if row.strip().startswith("ben"))
    assert "12.4/" in ann and " mi " in ann  # 20 km = 12.4 mi
    assert "20.0/" in ben and " km " in ben and "3/10 11 Apr" in ben
    assert "d file" in ann
    default = next(row for row in out.splitlines() if row.strip().startswith("default"))
    assert "never" in default


def test_future_as_of_is_refused(cli):
    result = cli("team", "status", "--as-of", "2999-01-01")
    assert result.exit_code == 2 and "future" in result.stderr


def test_today_and_last_sync_are_each_athletes_own(cli, database_url, monkeypatch):
    """Without --as-of every athlete is assessed as of their own today; the last sync is Garmin's, else the import."""
    from advisor.config import load_settings
    from advisor.services.team import team_status

    for args in (["nz", "--timezone", "Pacific/Auckland"], ["uk", "--timezone", "Europe/London"], ["new"]):
        assert cli("athlete", "add", *args).exit_code == 0
    now = datetime(2026, 4, 12, 13, 0, tzinfo=UTC)  # Monday 01:00 in Auckland, Sunday 14:00 in London
    store_runs(database_url, "nz", QUIET, imported_at=now - 9 * D)
    store_runs(database_url, "uk", QUIET, imported_at=now - 9 * D)
    db = open_database(database_url)
    try:
        with db.transaction() as session:
            uk = session.scalars(select(Athlete.id).where(Athlete.name == "uk")).one()
            session.add(SyncState(athlete_id=uk, source="garmin", last_success_at=now - 2 * D))
        settings = load_settings()
        lines = {line.name: line for line in team_status(db, settings, now=now).lines}
    finally:
        db.dispose()
    assert lines["nz"].as_of == date(2026, 4, 13) and lines["uk"].as_of == date(2026, 4, 12)
    assert (lines["uk"].last_sync_source, lines["uk"].days_since_sync) == ("garmin", 2)
    assert (lines["nz"].last_sync_source, lines["nz"].days_since_sync) == ("import", 9)
    assert (lines["new"].last_sync_source, lines["new"].days_since_sync) == (None, None)


def _seed_team(url: str, settings, first: int, n: int) -> None:
    """n more athletes (numbered from `first`), each with rows in every table the team read touches."""
    from advisor.services.athletes import add_athlete
    from advisor.services.knee import PainInput, log_pain
    from advisor.services.rehab import RehabInput, log_rehab, record_assessment

    db = open_database(url)
    try:
        for i in range(first, first + n):
            info = add_athlete(db, settings, f"a{i:03d}", {"timezone": "Europe/Berlin"}, {"acwr_high": 1.6})
            log_pain(db, info.id, PainInput(score=1 + i % 3, day=AS_OF - 3 * D, swelling=i % 5 == 0), AS_OF)
            log_rehab(db, info.id, RehabInput(day=AS_OF - D), AS_OF)
            record_assessment(db, info.id, True, AS_OF - 2 * D, None, AS_OF)
            with db.transaction() as session:
                session.add(
                    DailyStairs(
                        athlete_id=info.id,
                        day=AS_OF - D,
                        source="manual",
                        floors_up=4,
                        floors_down=4,
                        steps=None,
                        updated_at=datetime.now(UTC),
                    )
                )
                session.add(SyncState(athlete_id=info.id, source="garmin", last_success_at=datetime.now(UTC)))
    finally:
        db.dispose()
    for i in range(first, first + n):
        store_runs(url, f"a{i:03d}", weeks(MON, 6, [5 + i % 4, 0, 6, 0, 5, 0, 9]))


def test_the_number_of_queries_does_not_grow_with_the_team(database_url, monkeypatch):
    from advisor.config import load_settings
    from advisor.services.team import team_status

    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    settings = load_settings()

    def statements(first: int, n_more: int) -> tuple[int, int]:
        _seed_team(database_url, settings, first, n_more)
        db = open_database(database_url)
        seen: list[str] = []

        def count_one(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            seen.append(statement)

        try:
            team_status(db, settings, AS_OF)  # the first use creates the default athlete: not part of the read
            event.listen(db.engine, "before_cursor_execute", count_one)
            lines = team_status(db, settings, AS_OF).lines
        finally:
            db.dispose()
        return len(seen), len(lines)

    few, seen_few = statements(0, 2)
    many, seen_many = statements(2, 18)
    assert (seen_few, seen_many) == (3, 21)  # with the default athlete
    assert many == few, f"{few} statements for 2 athletes, {many} for 20"
    assert few <= 9  # the athletes (and the default one's id), then one per table: 7


def test_a_days_list_once_stored_is_one_query_however_many_athletes(database_url, monkeypatch):
    """The second list of the day reads every athlete's stored line in one query (plus the default athlete's id)."""
    from advisor.config import load_settings
    from advisor.services.team import team_status

    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    settings = load_settings()
    counts = []
    for first, n in ((0, 2), (2, 18)):
        _seed_team(database_url, settings, first, n)
        db = open_database(database_url)
        seen: list[str] = []
        try:
            fresh = team_status(db, settings).lines  # the first list of the day assesses and keeps every report
            event.listen(db.engine, "before_cursor_execute", lambda *a, seen=seen: seen.append(a[2]))
            stored = team_status(db, settings).lines
        finally:
            db.dispose()
        assert stored == fresh
        counts.append(len(seen))
    assert counts == [2, 2], counts


def test_a_wide_terminal_gets_the_same_layout_rich_draws(team, cli):
    """The list is laid out by hand when it fits (Rich took 4 s for 10,000 rows): the same text as Rich's table."""
    import io

    from rich.console import Console
    from rich.table import Table

    from advisor.config import load_settings
    from advisor.render.team import HEADERS, flags_text, pain_text, print_team, referral_text, sync_text, week_text
    from advisor.services.team import team_status

    team.add("ana", QUIET)
    team.add("ben", weeks(MON, 5, [5, 0, 5, 0, 5, 0, 5]) + weeks(MON + 5 * W, 1, [10, 0, 12, 0, 10, 0, 14]))
    cli("--athlete", "ben", "pain", "log", "--score", "3", "--swelling", "--date", str(AS_OF))
    settings = load_settings()
    db = open_database(team.url)
    try:
        status = team_status(db, settings, AS_OF)
    finally:
        db.dispose()
    ours = io.StringIO()
    print_team(status, Console(file=ours, width=200))
    table = Table(box=None, padding=(0, 1), pad_edge=False)
    for header in HEADERS:
        table.add_column(header)
    for line in status.lines:
        cells = (flags_text, referral_text, week_text, pain_text, sync_text)
        table.add_row(line.name, *(cell(line) for cell in cells))
    theirs = io.StringIO()
    Console(file=theirs, width=200).print(table)
    assert ours.getvalue().splitlines()[1:-2] == theirs.getvalue().splitlines()  # less the title and 2 footers
