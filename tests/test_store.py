"""Storage: migrations on first use, the schema they build equals the models, UTC round trips, SQLite pragmas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from advisor.store.db import MIGRATIONS_DIR, SCHEMA_REVISION, StoreError, default_athlete_id, open_database
from advisor.store.models import Base, PainEntryRow


def test_schema_revision_constant_is_the_migration_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    """Replayed from nothing, the migrations give the schema an empty database is created with directly."""
    from advisor.store.db import _create_engine, run_migrations

    engine = _create_engine(database_url)
    run_migrations(engine, database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    engine.dispose()


def test_an_empty_database_is_created_at_the_current_revision(database_url: str) -> None:
    db = open_database(database_url)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [SCHEMA_REVISION]
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    db.dispose()
    # and Alembic agrees it is at the head: nothing to upgrade
    from advisor.store.db import _create_engine, run_migrations

    engine = _create_engine(database_url)
    run_migrations(engine, database_url)
    engine.dispose()


def test_a_first_start_that_fails_midway_leaves_nothing_half_created(isolated_home: Path) -> None:
    """The SQLite schema is one transaction: a CREATE that fails after others ran leaves an empty file (a kill at
    that moment leaves the same: an uncommitted transaction), and the next start creates the schema whole."""
    import subprocess
    import sys

    url = f"sqlite:///{isolated_home / 'half.db'}"
    script = (
        "from sqlalchemy import Column, Integer, Table\n"
        "from sqlalchemy.types import UserDefinedType\n"
        "from advisor.store import db, models\n"
        "class Broken(UserDefinedType):\n"
        "    cache_ok = True\n"
        "    def get_col_spec(self, **kw):\n"
        "        return 'INTEGER (('\n"
        "Table('m_broken', models.Base.metadata, Column('id', Integer, primary_key=True), Column('x', Broken()))\n"
        f"db.open_database({url!r})\n"
    )
    failed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert failed.returncode == 1 and "syntax error" in failed.stderr
    engine = db_engine(url)
    with engine.connect() as connection:
        tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
    engine.dispose()
    assert tables == []  # not even the tables sorted before the broken one
    database = open_database(url)
    assert default_athlete_id(database) == 1
    database.dispose()


def db_engine(url: str):
    from advisor.store.db import _create_engine

    return _create_engine(url)


def test_second_open_does_not_migrate_again_and_keeps_rows(database_url: str) -> None:
    db = open_database(database_url)
    first = default_athlete_id(db)
    db.dispose()
    db = open_database(database_url)
    assert default_athlete_id(db) == first
    assert default_athlete_id(db, "coach-runner-2") != first
    db.dispose()


def test_datetimes_come_back_as_the_same_utc_instant(database_url: str) -> None:
    db = open_database(database_url)
    athlete = default_athlete_id(db)
    local = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    with db.transaction() as session:
        session.add(
            PainEntryRow(athlete_id=athlete, day=local.date(), when="after", score=3, note=None, created_at=local)
        )
    with db.transaction() as session:
        stored = session.scalars(select(PainEntryRow.created_at)).one()
    assert stored == local and stored.tzinfo == UTC and stored.hour == 0
    db.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(isolated_home: Path) -> None:
    db = open_database(f"sqlite:///{isolated_home / 'x.db'}")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    db.dispose()


def test_unreachable_database_is_one_sentence_without_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_database("postgresql://runner:s3cret@127.0.0.1:1/advisor")
    message = str(caught.value)
    assert message.startswith("cannot open the database postgresql://runner:***@127.0.0.1:1/advisor")
    assert "s3cret" not in message and "\n" not in message


def _open_and_close(url: str) -> str:
    from advisor.store.db import open_database

    open_database(url).dispose()
    return "ok"


def test_processes_opening_a_fresh_database_at_once_all_succeed(database_url: str) -> None:
    """The CLI and a daemon started together both find an empty database: one migrates, the other waits and uses it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=4, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert list(pool.map(_open_and_close, [database_url] * 4)) == ["ok"] * 4


def test_upgrading_a_database_of_the_first_schema_keeps_its_rows(database_url: str) -> None:
    """A database created by an older advisor (revision 0001) is upgraded in place on first use, rows intact."""

    from advisor.store.db import _create_engine, run_migrations

    engine = _create_engine(database_url)
    run_migrations(engine, database_url, "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO athletes (name, created_at) VALUES ('old', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO job_runs (name) VALUES ('inbox')"))
    engine.dispose()
    db = open_database(database_url)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
        assert connection.execute(text("SELECT name FROM athletes")).scalars().all() == ["old"]
        assert connection.execute(text("SELECT last_result FROM job_runs")).scalar() is None
    db.dispose()


