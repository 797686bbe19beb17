"""What a command or a job needs at hand: the settings, the database (opened on first use) and the athlete."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.config import ConfigError, Settings
from advisor.store.db import Database, default_athlete_id, open_database

if TYPE_CHECKING:
    from advisor.usecases.importing import ImportContext


def ensure_home(home: Path) -> None:
    """Create ADVISOR_HOME if needed; a home that is a file or cannot be created is one `ConfigError` sentence.

    Every piece of state lives there, so this is checked before anything else touches it.
    """
    if home.exists() and not home.is_dir():
        raise ConfigError(f"ADVISOR_HOME {home} is a file, not a directory; point ADVISOR_HOME at a directory")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(
            f"cannot create ADVISOR_HOME {home}: {reason}; point ADVISOR_HOME at a writable directory"
        ) from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise ConfigError(f"ADVISOR_HOME {home} is not writable; point ADVISOR_HOME at a writable directory")


@dataclass
class Runtime:
    settings: Settings
    _db: Database | None = field(default=None, repr=False)
    _athlete_id: int | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            ensure_home(self.settings.home)
            self._db = open_database(self.settings.database_url)
        return self._db

    @property
    def athlete_id(self) -> int:
        if self._athlete_id is None:
            self._athlete_id = default_athlete_id(self.db, self.settings.profile.name)
        return self._athlete_id

    def import_context(self, origin: str = "file") -> ImportContext:
        """Imported here, not at the top: `advisor status` never decodes, and start-up time is part of its answer."""
        from advisor.metrics import HeartRateProfile
        from advisor.sources.files import Limits
        from advisor.usecases.importing import ImportContext

        s = self.settings
        return ImportContext(
            db=self.db,
            athlete_id=self.athlete_id,
            decoder=s.fit.decoder,
            hr_profile=HeartRateProfile(max_hr=s.profile.max_hr, resting_hr=s.profile.resting_hr, sex=s.profile.sex),
            origin=origin,
            limits=Limits(
                max_member_bytes=s.imports.max_member_mib << 20,
                max_total_bytes=s.imports.max_archive_total_mib << 20,
                max_compression_ratio=s.imports.max_compression_ratio,
                max_nesting=s.imports.max_nesting,
            ),
        )

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None
