"""Athletes of a coach or a clinic: each with a profile and thresholds of their own, on one database.

The config file's `[profile]` and `[thresholds]` describe the default athlete, and are the starting point of every
other one: an athlete row stores only what differs (NULL profile columns, a JSON object of changed thresholds), so a
clinic sets its own defaults once in the config file and a single runner never meets this module.

`settings_for` turns the config's settings and an athlete into the settings every use case already reads
(`rt.settings.profile`, `.thresholds`, `.inbox_path`, the Garmin token folder), so no use case needs to know whether
it serves the default athlete or the fortieth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from advisor.config import InboxSettings, ProfileSettings, Settings
from advisor.domain.risk.thresholds import Thresholds
from advisor.errors import ConfigError
from advisor.store.athletes import (
    PROFILE_FIELDS,
    NameTaken,
    StoredAthlete,
    insert_athlete,
    read_athlete,
    read_athletes,
    update_athlete,
)
from advisor.store.db import Database, default_athlete_id

NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
"""A name is also a folder (`inbox/NAME/`, the Garmin login's folder), so it is kept to what every file system takes."""
RESERVED_NAMES = {"processed", "failed"}
"""The inbox's own folders: an athlete of that name would have their inbox inside the processed files."""


class AthleteError(ConfigError):
    """An athlete that does not exist, a bad name or a bad profile value: one sentence, exit code 2."""


@dataclass(frozen=True)
class AthleteInfo:
    id: int
    name: str
    is_default: bool
    profile: ProfileSettings
    """The profile in effect: the config's `[profile]` with this athlete's own values over it."""
    own_profile: dict[str, Any]
    """Only the values stored for this athlete (the rest come from the config file)."""
    own_thresholds: dict[str, float]
    created_at: datetime


def check_name(name: str) -> str:
    if not NAME_RULE.fullmatch(name) or name.lower() in RESERVED_NAMES:
        raise AthleteError(
            f"athlete name {name!r} is not allowed: use 1-40 letters, digits, '.', '-' or '_', starting with a letter "
            "or digit (it names the athlete's inbox folder), and not 'processed' or 'failed'"
        )
    return name


def add_athlete(
    db: Database, settings: Settings, name: str, profile: Mapping[str, Any], thresholds: Mapping[str, float]
) -> AthleteInfo:
    """Store a new athlete; their profile and thresholds are checked exactly as the config file's would be."""
    check_name(name)
    if name == settings.profile.name:
        raise AthleteError(f"{name!r} is the default athlete, whose profile is the config file's [profile]")
    _check_profile_fields(profile)
    _effective_profile(settings, name, dict(profile))
    _effective_thresholds(settings, dict(thresholds))
    try:
        insert_athlete(db, name, (profile, thresholds), {settings.profile.name.lower(): settings.profile.name})
    except NameTaken as taken:
        if taken.existing == name:
            raise AthleteError(
                f"an athlete named {name!r} exists already; change them with `advisor athlete set`"
            ) from None
        raise AthleteError(
            f"an athlete named {taken.existing!r} exists already: names that differ only in case would "
            "share one inbox folder on macOS and Windows, and are easy to mix up"
        ) from None
    return find_athlete(db, settings, name)


def set_athlete(
    db: Database,
    settings: Settings,
    name: str,
    profile: Mapping[str, Any],
    thresholds: Mapping[str, float],
    clear: Iterable[str] = (),
) -> AthleteInfo:
    """Change some of an athlete's values; `clear` names values that go back to the config file's."""
    if name == settings.profile.name:
        raise AthleteError(
            f"{name!r} is the default athlete: their profile and thresholds are the config file's [profile] and "
            "[thresholds]; change them there"
        )
    clear = list(clear)
    unknown = [key for key in clear if key not in PROFILE_FIELDS and key not in Thresholds.model_fields]
    if unknown:
        raise AthleteError(f"cannot clear {', '.join(unknown)}: not a profile field or threshold")
    _check_profile_fields(profile)

    def change(stored: StoredAthlete) -> tuple[dict[str, Any], dict[str, float]]:
        own_profile = {**stored.own_profile, **profile}
        own_thresholds = {**stored.own_thresholds, **thresholds}
        for key in clear:
            own_profile.pop(key, None)
            own_thresholds.pop(key, None)
        _effective_profile(settings, name, own_profile)
        _effective_thresholds(settings, own_thresholds)
        return own_profile, own_thresholds

    if not update_athlete(db, name, change):
        raise _missing(name)
    return find_athlete(db, settings, name)


def list_athletes(db: Database, settings: Settings) -> list[AthleteInfo]:
    """Every athlete, the default one first (created here when missing, as on any first use)."""
    default_athlete_id(db, settings.profile.name)
    infos = [athlete_info(settings, stored) for stored in read_athletes(db)]
    return sorted(infos, key=lambda info: (not info.is_default, info.name))


def find_athlete(db: Database, settings: Settings, name: str) -> AthleteInfo:
    """The athlete called `name`; the default athlete is created on first use, any other must have been added."""
    if name == settings.profile.name:
        default_athlete_id(db, name)
    stored = read_athlete(db, name)
    if stored is None:
        raise _missing(name)
    return athlete_info(settings, stored)


def remove_athlete(db: Database, settings: Settings, name: str) -> dict[str, int]:
    """Remove an athlete of a coach's and every row of theirs, in one transaction; the rows removed per table.
    The default athlete (the config file's) stays: `delete_data` empties theirs."""
    from advisor.store.athletes import delete_athlete_data

    if name == settings.profile.name:
        raise AthleteError(f"{name} is the config file's own athlete and stays: `advisor data delete` empties it")
    info = find_athlete(db, settings, name)
    return delete_athlete_data(db, info.id, athlete_too=True)


def delete_data(db: Database, athlete_id: int) -> dict[str, int]:
    """Delete every row the athlete has (activities and their files' records, pain, rehab, assessments, stairs,
    mail, sync marks), keeping the athlete and the config; the rows deleted per table."""
    from advisor.store.athletes import delete_athlete_data

    return delete_athlete_data(db, athlete_id, athlete_too=False)


def settings_for(settings: Settings, athlete: AthleteInfo) -> Settings:
    """The settings the use cases read when they serve `athlete` (see the module docstring).

    Another athlete's inbox is the folder of their name inside the inbox, and their Garmin login lives in a folder
    of their own, so two runners' watches and accounts never meet.
    """
    if athlete.is_default:
        return settings
    return settings.model_copy(
        update={
            "profile": athlete.profile,
            "thresholds": _effective_thresholds(settings, athlete.own_thresholds),
            "inbox": InboxSettings(path=settings.inbox_path / athlete.name),
            "garmin": settings.garmin.model_copy(update={"token_dir": settings.garmin_token_dir / athlete.name}),
        }
    )


def athlete_folder_names(db: Database, settings: Settings) -> set[str]:
    """The names of every athlete but the default one: their inbox folders, which the default athlete's scan of the
    inbox leaves alone."""
    return {stored.name for stored in read_athletes(db, except_name=settings.profile.name)}


def athlete_info(settings: Settings, stored: StoredAthlete) -> AthleteInfo:
    """An athlete as the use cases see them: the config's profile with their own values over it."""
    is_default = stored.name == settings.profile.name
    own = {} if is_default else stored.own_profile
    return AthleteInfo(
        id=stored.id,
        name=stored.name,
        is_default=is_default,
        profile=settings.profile if is_default else _effective_profile(settings, stored.name, own),
        own_profile=own,
        own_thresholds={} if is_default else stored.own_thresholds,
        created_at=stored.created_at,
    )


def _check_profile_fields(profile: Mapping[str, Any]) -> None:
    for key in profile:
        if key not in PROFILE_FIELDS:
            raise AthleteError(f"{key} is not a profile field; the fields are {', '.join(PROFILE_FIELDS)}")


def _effective_profile(settings: Settings, name: str, own: dict[str, Any]) -> ProfileSettings:
    try:
        return ProfileSettings.model_validate({**settings.profile.model_dump(), **own, "name": name})
    except ValidationError as error:
        raise AthleteError(f"athlete {name}: {_first_problem(error)}") from None


def _effective_thresholds(settings: Settings, own: Mapping[str, float]) -> Thresholds:
    if not own:
        return settings.thresholds
    try:
        return Thresholds.model_validate({**settings.thresholds.model_dump(), **own})
    except ValidationError as error:
        raise AthleteError(f"thresholds: {_first_problem(error)}") from None


def _first_problem(error: ValidationError) -> str:
    item = error.errors()[0]
    key = ".".join(str(p) for p in item["loc"])
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        message = "not a known key"
    return f"{key}: {message} (got {item.get('input')!r})"


def _missing(name: str) -> AthleteError:
    return AthleteError(f"there is no athlete named {name!r}; add them with `advisor athlete add {name}`")
