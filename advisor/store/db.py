"""Opening the database: engine, SQLite pragmas, migrations on first use, and the default athlete.

SQLite runs in WAL mode with a busy timeout and foreign keys on, so the CLI and the daemon can write at the same
time; a PostgreSQL URL works the same way. The Alembic migrations run only when the stored schema revision differs
from `SCHEMA_REVISION` — checking one row keeps `advisor status` fast, and importing Alembic costs time; an empty
database is created at the current revision directly (`create_current_schema`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from advisor.errors import StoreError
from advisor.store.models import Athlete

SCHEMA_REVISION = "0006"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back whole on any error (or a kill).

        A database that cannot be written (disk full, read-only, server gone) becomes a `StoreError` with one
        sentence; a constraint violation stays an `IntegrityError`, which callers use to detect a concurrent write.
        """
        try:
            with self.sessions.begin() as session:
                yield session
        except IntegrityError:
            raise
        except (OperationalError, DBAPIError) as error:
            where = _safe_url(self.engine.url.render_as_string(hide_password=False))
            raise StoreError(f"cannot use the database {where}: {_first_line(error)}") from error

    def dispose(self) -> None:
        self.engine.dispose()


ATHLETE_LOCK_NAMESPACE = 0x4B4E  # "KN": this application's advisory locks, apart from anyone else's


def lock_athlete(session: Session, athlete_id: int) -> None:
    """Serialise writers of one athlete's activities until the transaction ends.

    On PostgreSQL two importers (the daemon's inbox and Garmin jobs, or two machines) could both find no activity
    starting within a minute and both insert one; a transaction-scoped advisory lock per athlete makes the check
    and the insert one step. SQLite allows one writer at a time already, so nothing is needed there.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :athlete)"), {"ns": ATHLETE_LOCK_NAMESPACE, "athlete": athlete_id}
        )


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Connect, bring the schema up to date, and hand back a session factory."""
    engine = _create_engine(url)
    try:
        if migrate:
            _migrate_if_needed(engine, url)
    except (OperationalError, DBAPIError) as error:
        engine.dispose()
        raise StoreError(f"cannot open the database {_safe_url(url)}: {_first_line(error)}") from None
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def _create_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def probe_database(url: str) -> str | None:
    """Connect without migrating and return the stored schema revision (None: no schema yet), for `doctor`.

    A database that cannot be reached is a `StoreError` with one sentence, password left out.
    """
    engine = _create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return _stored_revision(engine)
    except (OperationalError, DBAPIError) as error:
        raise StoreError(_first_line(error)) from None
    finally:
        engine.dispose()


def _migrate_if_needed(engine: Engine, url: str) -> None:
    if _stored_revision(engine) == SCHEMA_REVISION:
        return
    with _migration_lock(engine):
        stored = _stored_revision(engine)
        if stored == SCHEMA_REVISION:
            return
        if stored is None and not inspect(engine).get_table_names():
            create_current_schema(engine)
        else:
            run_migrations(engine, url)


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

    dialect = engine.dialect
    statements = [
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        f"INSERT INTO alembic_version (version_num) VALUES ('{SCHEMA_REVISION}')",
    ]
    for table in Base.metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        statements.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
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


def _stored_revision(engine: Engine) -> str | None:
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


def default_athlete_id(db: Database, name: str = "default") -> int:
    """The athlete every row of a single-user install belongs to, created on first use."""
    with db.transaction() as session:
        found = session.scalar(select(Athlete.id).where(Athlete.name == name))
        if found is not None:
            return found
    try:
        with db.transaction() as session:
            athlete = Athlete(name=name, created_at=datetime.now(UTC))
            session.add(athlete)
            session.flush()
            return athlete.id
    except IntegrityError:
        with db.transaction() as session:
            return session.scalars(select(Athlete.id).where(Athlete.name == name)).one()


def _safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


def _first_line(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
