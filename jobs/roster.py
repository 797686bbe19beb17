"""Which athletes this daemon serves, decided in the database, so two daemons never do one athlete's jobs twice.

A daemon serves every athlete in the database (or only `--athlete NAME`). Each athlete it serves is *claimed*
(`advisor.store.claims`): on PostgreSQL with an advisory lock per athlete that the server drops when the daemon's
connection dies, however it dies, so a second daemon, on this machine or another, serves only the athletes nobody
holds and several daemons share a clinic's athletes without sharing any athlete; on SQLite, which lives on one
machine, one daemon per database file serves all of its athletes.

Since the job queue (issue 25), `advisor daemon` on PostgreSQL no longer claims anyone: it defers tasks to the queue
(`jobs.queue`), whose per-athlete lock is the queue's own, and any number of workers share the athletes. The roster
stays for the single runner's daemon (`jobs.daemon`, SQLite's one daemon per database file) and for a program that
calls `jobs.daemon.run_daemon` / `run_once` itself.

Athletes added while the daemon runs are picked up by `refresh` (the daemon calls it before every inbox scan).
The outbox and the importer do not rely on these claims: they are safe on their own (`advisor.services.outbox`,
`advisor.store.db.lock_athlete`); the claims keep the work from being done twice, not the data from being stored twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from advisor.bootstrap import Runtime
from advisor.config import Settings
from advisor.services.athletes import AthleteInfo, find_athlete, list_athletes
from advisor.store.claims import AthleteClaims
from advisor.store.db import Database


class NobodyToServe(RuntimeError):
    """Every athlete this daemon would serve is served by another daemon already."""


class Roster:
    """The athletes this daemon serves, each with a runtime on the one shared database."""

    def __init__(self, settings: Settings, db: Database, only: str | None = None) -> None:
        self.settings = settings
        self.db = db
        self.only = only
        self.claims = AthleteClaims(db)
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
        """Give every claimed athlete back (the daemon stops): another daemon may serve them from now on."""
        self.claims.close()