def test_upgrading_to_0007_keeps_pain_entries_with_none_of_the_new_signs(database_url: str) -> None:
    """Revision 0007 adds the same-day signs and the "none of these" check: an entry logged before it reads back
    unchanged, reporting none of them (NOT NULL, default false), and the engine reads it."""
    from advisor.store.db import _create_engine, run_migrations

    engine = _create_engine(database_url)
    run_migrations(engine, database_url, "0006")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO athletes (name, created_at) VALUES ('old', CURRENT_TIMESTAMP)"))
        connection.execute(
            text(
                'INSERT INTO pain_entries (athlete_id, day, "when", score, swelling, locking, giving_way, '
                "rest_or_night_pain, created_at) SELECT id, '2026-05-01', 'morning', 3, true, false, false, false, "
                "CURRENT_TIMESTAMP FROM athletes"
            )
        )
    engine.dispose()
    db = open_database(database_url)
    with db.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT swelling, hot_red_or_fever, calf_pain, numbness, injury_swelling, no_red_flags "
                "FROM pain_entries"
            )
        ).one()
    assert [bool(v) for v in row] == [True, False, False, False, False, False]
    db.dispose()


def test_a_database_a_newer_advisor_upgraded_is_one_sentence_exit_2_and_left_untouched(database_url: str, cli) -> None:
    """A newer advisor ran on the database (a revision these migrations do not have, a table of its own), then this
    one: every command says so in one sentence naming both revisions, exits 2, and changes nothing, on SQLite (the
    revision read with sqlite3) and PostgreSQL (through the migration step)."""
    assert cli("pain", "log", "--score", "3", "--note", "before the newer advisor").exit_code == 0
    newer = f"{int(SCHEMA_REVISION) + 1:04d}"
    db = open_database(database_url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :newer"), {"newer": newer})
        connection.execute(text("CREATE TABLE newer_feature (id INTEGER PRIMARY KEY, what VARCHAR(20))"))
        connection.execute(text("INSERT INTO newer_feature (id, what) VALUES (1, 'the newer one''s')"))

    def contents() -> list[object]:
        with db.engine.connect() as connection:
            return [
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all(),
                connection.execute(text("SELECT id, what FROM newer_feature")).all(),
                connection.execute(text("SELECT id, score, note FROM pain_entries")).all(),
            ]

    before = contents()
    for command in (["status"], ["pain", "log", "--score", "2"], ["pain", "list", "--json"], ["activities"]):
        result = cli(*command)
        assert result.exit_code == 2, (command, result)
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith("advisor: cannot open the database ")
        assert line.endswith(
            f": its schema revision {newer} is newer than this advisor's {SCHEMA_REVISION}: a newer advisor has "
            "used it, so use that version (or upgrade this one); nothing was changed"
        )
    assert contents() == before == [[newer], [(1, "the newer one's")], [(1, 3, "before the newer advisor")]]
    doctor = cli("doctor")  # the check says so too, instead of "upgraded on first use"
    assert "newer than this advisor's" in doctor.stdout and "upgraded to" not in doctor.stdout
    db.dispose()


def test_upgrading_to_0008_starts_every_athlete_at_web_session_generation_0(database_url: str) -> None:
    """Revision 0008 adds the web page's session generation and password mark: athletes of an older database keep
    their rows, at generation 0 with no mark (NOT NULL, default 0), and the generation counts up in the database."""
    from sqlalchemy import update

    from advisor.store.db import _create_engine, run_migrations
    from advisor.store.models import Athlete

    engine = _create_engine(database_url)
    run_migrations(engine, database_url, "0007")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO athletes (name, created_at) VALUES ('old', CURRENT_TIMESTAMP)"))
    engine.dispose()
    db = open_database(database_url)
    with db.transaction() as session:
        athlete = session.scalars(select(Athlete).where(Athlete.name == "old")).one()
        assert (athlete.web_session_generation, athlete.web_password_mark) == (0, None)
        session.execute(update(Athlete).values(web_session_generation=Athlete.web_session_generation + 1))
    with db.transaction() as session:
        assert session.scalars(select(Athlete.web_session_generation)).one() == 1
    db.dispose()
