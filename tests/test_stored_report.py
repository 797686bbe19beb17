"""The stored report is never stale: after every write a runner or a coach can make, through the CLI and through the
web page, what the screens show equals a fresh assessment of the whole history, on SQLite and on PostgreSQL.

Each step is a write that changes the advice (checked: the fresh report differs from the one before it), made after
the report was stored: a write that failed to mark it stale would show the runner the report of before — the
swelling they just logged with yesterday's "run up to 8 km".
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity
from starlette.testclient import TestClient
from stored import store_runs
from test_web import csrf

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services.current import report_for, report_key
from advisor.services.knee import assess_history, list_pain
from advisor.store.stored_reports import Computed, read_stored, save_reports
from advisor.web.app import create_app


class Walk:
    """One athlete's screens and store, checked after each write."""

    def __init__(self, cli, athlete: str | None = None) -> None:
        self.cli = cli
        self.athlete = athlete
        self.before: dict | None = None

    def runtime(self) -> Runtime:
        return Runtime.for_athlete(load_settings(), self.athlete)

    def status(self) -> dict:
        pre = ["--athlete", self.athlete] if self.athlete else []
        result = self.cli(*pre, "status", "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def check(self, step: str, *, changes: bool = True) -> None:
        """What `status` shows, and what is stored, equal a fresh assessment; the step changed the advice."""
        rt = self.runtime()
        try:
            today = rt.settings.today()
            fresh = assess_history(rt.db, rt.athlete_id, rt.settings, today).model_dump(mode="json")
            shown = self.status()
            assert shown == fresh, f"after {step}, status showed a stale report"
            stored = read_stored(rt.db, rt.athlete_id)
            assert stored.current_for(report_key(rt.settings, today)), f"after {step}, status kept no report"
            assert json.loads(stored.report) == fresh, f"after {step}, the stored report is stale"
            if changes:
                assert fresh != self.before, f"{step} changed nothing the test could see"
            self.before = fresh
        finally:
            rt.close()


def fit_run(tmp_path: Path, day: date, km: float, name: str = "long.fit") -> Path:
    start = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
    points = track_from_segments([(km * 1000.0, 0.0)], speed=3.0, interval_s=10.0, noise_m=0.2, seed=3)
    path = tmp_path / name
    write_activity(path, points, start=start, utc_offset_s=0)
    return path


def weeks_of_runs(today: date) -> list[tuple[date, float]]:
    """Six weeks of 6 km runs, Monday, Wednesday and Saturday, none in the last three days."""
    return [
        (today - timedelta(days=d), 6.0) for d in range(3, 43) if (today - timedelta(days=d)).weekday() in (0, 2, 5)
    ]


def test_every_cli_write_leaves_no_stale_report(cli, database_url: str, isolated_home: Path, tmp_path: Path) -> None:
    walk = Walk(cli)
    today = load_settings().today()
    walk.check("a first status on an empty home", changes=False)
    cli("athlete", "list")  # creates the default athlete row, as any first use does
    store_runs(database_url, "default", weeks_of_runs(today))
    walk.check("six weeks of runs stored")

    result = cli("import", str(fit_run(tmp_path, today - timedelta(days=1), 16.0)))
    assert result.exit_code == 0, result.stderr
    walk.check("importing a run of 16 km, far longer than usual")
    [activity_id] = [
        a["id"] for a in json.loads(cli("activities", "--json").stdout)["activities"] if a["distance_m"] > 15000
    ]

    for step, args in [
        ("excluding it", ("activity", "exclude", str(activity_id))),
        ("including it again", ("activity", "include", str(activity_id))),
        ("calling it a ride", ("activity", "set", str(activity_id), "--sport", "cycling")),
    ]:
        result = cli(*args)
        assert result.exit_code == 0, (step, result.stderr)
        walk.check(step)

    config = isolated_home / "advisor.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[thresholds]\nweekly_step_up_pct = 5.0\n")
    walk.check("the physio's smaller weekly step in the config file (a 5 % step, not 10 %)")

    for step, args in [
        ("logging pain 6/10 after a run", ("pain", "log", "--score", "6", "--date", str(today - timedelta(days=1)))),
        ("logging swelling", ("pain", "log", "--score", "3", "--swelling")),
        ("a clinician's clearance", ("pain", "assessed", "--cleared")),
        ("40 floors down the stairs", ("stairs", "log", "--floors", "40")),
        ("a rehab session", ("rehab", "log", "--strength")),
    ]:
        result = cli(*args)
        assert result.exit_code == 0, (step, result.stderr)
        walk.check(step)

    settings = load_settings()
    rt = Runtime(settings)
    swelling = next(p for p in list_pain(rt.db, rt.athlete_id) if p.swelling)
    rt.close()
    assert cli("pain", "delete", str(swelling.id)).exit_code == 0
    walk.check("deleting the swelling logged by mistake")

    [rehab] = json.loads(cli("rehab", "list", "--json").stdout)["rehab"]
    for step, args in [
        ("deleting the rehab session", ("rehab", "delete", str(rehab["id"]))),
        ("deleting the floors logged today", ("stairs", "delete", "today")),
        ("calling the 16 km a run again", ("activity", "set", str(activity_id), "--sport", "running")),
        ("deleting the 16 km run for good", ("activity", "delete", str(activity_id), "--yes")),
    ]:
        result = cli(*args)
        assert result.exit_code == 0, (step, result.stderr)
        walk.check(step)


