"""`advisor doctor`: what this install will actually use, and whether each part is ready — without a secret.

"Why does it not send my email?" is almost always a setting that came from somewhere unexpected (an old
environment variable, another config file). So every value is shown with where it came from — the default, the
config file, or the environment — and secrets only as "set" or "not set". Nothing here creates or migrates
anything: an SQLite file that does not exist yet is reported, not made.
"""

from __future__ import annotations

import os
import tomllib
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, SecretStr

from advisor.config import ConfigError, Settings, find_config_file

Source = Literal["default", "file", "environment"]


@dataclass(frozen=True)
class ConfigValue:
    key: str
    value: str
    source: Source


@dataclass(frozen=True)
class Check:
    """One part of the install: ready or not, and one sentence saying what it is or what is missing."""

    name: str
    ready: bool
    detail: str


@dataclass(frozen=True)
class DoctorReport:
    config_file: Path | None
    values: list[ConfigValue]
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """The data directory and the database work (mail and Garmin are optional)."""
        return all(c.ready for c in self.checks if c.name in ("data directory", "database"))

    def to_json(self) -> dict[str, Any]:
        return {
            "config_file": str(self.config_file) if self.config_file else None,
            "values": [{"key": v.key, "value": v.value, "source": v.source} for v in self.values],
            "checks": [{"name": c.name, "ready": c.ready, "detail": c.detail} for c in self.checks],
        }


def _shown(key: str, value: object) -> str:
    if isinstance(value, SecretStr):
        return "set (hidden)"
    if value is None:
        return "not set"
    if key == "database.url":
        from advisor.store.db import masked_url

        return masked_url(str(value))
    return str(value)


def config_values(settings: Settings, config_file: Path | None) -> list[ConfigValue]:
    """Every setting, its effective value, and which layer it came from (environment wins over the file)."""
    toml: dict[str, Any] = tomllib.loads(config_file.read_text()) if config_file else {}
    env = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith("ADVISOR_")}
    values: list[ConfigValue] = []
    home_source: Source = "environment" if "ADVISOR_HOME" in env else "file" if "home" in toml else "default"
    values.append(ConfigValue("home", str(settings.home), home_source))
    for section in Settings.model_fields:
        model = getattr(settings, section)
        if section == "home" or not isinstance(model, BaseModel):
            continue
        in_file = toml.get(section, {}) if isinstance(toml.get(section), dict) else {}
        for key in type(model).model_fields:
            name = f"{section}.{key}"
            source: Source = "default"
            if f"ADVISOR_{section.upper()}__{key.upper()}" in env:
                source = "environment"
            elif key in in_file:
                source = "file"
            values.append(ConfigValue(name, _shown(name, getattr(model, key)), source))
    return values


def _home_check(home: Path) -> Check:
    if home.is_dir():
        writable = os.access(home, os.W_OK | os.X_OK)
        return Check("data directory", writable, f"{home}" + ("" if writable else " (not writable)"))
    if home.exists():
        return Check("data directory", False, f"{home} is a file, not a directory")
    return Check("data directory", True, f"{home} (created on first use)")


def _database_check(url: str) -> Check:
    from advisor.store.db import SCHEMA_REVISION, StoreError, masked_url, probe_database

    shown = masked_url(url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return Check("database", True, f"{shown}: not created yet (made on first use, schema {SCHEMA_REVISION})")
    try:
        revision = probe_database(url)
    except StoreError as error:
        return Check("database", False, f"{shown}: not reachable: {error}")
    damage = _sqlite_damage(url)
    if damage:
        return Check("database", False, f"{shown}: damaged ({damage}); restore it from a backup")
    if revision == SCHEMA_REVISION:
        state = f"schema revision {revision} (current)"
    elif revision is None:
        state = f"reachable, no schema yet (revision {SCHEMA_REVISION} is made on first use)"
    else:
        from advisor.store.schema import UnknownRevisionError, refuse_unknown_revision

        try:
            refuse_unknown_revision(revision)
        except UnknownRevisionError as error:  # a newer advisor's database: this one must not touch it
            return Check("database", False, f"{shown}: {error}")
        state = f"schema revision {revision}; upgraded to {SCHEMA_REVISION} on first use"
    return Check("database", True, f"{shown}: {state}")


def _sqlite_damage(url: str) -> str | None:
    """SQLite's own `quick_check` of every page, or None when it finds nothing: a damaged page otherwise goes
    unnoticed until a read happens to touch it (`status` said "No activities yet" on a corrupt file). Too slow to
    run on every command, so `doctor` does it."""
    if not url.startswith("sqlite:///"):
        return None
    import sqlite3
    from urllib.parse import quote

    try:
        where = f"file:{quote(url.removeprefix('sqlite:///'))}?mode=ro"
        with closing(sqlite3.connect(where, uri=True)) as connection:
            found = [row[0] for row in connection.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        return str(error)
    return None if found == ["ok"] else "; ".join(found[:3])


def _smtp_check(settings: Settings) -> Check:
    from advisor.services.outbox import mail_settings_problem

    problem = mail_settings_problem(settings)
    if problem:
        return Check("weekly email (SMTP)", False, problem)
    smtp = settings.smtp
    try:
        password = smtp.resolved_password()
    except ConfigError as error:
        return Check("weekly email (SMTP)", False, str(error))
    if smtp.username and not password:
        return Check(
            "weekly email (SMTP)",
            False,
            "smtp.username is set but there is no password: set ADVISOR_SMTP__PASSWORD or smtp.password_file",
        )
    login = f" as {smtp.username}" if smtp.username else ""
    return Check("weekly email (SMTP)", True, f"{smtp.host}:{smtp.port} ({smtp.security}){login}")


def _garmin_check(settings: Settings) -> Check:
    from advisor.services.sync import garmin_configured

    method = settings.garmin.method
    if garmin_configured(settings):
        where = "API key set" if method == "personal_api" else f"saved login in {settings.garmin_token_dir}"
        return Check("Garmin", True, f"{method}: {where}")
    if method == "personal_api":
        return Check("Garmin", False, "personal_api: no API key (ADVISOR_GARMIN__API_KEY or garmin.api_key_file)")
    return Check("Garmin", False, "garminconnect: not logged in (run `advisor garmin login`)")


def diagnose(settings: Settings, config_file: Path | None = None) -> DoctorReport:
    """The whole report; `config_file` is what `--config` named (None: found the usual way)."""
    path = find_config_file(config_file)
    return DoctorReport(
        config_file=path,
        values=config_values(settings, path),
        checks=[
            _home_check(settings.home),
            _database_check(settings.database_url),
            _smtp_check(settings),
            _garmin_check(settings),
        ],
    )
