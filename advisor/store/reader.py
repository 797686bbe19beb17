"""Plain SQL on one connection, for the store's hot read paths (`Database.read()`, `Database.write()`).

Kept apart from the engine and the migrations (advisor.store.db) so the read path stays small: `advisor status` on
a SQLite file runs through this and the standard library's `sqlite3` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any


class Reader:
    """Plain SQL on one connection, written with `:name` parameters: a `sqlite3` connection, or a SQLAlchemy Core
    connection (`core`) that binds them itself through `text()`. Values are bound and read back as the models'
    column types do it (UTC instants, dates, booleans), so results match the ORM's exactly
    (tests/test_read_path.py compares them on both databases)."""

    def __init__(self, connection: Any, *, sqlite: bool, core: bool = False) -> None:
        self._connection = connection
        self.sqlite = sqlite
        self._core = core

    def rows(self, sql: str, **params: Any) -> list[Sequence[Any]]:
        if self.sqlite:
            params = {k: _sqlite_bind(v) for k, v in params.items()}
        if self._core:
            from sqlalchemy import text

            return list(self._connection.execute(text(sql), params).all())
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()

    def execute(self, sql: str, **params: Any) -> int:
        """A statement that returns no rows (in `Database.write()`); the number of rows it changed."""
        if self.sqlite:
            params = {k: _sqlite_bind(v) for k, v in params.items()}
        if self._core:
            from sqlalchemy import text

            return int(self._connection.execute(text(sql), params).rowcount)
        return int(self._connection.execute(sql, params).rowcount)

    def utc(self, value: Any) -> datetime | None:
        """An instant column (`UTCDateTime`): aware, in UTC."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def day(self, value: Any) -> date | None:
        """A `Date` column."""
        return date.fromisoformat(value) if isinstance(value, str) else value

    def flag(self, value: Any) -> bool | None:
        """A `Boolean` column."""
        return None if value is None else bool(value)


def _sqlite_bind(value: Any) -> Any:
    """What SQLAlchemy's SQLite types store: naive UTC text for instants, ISO text for dates, 0/1 for booleans."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value