def test_a_coachs_athlete_settings_and_the_team_list_are_never_stale(cli, database_url: str) -> None:
    assert cli("athlete", "add", "ana", "--timezone", "Europe/Madrid").exit_code == 0
    walk = Walk(cli, "ana")
    today = walk.runtime().settings.today()
    store_runs(database_url, "ana", weeks_of_runs(today))
    walk.check("ana's runs stored")
    assert cli("athlete", "set", "ana", "--threshold", "next_run_factor=1.02").exit_code == 0
    walk.check("ana's own next-run factor")
    assert cli("--athlete", "ana", "pain", "log", "--score", "3", "--swelling").exit_code == 0
    team = json.loads(cli("team", "status", "--json").stdout)
    [line] = [a for a in team["athletes"] if a["name"] == "ana"]
    assert line["group"] == "referral" and line["paused"], "the swelling logged a moment ago is on the coach's list"
    walk.check("ana's swelling, after the team list stored her report")


@pytest.fixture
def rt(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    runtime = Runtime(load_settings())
    assert runtime.athlete_id  # the default athlete's row, made on first use
    yield runtime
    runtime.close()


def test_every_web_write_leaves_no_stale_report(rt: Runtime, cli, database_url: str, tmp_path: Path) -> None:
    today = rt.settings.today()
    store_runs(database_url, "default", weeks_of_runs(today))
    from advisor.services.importing import import_paths

    [result] = import_paths(rt.import_context("file"), [fit_run(tmp_path, today - timedelta(days=1), 16.0)]).results
    [activity_id] = result.activity_ids
    walk = Walk(cli)
    walk.check("the history and a long run")
    with TestClient(create_app(rt.settings, runtime=rt)) as client:
        steps = [
            ("excluding the long run on the phone", f"/activities/{activity_id}/exclude", {}),
            ("including it again", f"/activities/{activity_id}/include", {}),
            ("pain 7/10 on the phone", "/pain", {"score": "7", "when": "after"}),
            ("swelling on the phone", "/pain", {"score": "2", "when": "morning", "swelling": "1"}),
            ("a clearance on the phone", "/assessed", {"cleared": "yes"}),
            ("a rehab session on the phone", "/rehab", {"strength_move": ["clamshell"], "pain": "1"}),
        ]
        for step, path, fields in steps:
            client.get("/")  # the page stores today's report before the write
            form_page = f"/activities/{activity_id}" if path.startswith("/activities/") else path
            token = csrf(client.get(form_page).text)  # one token per rendered form
            answer = client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)
            assert answer.status_code == 303, (step, answer.text[:300])
            walk.check(step)


def test_a_report_computed_before_a_write_is_not_kept(rt: Runtime, database_url: str) -> None:
    """A read that computed from data a write has changed since must not keep what it computed."""
    today = rt.settings.today()
    key = report_key(rt.settings, today)
    version = read_stored(rt.db, rt.athlete_id).data_version
    report = assess_history(rt.db, rt.athlete_id, rt.settings, today)
    store_runs(database_url, "default", [(today - timedelta(days=1), 9.0)])  # a write lands after the read
    stale = Computed(rt.athlete_id, version, key, report.model_dump_json(), "{}")
    assert save_reports(rt.db, [stale], datetime.now(UTC)) == 0
    assert not read_stored(rt.db, rt.athlete_id).current_for(key)
    shown = report_for(rt.db, rt.athlete_id, rt.settings, today, today)
    assert shown.weeks[-1].distance_km == pytest.approx(9.0, abs=0.01), "the next read computes with the new run"


