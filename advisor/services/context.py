"""What a use case needs at hand for one athlete: their settings, the database and their id.

A Protocol, not the class: `advisor.bootstrap.Runtime` (the composition root, above this floor) is the one
implementation, and a service only states what it reads, so the services never import the wiring that calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from advisor.config import Settings
    from advisor.services.importing import ImportContext
    from advisor.store.db import Database


class AthleteContext(Protocol):
    """One athlete's settings (profile, thresholds, inbox and Garmin folder), database and row id."""

    settings: Settings

    @property
    def db(self) -> Database: ...

    @property
    def athlete_id(self) -> int: ...

    def import_context(self, origin: str = "file") -> ImportContext: ...
