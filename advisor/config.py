"""Configuration: a TOML file, environment variables `ADVISOR_...` (nested with `__`), and defaults.

Precedence, highest first: values passed in code, environment variables, the TOML file, the defaults below.
The TOML file is `--config PATH`, else `$ADVISOR_CONFIG`, else `$ADVISOR_HOME/advisor.toml`, else
`advisor.toml` in the user's config directory, if present. Secrets (SMTP password, Garmin API key, the web page's
password, the notification URLs) are read only from the environment or from a secret file named in the config: a
TOML file that holds one is refused, so a config file can be shared or committed without leaking anything.

Read by pydantic-settings (`Settings.settings_customise_sources`): its environment source with `env_prefix` and
`env_nested_delimiter`, and its TOML source wrapped by `SecretFreeTomlSource`, which refuses secrets and unknown
sections with one sentence each.

`config/advisor.example.toml` documents every key; a test checks it covers every field here.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from advisor.config_servers import NotifySettings, Section, ServeSettings, SmtpSettings, secret_value
from advisor.domain.risk.thresholds import Thresholds
from advisor.errors import ConfigError

if TYPE_CHECKING:
    pass


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("advisor"))


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, with an error that names the bad value (ZoneInfo's own message does not): the profile's
    time zone and the scheduler's both check through here."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'") from None


class ProfileSettings(Section):
    sex: Literal["female", "male", "unspecified"] = "unspecified"
    flat_feet: bool = False
    orthotics: bool = False
    max_hr: int = Field(190, ge=120, le=230)
    resting_hr: int = Field(60, ge=30, le=110)
    timezone: str = "UTC"
    email: str | None = None
    name: str = "default"
    units: Literal["km", "mi"] = "km"
    """Text output only (advisor.render.units); JSON stays SI plus km."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value


class DatabaseSettings(Section):
    url: str | None = None


class FitSettings(Section):
    decoder: Literal["fitdecode", "fitparse", "fitfast"] = "fitfast"


class ImportSettings(Section):
    max_member_mib: int = Field(64, ge=1)
    max_archive_total_mib: int = Field(8192, ge=1)
    max_compression_ratio: int = Field(200, ge=10)
    max_nesting: int = Field(3, ge=0, le=10)
    decode_time_limit_s: float = Field(300.0, gt=0)


class GarminSettings(Section):
    method: Literal["garminconnect", "personal_api"] = "garminconnect"
    base_url: str | None = None
    backfill_days: int = Field(90, ge=1, le=3650)
    request_interval_s: float = Field(1.0, ge=0)
    max_retries: int = Field(3, ge=0, le=10)
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    token_dir: Path | None = None
    """Where the saved Garmin login lives (default: ADVISOR_HOME/garmin; another athlete's is a folder inside)."""

    def resolved_api_key(self) -> str | None:
        return secret_value(self.api_key, self.api_key_file)


class InboxSettings(Section):
    path: Path | None = None


class ScheduleSettings(Section):
    sync_every_hours: float = Field(6, gt=0)
    inbox_every_minutes: float = Field(10, gt=0)
    summary_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    summary_hour: int = Field(7, ge=0, le=23)


SECRET_KEYS = {("smtp", "password"), ("garmin", "api_key"), ("serve", "password"), ("notify", "urls")}
ENV_PREFIX = "ADVISOR_"

_config_file: ContextVar[Path | None] = ContextVar("advisor_config_file", default=None)
"""The TOML file `load_settings` found, for `Settings.settings_customise_sources`: pydantic-settings takes a TOML
file only from `model_config` (pydantic-settings issue 259), and a context variable keeps two threads that load
different files apart."""