def test_a_new_day_or_a_past_date_computes(rt: Runtime, database_url: str) -> None:
    today = rt.settings.today()
    store_runs(database_url, "default", weeks_of_runs(today))
    report_for(rt.db, rt.athlete_id, rt.settings, today, today)
    tomorrow = today + timedelta(days=1)
    assert report_for(rt.db, rt.athlete_id, rt.settings, tomorrow, tomorrow) == assess_history(
        rt.db, rt.athlete_id, rt.settings, tomorrow
    )
    week_ago = today - timedelta(days=7)
    past = report_for(rt.db, rt.athlete_id, rt.settings, week_ago, tomorrow)
    assert past == assess_history(rt.db, rt.athlete_id, rt.settings, week_ago)
    assert read_stored(rt.db, rt.athlete_id).key.day == tomorrow, "a past date's report is never kept"


def _triggers(url: str) -> set[tuple[str, str]]:
    """(name, definition) of every trigger, with the schema's own name taken out of PostgreSQL's definitions."""
    from sqlalchemy import text

    from advisor.store.db import _create_engine

    engine = _create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
                return {(name, sql) for name, sql in rows}
            schema = connection.execute(text("SELECT current_schema()")).scalar()
            rows = connection.execute(
                text(
                    "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = :schema"
                ),
                {"schema": schema},
            ).all()
            return {(name, definition.replace(f"{schema}.", "")) for name, definition in rows}
    finally:
        engine.dispose()


def test_a_fresh_database_and_the_migrations_leave_the_same_triggers(database_url: str, isolated_home: Path) -> None:
    from conftest import _postgres_schema_url

    from advisor.store.db import _create_engine, open_database, run_migrations

    open_database(database_url).dispose()
    fresh = _triggers(database_url)
    assert len(fresh) == (16 if database_url.startswith("sqlite") else 6), "every input table is watched"
    others = None if database_url.startswith("sqlite") else _postgres_schema_url()
    migrated_url = f"sqlite:///{isolated_home / 'migrated.db'}" if others is None else next(others)
    try:
        engine = _create_engine(migrated_url)
        run_migrations(engine, migrated_url)
        engine.dispose()
        assert _triggers(migrated_url) == fresh
    finally:
        if others is not None:
            others.close()


def _last_analyze(url: str, table: str) -> datetime | None:
    import psycopg
    from conftest import PG_URL
    from stored import _postgres_schema

    with psycopg.connect(PG_URL) as connection:
        row = connection.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE schemaname = %s AND relname = %s",
            (_postgres_schema(url), table),
        ).fetchone()
    return row[0] if row else None


@pytest.mark.postgres
def test_postgresql_is_analyzed_after_a_migration_and_a_bulk_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The planner hears of a migration's new index and of a first import's rows at once, not when autovacuum
    gets round to it (it estimated 152 rows for 174,000)."""
    from conftest import _postgres_schema_url

    from advisor.services import importing
    from advisor.store.db import _create_engine, open_database, run_migrations

    schemas = _postgres_schema_url()
    url = next(schemas)
    try:
        engine = _create_engine(url)
        run_migrations(engine, url, "0008")
        engine.dispose()
        assert _last_analyze(url, "activities") is None
        open_database(url).dispose()  # an advisor of this version opens it: migrated to 0009, then analyzed
        migrated = _last_analyze(url, "activities")
        assert migrated is not None

        monkeypatch.setenv("ADVISOR_DATABASE__URL", url)
        monkeypatch.setattr(importing, "ANALYZE_AFTER_FILES", 2)
        rt = Runtime(load_settings())
        today = rt.settings.today()
        files = [fit_run(tmp_path, today - timedelta(days=d), 5.0, name=f"run{d}.fit") for d in (3, 5)]
        results = importing.import_paths(rt.import_context("file"), files).results
        rt.close()
        assert [r.status for r in results] == ["imported", "imported"]
        analyzed = _last_analyze(url, "activities")
        assert analyzed is not None and analyzed > migrated
    finally:
        schemas.close()


def test_a_report_kept_by_another_engine_or_other_settings_is_computed_again(rt: Runtime, database_url: str) -> None:
    """An upgrade that changes a rule, or a physio's new threshold, must not leave the old advice on screen."""
    from dataclasses import replace

    today = rt.settings.today()
    store_runs(database_url, "default", weeks_of_runs(today))
    fresh = report_for(rt.db, rt.athlete_id, rt.settings, today, today)
    key = report_key(rt.settings, today)
    version = read_stored(rt.db, rt.athlete_id).data_version
    wrong = fresh.model_copy(update={"paused": not fresh.paused}).model_dump_json()  # what an old rule said
    for other in (replace(key, engine="an older engine"), replace(key, settings="other thresholds")):
        assert save_reports(rt.db, [Computed(rt.athlete_id, version, other, wrong, "{}")], datetime.now(UTC)) == 1
        assert report_for(rt.db, rt.athlete_id, rt.settings, today, today) == fresh
        assert read_stored(rt.db, rt.athlete_id).current_for(key), "and the report of this engine is kept again"
