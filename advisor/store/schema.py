"""The schema: its current revision, a fresh database created at it, an older one migrated by Alembic, and one
process at a time doing either. Imports of SQLAlchemy and Alembic stay inside the functions: `advisor status` on a
current SQLite file reaches none of this (`advisor.store.db.open_database` checks the revision with `sqlite3`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy import Engine

SCHEMA_REVISION = "0012"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def migrate_if_needed(engine: Engine, url: str) -> None:
    if stored_revision(engine) == SCHEMA_REVISION:
        return
    with _migration_lock(engine):
        stored = stored_revision(engine)
        if stored == SCHEMA_REVISION:
            return
        if stored is not None:
            refuse_unknown_revision(stored)
        from sqlalchemy import inspect

        if stored is None and not inspect(engine).get_table_names():
            create_current_schema(engine)
        else:
            run_migrations(engine, url)
            analyze(engine)


def analyze(engine: Engine, tables: tuple[str, ...] = ()) -> None:
    """Refresh PostgreSQL's statistics (of `tables`, default all of ours) after a migration or a bulk import.

    Autovacuum analyzes a table only after enough of it changed, and not at once: after a migration added an
    index, or a first import of 170,000 activities, the planner went on estimating 152 rows and chose its plans by
    that. SQLite's planner needs no statistics for our queries; nothing is done there.
    """
    if engine.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("ANALYZE " + ", ".join(tables)) if tables else text("ANALYZE"))


class UnknownRevisionError(StoreError):
    """The database's schema revision is none of this advisor's migrations: a newer advisor has upgraded it."""


def refuse_unknown_revision(stored: str) -> None:
    """Raise `UnknownRevisionError` (one sentence naming both revisions) when `stored` is not a revision of this
    advisor's migrations, before anything is written.

    A newer advisor ran on the database, then this older one: Alembic cannot migrate from a revision it has never
    seen (a 110-line traceback), and must not try, since the newer advisor's tables and rows are the runner's data.
    """
    from alembic.script import ScriptDirectory

    if stored in {script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}:
        return
    if stored.isdigit() and SCHEMA_REVISION.isdigit() and int(stored) > int(SCHEMA_REVISION):
        found = f"its schema revision {stored} is newer than this advisor's {SCHEMA_REVISION}"
    else:
        found = f"its schema revision {stored!r} is not one this advisor (schema revision {SCHEMA_REVISION}) knows"
    raise UnknownRevisionError(
        f"{found}: a newer advisor has used it, so use that version (or upgrade this one); nothing was changed"
    )


def create_current_schema(engine: Engine) -> None:
    """An empty database gets today's schema in one transaction, stamped with `SCHEMA_REVISION`, as Alembic's
    cookbook suggests ("building an up to date database from scratch"): a runner's first command then imports no
    Alembic and replays no history (a third of a second). Older databases still go through the migrations, and a
    test checks that the migrations build exactly these models.

    SQLite's driver commits before every CREATE unless told otherwise, so there the statements run as one script
    between BEGIN and COMMIT: a kill halfway leaves an empty database, which the next start creates again.
    """
    from sqlalchemy.schema import CreateIndex, CreateTable

    from advisor.store.models import Base
    from advisor.store.report_triggers import create_statements

    dialect = engine.dialect
    statements = [
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        f"INSERT INTO alembic_version (version_num) VALUES ('{SCHEMA_REVISION}')",
    ]
    for table in Base.metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        statements.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
    statements.extend(create_statements(dialect.name))
    if dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            sqlite = raw.driver_connection
            try:
                sqlite.executescript("BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;")  # type: ignore[union-attr]
            except BaseException:
                sqlite.rollback()  # type: ignore[union-attr]
                raise
        finally:
            raw.close()
        return
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def stored_revision(engine: Engine) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError

    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, DBAPIError):
            connection.rollback()
            return None


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Only one process migrates: the CLI and a daemon may both find a fresh database at the same moment.

    SQLite runs each CREATE TABLE in its own transaction, so a file lock beside the database serialises them;
    PostgreSQL has advisory locks for exactly this.
    """
    if engine.dialect.name == "sqlite":
        import fcntl

        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(74517)"))
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(74517)"))
                connection.commit()
    else:
        yield


def run_migrations(engine: Engine, url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations on this engine's connection (used on first use and by tests)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