class Settings(BaseSettings):
    """All configuration. `home` (ADVISOR_HOME) holds every piece of state: database, tokens, inbox, lock.

    Made by `load_settings`; built directly, it reads the environment (and no TOML file) by the same rules.
    """

    model_config = SettingsConfigDict(
        extra="ignore",
        validate_default=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
    )

    home: Path = Field(default_factory=default_home)
    profile: ProfileSettings = ProfileSettings()
    database: DatabaseSettings = DatabaseSettings()
    fit: FitSettings = FitSettings()
    imports: ImportSettings = ImportSettings()
    garmin: GarminSettings = GarminSettings()
    inbox: InboxSettings = InboxSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    smtp: SmtpSettings = SmtpSettings()
    serve: ServeSettings = ServeSettings()
    notify: NotifySettings = NotifySettings()
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @field_validator("home", mode="before")
    @classmethod
    def _home_is_not_empty(cls, value: object) -> object:
        """An empty home (`ADVISOR_HOME=`, as a unit file's empty line leaves it) is refused: as a path it would be
        the current directory, and a runner's database would be made wherever the command ran. Refused rather than
        taken as unset, as any other empty setting is (an empty `ADVISOR_SMTP__PORT` is an error too)."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: give a folder, or unset ADVISOR_HOME for the default")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Values passed in code, then the environment, then the TOML file (the defaults come last by themselves).
        No `.env` file and no secrets directory: the module docstring names every place a value comes from."""
        config_file = _config_file.get()
        from_file = () if config_file is None else (SecretFreeTomlSource(settings_cls, config_file),)
        return (init_settings, env_settings, *from_file)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.home / 'advisor.db'}"

    @property
    def garmin_token_dir(self) -> Path:
        return self.garmin.token_dir or self.home / "garmin"

    @property
    def inbox_path(self) -> Path:
        return self.inbox.path or self.home / "inbox"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.profile.timezone)

    def today(self) -> date:
        """The runner's local date: the one place the CLI reads the clock for a default `--as-of`."""
        from datetime import datetime

        return datetime.now(self.tz).date()


class SecretFreeTomlSource(TomlConfigSettingsSource):
    """pydantic-settings' TOML source, refusing a file that holds a secret (so a config file can be shared or
    committed without leaking one) or an unknown section (a typo would otherwise be silently ignored), and turning
    an unreadable file into one sentence."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path) -> None:
        try:
            super().__init__(settings_cls, toml_file)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"config file {toml_file} is not valid TOML: {error}") from None
        except OSError as error:
            raise ConfigError(f"cannot read config file {toml_file}: {error.strerror}") from None
        data = self.toml_data
        for section, key in SECRET_KEYS:
            if isinstance(data.get(section), dict) and key in data[section]:
                env = f"{ENV_PREFIX}{section.upper()}__{key.upper()}"
                raise ConfigError(
                    f"config file {toml_file} holds the secret {section}.{key}; secrets are never read from the TOML "
                    f"file: set {env} or {section}.{key}_file instead"
                )
        known = list(Settings.model_fields)
        for section in data:
            if section not in known:
                raise ConfigError(f"config file {toml_file}: unknown section [{section}]; known: {', '.join(known)}")


def find_config_file(explicit: Path | None = None) -> Path | None:
    """The TOML file to read, by the precedence in the module docstring; an explicit path must exist."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return explicit
    env = os.environ.get("ADVISOR_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"ADVISOR_CONFIG points to {path}, which does not exist")
        return path
    home = os.environ.get("ADVISOR_HOME")
    candidates = [Path(home).expanduser() / "advisor.toml"] if home else []
    import platformdirs

    candidates.append(Path(platformdirs.user_config_dir("advisor")) / "advisor.toml")
    return next((p for p in candidates if p.is_file()), None)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the configuration; every problem becomes one `ConfigError` naming the key and what is allowed.

    `overrides` win over everything, merged key by key inside a section (as the environment is over the file)."""
    path = find_config_file(config_file)
    token = _config_file.set(path)
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error, path)) from None
    except SettingsError as error:  # a value pydantic-settings cannot decode, e.g. a section's JSON
        raise ConfigError(f"bad configuration value in the {ENV_PREFIX}... environment: {error}") from None
    finally:
        _config_file.reset(token)


def _describe(error: ValidationError, path: Path | None) -> str:
    where = f" (config file {path} or ADVISOR_... environment)" if path else ""
    parts = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"])
        value = item.get("input")
        shown = "" if isinstance(value, dict) or item["type"] == "missing" else f" (got {value!r})"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{key}: {message}{shown}")
    return "bad configuration value" + where + ": " + "; ".join(parts)
