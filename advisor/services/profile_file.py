"""`advisor profile set`: the default athlete's profile written into the config file, its comments kept.

A runner should not have to learn TOML to say they run in miles in London. The config file is edited with tomlkit
(a well-kept library that round-trips TOML: comments, order and layout stay as the runner left them) and only the
keys given change. Nothing is written unless the whole configuration still loads with the new values (the same
checks as at every start), and the file is replaced in one step (a temporary file beside it, then a rename), so a
bad value or a crash never leaves a half-written or unusable config.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit

from advisor.config import ENV_PREFIX, find_config_file, load_settings
from advisor.errors import ConfigError

__all__ = ["config_target", "overridden_by_environment", "set_profile"]


def config_target(explicit: Path | None, home: Path) -> Path:
    """The file `profile set` writes: the config file in use, else a new `advisor.toml` in ADVISOR_HOME."""
    return find_config_file(explicit) or home / "advisor.toml"


def set_profile(path: Path, changes: Mapping[str, Any]) -> None:
    """Set `changes` (profile keys) in `path`'s [profile], creating the file or the table if needed; a value the
    configuration refuses is a `ConfigError` naming it, and the file is left as it was."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as error:
        raise ConfigError(f"config file {path} is not valid TOML ({error}); fix it by hand first") from None
    table = document.get("profile")
    if table is None:
        table = tomlkit.table()
        document["profile"] = table
    for key, value in changes.items():
        table[key] = value
    new_text = tomlkit.dumps(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".advisor-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(new_text)
        try:
            load_settings(Path(temporary))  # the same checks as every start: refused values never reach the file
        except ConfigError as error:
            raise ConfigError(str(error).replace(temporary, str(path)) + "; nothing was written") from None
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o600)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def overridden_by_environment(keys: list[str]) -> list[str]:
    """The `ADVISOR_PROFILE__…` variables set in the environment for `keys`: they win over the file."""
    return [name for key in keys if (name := f"{ENV_PREFIX}PROFILE__{key.upper()}") in os.environ]
