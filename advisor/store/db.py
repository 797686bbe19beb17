"""Opening the database: engine, SQLite pragmas, migrations on first use, and the default athlete.

SQLite runs in WAL mode with a busy timeout and foreign keys on, so the CLI and the daemon can write at the same
time; a PostgreSQL URL works the same way. The Alembic migrations run only when the stored schema revision differs
from `SCHEMA_REVISION` — checking one row keeps `advisor status` fast, and importing Alembic costs time; an empty
database is created at the current revision directly (`advisor.store.schema`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import StoreError
from advisor.store.reader import Reader

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

from advisor.store.schema import (  # noqa: F401  (SCHEMA_REVISION, MIGRATIONS_DIR, run_migrations: the store's API)
    MIGRATIONS_DIR,
    SCHEMA_REVISION,
    UnknownRevisionError,
    analyze,
    migrate_if_needed,
    run_migrations,
    stored_revision,
)


class Database:
    """The engine and the session factory, made on first use: `advisor status` on SQLite reads through `read()`
    alone and never imports SQLAlchemy, whose import is most of that command's time."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = _create_engine(self.url)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back whole on any error (or a kill).

        A database that cannot be written (disk full, read-only, server gone) becomes a `StoreError` with one
        sentence; a constraint violation stays an `IntegrityError`, which callers use to detect a concurrent write.
        """
        from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

        try:
            with self.sessions.begin() as session:
                yield session
        except IntegrityError:
            raise
        except (OperationalError, DBAPIError) as error:
            raise StoreError(f"cannot use the database {self._where()}: {_first_line(error)}") from error

    @contextmanager
    def read(self) -> Iterator[Reader]:
        """One read-only transaction for the hot read paths: plain SQL with `:name` parameters, plain tuples back.

        A SQLite file is opened with the standard library's `sqlite3` (with the same pragmas as the engine), so
        `advisor status` never imports SQLAlchemy; any other database runs the same SQL through SQLAlchemy Core's
        `text()` on the engine's pool. Driver errors become the same `StoreError` sentence as `transaction()`'s.
        """
        with self._plain(write=False) as reader:
            yield reader

    @contextmanager
    def write(self, wait_s: float = 30.0) -> Iterator[Reader]:
        """One small write transaction in plain SQL on the same paths as `read()`, committed on success.

        For a write a read path makes on the side (the stored report it computed): `wait_s` bounds how long it
        waits for another writer (SQLite's busy timeout, PostgreSQL's lock_timeout), so a reader is never held up
        long by a daemon's import; waiting longer is a `StoreError` the caller may ignore.
        """
        with self._plain(write=True, wait_s=wait_s) as writer:
            yield writer

    @contextmanager
    def _plain(self, *, write: bool, wait_s: float = 30.0) -> Iterator[Reader]:
        path = _sqlite_file(self.url) if self._engine is None else None
        if path is not None:
            import sqlite3

            try:
                connection: Any = sqlite3.connect(path, timeout=wait_s, isolation_level=None)
                _sqlite_pragmas(connection, None, busy_ms=int(wait_s * 1000))
            except sqlite3.Error as error:
                raise StoreError(f"cannot use the database {self._where()}: {_first_line(error)}") from error
            try:
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield Reader(connection, sqlite=True)
                if write:
                    connection.commit()
            except sqlite3.Error as error:
                raise StoreError(f"cannot use the database {self._where()}: {_first_line(error)}") from error
            finally:
                try:
                    connection.rollback()
                finally:
                    connection.close()
            return
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as core:
                reader = Reader(core, sqlite=core.dialect.name == "sqlite", core=True)
                if write and core.dialect.name == "postgresql":
                    reader.execute(f"SET LOCAL lock_timeout = '{int(wait_s * 1000)}ms'")
                yield reader
                if write:
                    core.commit()
                else:
                    core.rollback()
        except DBAPIError as error:
            raise StoreError(f"cannot use the database {self._where()}: {_first_line(error)}") from error

    def _where(self) -> str:
        if self._engine is not None:
            return masked_url(self._engine.url.render_as_string(hide_password=False))
        return masked_url(self.url)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _sqlite_file(url: str) -> str | None:
    """The file of a plain `sqlite:///PATH` URL (no driver name, no query, nothing quoted), else None."""
    if not url.startswith("sqlite:///") or any(c in url for c in "?%#"):
        return None
    path = url.removeprefix("sqlite:///")
    return path if path and path != ":memory:" else None


def largest_id(url: str) -> int:
    """The largest id a row can have: the models' `Integer` keys are SQLite's 64-bit rowid, and 32-bit (INTEGER)
    on PostgreSQL. An id beyond it names no row; the CLI says so rather than send the database an overflow."""
    return 2**63 - 1 if url.startswith("sqlite") else 2**31 - 1


ATHLETE_LOCK_NAMESPACE = 0x4B4E  # "KN": this application's advisory locks, apart from anyone else's


ATHLETE_LOCK_KEY = "hashtext(current_schema() || '.' || CAST(:athlete AS text))"
"""The second key of an athlete's advisory locks. Advisory locks are per database, not per schema: keyed by the
bare id, athlete 1 of one schema (another clinic, another test) would block athlete 1 of every other."""


def lock_athlete(session: Session, athlete_id: int) -> None:
    """Serialise writers of one athlete's activities until the transaction ends.

    On PostgreSQL two importers (the daemon's inbox and Garmin jobs, or two machines) could both find no activity
    starting within a minute and both insert one; a transaction-scoped advisory lock per athlete makes the check
    and the insert one step. SQLite allows one writer at a time already, so nothing is needed there.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(
            text(f"SELECT pg_advisory_xact_lock(:ns, {ATHLETE_LOCK_KEY})"),
            {"ns": ATHLETE_LOCK_NAMESPACE, "athlete": athlete_id},
        )


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Connect, bring the schema up to date, and hand back a session factory.

    A SQLite file whose schema is current is checked with `sqlite3` alone and the engine is made on first use;
    anything else (no schema yet, an older one, an error, another database) takes the engine path.
    """
    if not migrate or _sqlite_revision(url) == SCHEMA_REVISION:
        return Database(url)
    from sqlalchemy.exc import DBAPIError, OperationalError

    engine = _create_engine(url)
    try:
        migrate_if_needed(engine, url)
    except (OperationalError, DBAPIError) as error:
        engine.dispose()
        raise StoreError(f"cannot open the database {masked_url(url)}: {_first_line(error)}") from None
    except UnknownRevisionError as error:  # a newer advisor's database: said in one sentence, left as it is
        engine.dispose()
        raise StoreError(f"cannot open the database {masked_url(url)}: {error}") from None
    return Database(url, engine)


def _sqlite_revision(url: str) -> str | None:
    """The schema revision of a plain SQLite file, read without SQLAlchemy; None on any doubt (no file, no
    schema, an error), so the engine path decides and reports exactly as before."""
    path = _sqlite_file(url)
    if path is None:
        return None
    import sqlite3

    try:
        make_sqlite_file_private(path)
        connection = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.Error):
        return None
    try:
        _sqlite_pragmas(connection, None)
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.Error:
        return None
    finally:
        connection.close()


SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
"""What SQLite keeps beside the database: the write-ahead log and its index, or a rollback journal."""


def make_sqlite_file_private(path: str) -> None:
    """Create the SQLite file 0600 before SQLite does, and take the group's and others' bits from an existing one
    and its side files (one warning).

    The file holds health data and queued e-mails. SQLite creates it 0644 less the umask (readable by every user
    under the usual 022); made 0600 first, it stays so, and SQLite gives the -wal, -shm and -journal files it
    creates later the database's own mode. A file made by an older advisor is tightened on its next start.
    """
    from advisor.private import create_private_file, tighten

    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    create_private_file(file)
    tighten([file, *(Path(path + side) for side in SQLITE_SIDE_FILES)], f"The database {path}")


def _create_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        plain = _sqlite_file(url)
        if plain is not None:
            with suppress(OSError):  # SQLite reports a file it cannot create or open in one sentence, further on
                make_sqlite_file_private(plain)
        kwargs["connect_args"] = {"timeout": 30}
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int = 30000) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def probe_database(url: str) -> str | None:
    """Connect without migrating and return the stored schema revision (None: no schema yet), for `doctor`.

    A database that cannot be reached is a `StoreError` with one sentence, password left out.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError

    engine = _create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return stored_revision(engine)
    except (OperationalError, DBAPIError) as error:
        raise StoreError(_first_line(error)) from None
    finally:
        engine.dispose()


def default_athlete_id(db: Database, name: str = "default") -> int:
    """The athlete every row of a single-user install belongs to, created on first use."""
    with db.read() as reader:
        found = reader.rows("SELECT id FROM athletes WHERE name = :name", name=name)
    if found:
        return found[0][0]
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from advisor.store.models import Athlete

    try:
        with db.transaction() as session:
            athlete = Athlete(name=name, created_at=datetime.now(UTC))
            session.add(athlete)
            session.flush()
            return athlete.id
    except IntegrityError:
        with db.transaction() as session:
            return session.scalars(select(Athlete.id).where(Athlete.name == name)).one()


def analyze_tables(db: Database, tables: tuple[str, ...]) -> None:
    """`analyze` on a use case's database (a bulk import): nothing on SQLite, nor without an engine yet."""
    if not db.url.startswith("sqlite"):
        analyze(db.engine, tables)


def masked_url(url: str) -> str:
    """The URL with its password shown as ***, for messages, logs and `advisor doctor`; plain string work, so
    showing a URL never imports SQLAlchemy and never fails on one it could not parse."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user, _, password = creds.partition(":")
        return f"{scheme}://{user}{':***' if password else ''}@{host}"
    return url


def _first_line(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
