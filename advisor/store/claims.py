"""Claims on athletes held for as long as a daemon runs, so two daemons never serve the same athlete.

- On PostgreSQL, a session-level advisory lock per athlete on a connection of the claims' own. The server drops it
  when that connection dies, however the daemon dies (kill -9, a power cut, the network), so a stale claim never
  blocks the next start; a daemon on another machine is refused exactly the athletes held here.
- On SQLite, an `flock` on a file beside the database (`advisor.db.daemon.lock`): SQLite lives on one machine, and
  one daemon per database file serves all of its athletes, so the first claim holds the file and answers for all.

Which athletes to claim, and what to do with them, is the daemon's (`jobs.roster`); this is the database's part.
"""

from __future__ import annotations

import fcntl
import os

from sqlalchemy import Connection, text

from advisor.store.db import ATHLETE_LOCK_KEY, Database

DAEMON_LOCK_NAMESPACE = 0x4B44
""""KD": the daemon's claims, apart from the importer's per-athlete locks ("KN", `ATHLETE_LOCK_NAMESPACE`)."""


class AthleteClaims:
    """The athletes this process has claimed on one database; `close()` gives them all back."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._connection: Connection | None = None
        self._file: int | None = None
        self._dialect = db.engine.dialect.name

    def try_claim(self, athlete_id: int) -> bool:
        """Claim one athlete; False when another process holds them (on SQLite: holds the database file)."""
        if self._dialect == "postgresql":
            if self._connection is None:
                self._connection = self._db.engine.connect()
            held = self._connection.execute(
                text(f"SELECT pg_try_advisory_lock(:ns, {ATHLETE_LOCK_KEY})"),
                {"ns": DAEMON_LOCK_NAMESPACE, "athlete": athlete_id},
            ).scalar()
            self._connection.commit()  # the lock is the session's; ending the transaction keeps it
            return bool(held)
        return self._hold_database_file()

    def _hold_database_file(self) -> bool:
        if self._file is not None:
            return True
        database = self._db.engine.url.database
        if not database or database == ":memory:":
            return True
        fd = os.open(f"{database}.daemon.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._file = fd
        return True

    def release_all(self) -> None:
        """Give back every claim; the PostgreSQL connection stays open for new ones."""
        if self._connection is not None:
            self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
            self._connection.commit()
        if self._file is not None:
            fd, self._file = self._file, None
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        """Give back every claim and close the connection (closed even when the unlock fails: the server then drops
        the locks with the connection)."""
        try:
            self.release_all()
        finally:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                connection.close()
