"""Which athletes this daemon serves, decided in the database, so two daemons never do one athlete's jobs twice.

A daemon serves every athlete in the database (or only `--athlete NAME`). Each athlete it serves is *claimed*:
- on PostgreSQL with a session-level advisory lock per athlete, held on a connection of its own for as long as the
  daemon runs. The server drops it when that connection dies, however the daemon dies (kill -9, a power cut, the
  network), so a stale claim never blocks the next start. A second daemon, on this machine or another, serves only
  the athletes nobody holds: several daemons share a clinic's athletes without sharing any athlete;
- on SQLite with an `flock` on a file beside the database (`advisor.db.daemon.lock`): SQLite lives on one machine,
  and one daemon per database file serves all of its athletes.

Athletes added while the daemon runs are picked up by `refresh` (the daemon calls it before every inbox scan).
The outbox and the importer do not rely on these claims: they are safe on their own (`advisor.services.outbox`,
`advisor.store.db.lock_athlete`); the claims keep the work from being done twice, not the data from being stored twice.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text

from advisor.bootstrap import Runtime
from advisor.config import Settings
from advisor.services.athletes import AthleteInfo, find_athlete, list_athletes
from advisor.store.db import ATHLETE_LOCK_KEY, Database

DAEMON_LOCK_NAMESPACE = 0x4B44  # "KD": the daemon's claims, apart from the importer's per-athlete locks ("KN")


class NobodyToServe(RuntimeError):
    """Every athlete this daemon would serve is served by another daemon already."""


class Claims:
    """Database-level claims on athletes (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._connection: Any = None
        self._file: int | None = None
        self._dialect = db.engine.dialect.name

    def try_claim(self, athlete_id: int) -> bool:
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

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fd, self._file = self._file, None
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class Roster:
    """The athletes this daemon serves, each with a runtime on the one shared database."""

    def __init__(self, settings: Settings, db: Database, only: str | None = None) -> None:
        self.settings = settings
        self.db = db
        self.only = only
        self.claims = Claims(db)
        self.runtimes: dict[int, Runtime] = {}
        self._guard = threading.Lock()  # `refresh` runs in the inbox job's thread while other jobs iterate
        self.elsewhere: set[str] = set()
        """Athletes another daemon serves (for the start-up log line)."""

    def start(self) -> list[Runtime]:
        """Claim the athletes to serve; raises `NobodyToServe` when another daemon holds every one of them."""
        added = self.refresh()
        if not self.runtimes:
            who = self.only or "any athlete of this database"
            raise NobodyToServe(f"another advisor daemon already serves {who}")
        return added

    def refresh(self) -> list[Runtime]:
        """Claim athletes added since the last call; returns the runtimes of the newly claimed ones."""
        athletes = self._athletes()
        added: list[Runtime] = []
        for athlete in athletes:
            if athlete.id in self.runtimes:
                continue
            if not self.claims.try_claim(athlete.id):
                self.elsewhere.add(athlete.name)
                continue
            self.elsewhere.discard(athlete.name)
            rt = Runtime.serving(self.settings, athlete, self.db)
            with self._guard:
                self.runtimes[athlete.id] = rt
            added.append(rt)
        return added

    def _athletes(self) -> list[AthleteInfo]:
        if self.only is not None:
            return [find_athlete(self.db, self.settings, self.only)]
        return list_athletes(self.db, self.settings)

    def __iter__(self) -> Iterator[Runtime]:
        with self._guard:
            return iter(list(self.runtimes.values()))

    def release(self) -> None:
        self.claims.release()
