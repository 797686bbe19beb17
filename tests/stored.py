"""Histories stored as the import would store them, straight into the database: for tests of what reads them.

Also what lets a module import a history once and share it: `copy_database` gives a test that changes it a copy of
its own, and `fingerprint` lets the tests that only read prove they did not change it.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from advisor.store.db import open_database
from advisor.store.models import Activity, Athlete, Base, SourceFile

_keys = itertools.count(1)


def stand_in_source(session: Any, athlete_id: int, imported_at: datetime, name: str = "generated.fit") -> int:
    """The source-file row that activities written straight into the database hang from (every activity comes from
    a file), added and flushed in `session`; its id. Each one has a SHA-256 of its own, as real files do."""
    source = SourceFile(
        athlete_id=athlete_id,
        sha256=f"{next(_keys):064d}",
        name=name,
        size=1,
        file_type="activity",
        status="imported",
        origin="file",
        imported_at=imported_at,
    )
    session.add(source)
    session.flush()
    return source.id


def stand_in_activity(
    athlete_id: int,
    source_id: int,
    key: str,
    start: datetime,
    km: float,
    *,
    sport: str = "running",
    name: str | None = None,
    descent_m: float = 0.0,
    elapsed_s: float | None = None,
) -> Activity:
    """An activity row as the import would measure a steady effort of `km` (5:00 per km moving, 176 spm, 140 bpm;
    as much climbed as descended, none of it steep), for `session.add`."""
    return Activity(
        athlete_id=athlete_id,
        source_file_id=source_id,
        activity_key=key,
        sport=sport,
        sub_sport="generic",
        name=name,
        start_utc=start,
        utc_offset_s=0,
        n_records=100,
        distance_m=km * 1000.0,
        elapsed_s=km * 300.0 + 60 if elapsed_s is None else elapsed_s,
        moving_s=km * 300.0,
        ascent_m=descent_m,
        descent_m=descent_m,
        descent_steep5_m=0.0,
        distance_steep5_m=0.0,
        descent_steep10_m=0.0,
        distance_steep10_m=0.0,
        avg_cadence_spm=176.0,
        avg_heart_rate=140.0,
        load=km * 10.0,
        load_method="duration",
    )


def store_runs(
    url: str,
    name: str,
    runs: Iterable[tuple[date, float]],
    *,
    imported_at: datetime | None = None,
    activity_name: str | None = None,
) -> None:
    """Runs of `name` at 07:00 UTC on the days given, as the import would store them (one source file)."""
    db = open_database(url)
    try:
        with db.transaction() as session:
            athlete_id = session.scalars(select(Athlete.id).where(Athlete.name == name)).one()
            source_id = stand_in_source(
                session, athlete_id, imported_at or datetime(2026, 4, 12, 20, tzinfo=UTC), f"{name}.fit"
            )
            for day, km in runs:
                start = datetime.combine(day, time(7), UTC)
                key = f"{name}-{start.isoformat()}-{next(_keys)}"
                run = stand_in_activity(athlete_id, source_id, key, start, km, name=activity_name or f"{name} run")
                session.add(run)
    finally:
        db.dispose()


def _sqlite_path(url: str) -> str:
    path = url.removeprefix("sqlite:///")
    assert path != url and "?" not in path, f"not a plain SQLite file URL: {url}"
    return path


def _postgres_schema(url: str) -> str:
    """The schema a test URL of conftest's `database_url` works in (its `options=-csearch_path=...`)."""
    options = parse_qs(urlsplit(url).query).get("options", [""])[0]
    assert options.startswith("-csearch_path="), f"no schema of its own in {url}"
    return options.removeprefix("-csearch_path=")


def _tables() -> list[str]:
    """Every table of the models, parents before children (the order rows can be inserted in)."""
    return [table.name for table in Base.metadata.sorted_tables]


def _all_rows(table: str) -> str:
    """`SELECT` of every row of `table` in a stable order: by its primary key, whole."""
    key = ", ".join(f'"{column.name}"' for column in Base.metadata.tables[table].primary_key.columns)
    return f'SELECT * FROM "{table}" ORDER BY {key}'


def copy_database(source_url: str, target_url: str) -> None:
    """Make the database at `target_url` (empty, of the same kind) a copy of the one at `source_url`, row for row
    and id for id, so a test that changes a shared history changes a copy of its own.

    SQLite: the file, with SQLite's own online backup. PostgreSQL: the target schema is migrated by the app, then
    every table of the models is filled from the source's (`INSERT ... SELECT`, same migrations, same columns) and
    each id sequence set past the largest id, as the import would have left it. A table the migrations made that
    the models do not name is refused rather than left out of the copy."""
    if source_url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(source_url))
        target = sqlite3.connect(_sqlite_path(target_url))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    import psycopg

    open_database(target_url).dispose()  # migrated by the app, like any database it opens
    source_schema, target_schema = _postgres_schema(source_url), _postgres_schema(target_url)
    tables = _tables()
    with psycopg.connect(target_url) as connection:
        made = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (source_schema,)
            )
        }
        unknown = made - set(tables) - {"alembic_version"}
        assert not unknown, f"tables the models do not name, so a copy would leave them out: {sorted(unknown)}"
        names = ", ".join(f'"{target_schema}"."{table}"' for table in tables)
        connection.execute(f"TRUNCATE {names} CASCADE")  # whatever opening it stored (the default athlete)
        connection.execute("SET LOCAL session_replication_role = replica")  # no trigger fires: rows as they are
        for table in tables:
            qualified = f'"{target_schema}"."{table}"'
            connection.execute(f'INSERT INTO {qualified} SELECT * FROM "{source_schema}"."{table}"')
            for column in Base.metadata.tables[table].primary_key.columns:
                sequence = _value(connection, "SELECT pg_get_serial_sequence(%s, %s)", (qualified, column.name))
                largest = _value(connection, f'SELECT max("{column.name}") FROM {qualified}')
                if sequence is not None and largest is not None:
                    connection.execute("SELECT setval(%s, %s)", (sequence, largest))


def _value(connection: Any, sql: str, params: tuple[object, ...] = ()) -> Any:
    """The one value a query gives."""
    row = connection.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def fingerprint(url: str) -> str:
    """A digest of every row of every table: equal before and after a test exactly when it changed nothing.

    Read with the plain driver, in one query per table, so that checking a shared history around each test that
    reads it costs milliseconds."""
    digest = hashlib.sha256()
    if url.startswith("sqlite"):
        connection = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
        try:
            for table in _tables():
                digest.update(repr(connection.execute(_all_rows(table)).fetchall()).encode())
        finally:
            connection.close()
        return digest.hexdigest()
    import psycopg

    with psycopg.connect(url) as connection:
        for table in _tables():
            digest.update(repr(connection.execute(_all_rows(table)).fetchall()).encode())
    return digest.hexdigest()
