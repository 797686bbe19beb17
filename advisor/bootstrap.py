"""What a command or a job needs at hand: the settings, the database (opened on first use) and the athlete.

A runtime serves one athlete. The default athlete's needs nothing but the config file, so `advisor status` of a
single runner opens the database only when it reads; another athlete's (`--athlete NAME`) is made by
`for_athlete`, which reads their profile from the database and hands the use cases settings that already hold it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.config import ConfigError, Settings
from advisor.private import ensure_private_dir
from advisor.store.db import Database, default_athlete_id, largest_id, open_database

if TYPE_CHECKING:
    from advisor.services.athletes import AthleteInfo
    from advisor.services.importing import ImportContext


def ensure_home(home: Path) -> None:
    """Create ADVISOR_HOME if needed; a home that is a file or cannot be created is one `ConfigError` sentence.

    Every piece of state lives there (health data, queued e-mails, tokens), so this is checked before anything
    else touches it, and the folder is the runner's alone: 0700 whatever the umask, an older looser one tightened
    with one warning (`advisor.private`).
    """
    if home.exists() and not home.is_dir():
        raise ConfigError(f"ADVISOR_HOME {home} is a file, not a directory; point ADVISOR_HOME at a directory")
    try:
        ensure_private_dir(home, f"ADVISOR_HOME {home}")
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
    """The settings in effect for this runtime's athlete (their profile, thresholds, inbox and Garmin folder)."""
    _db: Database | None = field(default=None, repr=False)
    _athlete_id: int | None = None
    base_settings: Settings | None = field(default=None, repr=False)
    """The config file's settings before any athlete's own values (None: the same as `settings`)."""
    owns_db: bool = field(default=True, repr=False)

    @classmethod
    def for_athlete(cls, settings: Settings, name: str | None, db: Database | None = None) -> Runtime:
        """The runtime of athlete `name` (None or the default name: the default athlete, opened lazily).

        Raises `advisor.services.athletes.AthleteError` when no such athlete was added. With `db`, the runtime
        shares that database (the daemon serves every athlete from one engine) and leaves it open on `close`.
        """
        if name is None or name == settings.profile.name:
            return cls(settings, _db=db, owns_db=db is None)
        from advisor.services.athletes import find_athlete

        rt = cls(settings, _db=db, owns_db=db is None)
        return cls.serving(settings, find_athlete(rt.db, settings, name), rt.db, owns_db=rt.owns_db)

    @classmethod
    def serving(cls, settings: Settings, athlete: AthleteInfo, db: Database, *, owns_db: bool = False) -> Runtime:
        """The runtime of a known athlete on an open database (the daemon's roster makes one per athlete)."""
        if athlete.is_default:
            return cls(settings, _db=db, _athlete_id=athlete.id, owns_db=owns_db)
        from advisor.services.athletes import settings_for

        own = settings_for(settings, athlete)
        return cls(own, _db=db, _athlete_id=athlete.id, base_settings=settings, owns_db=owns_db)

    @property
    def config(self) -> Settings:
        """The config file's own settings (what every athlete starts from)."""
        return self.base_settings or self.settings

    @property
    def is_default_athlete(self) -> bool:
        return self.base_settings is None

    @property
    def job_athlete(self) -> str | None:
        """Whose job runs these are, in `job_runs` (None: the default athlete's)."""
        return None if self.is_default_athlete else self.athlete_name

    @property
    def athlete_name(self) -> str:
        return self.settings.profile.name

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

    @property
    def largest_id(self) -> int:
        """The largest row id this database can hold (`store.db.largest_id`): an id beyond it names no row, and the
        CLI and the web page say so instead of sending the database an overflow."""
        return largest_id(self.db.url)

    @property
    def is_open(self) -> bool:
        """Whether the database is open and the athlete known (what `athlete_id` does on first use)."""
        return self._db is not None and self._athlete_id is not None

    def import_context(self, origin: str = "file") -> ImportContext:
        """Imported here, not at the top: `advisor status` never decodes, and start-up time is part of its answer."""
        from advisor.domain.metrics import HeartRateProfile
        from advisor.ingest.files import Limits
        from advisor.services.importing import ImportContext

        s = self.settings
        return ImportContext(
            store=self,
            decoder=s.fit.decoder,
            hr_profile=HeartRateProfile(max_hr=s.profile.max_hr, resting_hr=s.profile.resting_hr, sex=s.profile.sex),
            origin=origin,
            limits=Limits(
                max_member_bytes=s.imports.max_member_mib << 20,
                max_total_bytes=s.imports.max_archive_total_mib << 20,
                max_compression_ratio=s.imports.max_compression_ratio,
                max_nesting=s.imports.max_nesting,
            ),
            decode_time_limit_s=s.imports.decode_time_limit_s,
        )

    def close(self) -> None:
        if self._db is not None and self.owns_db:
            self._db.dispose()
        self._db = None
