"""Settings as properties: a value means the same whether it comes from the TOML file, an `ADVISOR_...` variable or
code, and the layers stack as documented (code over environment over file, key by key inside a section).

The expected settings are built with `Settings.model_validate`, which reads no source at all, so these tests check
the loading (pydantic-settings' sources, our TOML source, the merge), not pydantic's validation against itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import available_timezones

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from advisor.config import SECRET_KEYS, ConfigError, Settings, load_settings

Channel = Literal["toml", "env", "override"]
"""Where a value is given: the TOML file, an `ADVISOR_...` variable, or `load_settings(**overrides)`."""
CHANNELS: tuple[Channel, ...] = ("toml", "env", "override")

printable = st.characters(exclude_categories=("Cc", "Cs"))
"""Text any channel can carry: no control characters (TOML wants them escaped, the environment refuses NUL), no
lone surrogates (not encodable)."""
names = st.text(printable, max_size=20)
segments = st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="/"), min_size=1, max_size=8)
paths = st.lists(segments, min_size=1, max_size=4).map(lambda parts: Path("/", *parts))
zones = st.sampled_from(sorted(available_timezones()))
labels = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)
host_names = st.lists(labels, min_size=1, max_size=3).map(".".join).filter(lambda h: h not in ("true", "false", "null"))
"""Host names as `serve.allowed_hosts` keeps them (lower case). Not a bare JSON literal: a single `true` in the
environment is decoded as JSON by pydantic-settings (and always was), which is not a host list."""
addresses = st.ip_addresses().map(str)
positive_floats = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


@dataclass(frozen=True)
class Key:
    """One setting the tests give: where it lives and which values it takes."""

    section: str | None  # None: a top-level field such as `home`
    name: str
    values: st.SearchStrategy[Any]

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}" if self.section else self.name


KEYS = (
    Key(None, "home", paths),
    Key("profile", "name", names),
    Key("profile", "max_hr", st.integers(120, 230)),
    Key("profile", "timezone", zones),
    Key("profile", "flat_feet", st.booleans()),
    Key("profile", "units", st.sampled_from(["km", "mi"])),
    Key("fit", "decoder", st.sampled_from(["fitdecode", "fitparse", "fitfast"])),
    Key("imports", "decode_time_limit_s", positive_floats),
    Key("garmin", "token_dir", paths),
    Key("schedule", "sync_every_hours", positive_floats),
    Key("smtp", "host", host_names),
    Key("smtp", "port", st.integers(1, 65535)),
    Key("serve", "enabled", st.booleans()),
    Key("serve", "allowed_hosts", st.lists(host_names | addresses, max_size=4)),
    Key("thresholds", "next_run_factor", positive_floats),
    Key("thresholds", "session_lookback_days", st.integers(1, 365)),
)


def toml_value(value: Any) -> str:
    """`value` written as TOML (the standard library reads TOML but does not write it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string without control characters is a TOML one


def toml_text(values: dict[Key, Any]) -> str:
    top = [f"{key.name} = {toml_value(value)}" for key, value in values.items() if key.section is None]
    lines = [*top]
    for section in dict.fromkeys(key.section for key in values if key.section):
        lines.append(f"[{section}]")
        lines += [f"{key.name} = {toml_value(value)}" for key, value in values.items() if key.section == section]
    return "\n".join(lines) + "\n"


@st.composite
def env_value(draw: st.DrawFn, value: Any) -> str:
    """`value` as a user would write it in an environment variable; where there are several usual ways, any."""
    if isinstance(value, bool):
        return draw(st.sampled_from(["true", "True", "1", "yes", "on"] if value else ["false", "False", "0", "no"]))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return draw(st.sampled_from([json.dumps(value), ",".join(value), ", ".join(value)]))
    return str(value)


def env_name(draw: st.DrawFn, key: Key) -> str:
    name = f"ADVISOR_{key.section}__{key.name}" if key.section else f"ADVISOR_{key.name}"
    return draw(st.sampled_from([str.upper, str.lower]))(name)  # names are read in any case


def nested(values: dict[Key, Any]) -> dict[str, Any]:
    """The values as `Settings` takes them: sections as dictionaries."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        if key.section is None:
            data[key.name] = value
        else:
            data.setdefault(key.section, {})[key.name] = value
    return data


@dataclass
class Given:
    """Settings given through the three channels at once."""

    toml: dict[Key, Any]
    env: dict[str, str]
    overrides: dict[str, Any]


@st.composite
def given_through(draw: st.DrawFn, values: dict[Key, Any], channel_of: Callable[[Key], Channel]) -> Given:
    toml: dict[Key, Any] = {}
    env: dict[str, str] = {}
    in_code: dict[Key, Any] = {}
    for key, value in values.items():
        channel = channel_of(key)
        if channel == "toml":
            toml[key] = value
        elif channel == "env":
            env[env_name(draw, key)] = draw(env_value(value))
        else:
            in_code[key] = value
    return Given(toml, env, nested(in_code))


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Exactly `variables` as the `ADVISOR_...` environment (the fixture's ADVISOR_HOME too is set aside), restored
    after: hypothesis runs many examples in one test, so pytest's per-test monkeypatch cannot do it."""
    saved = {name: value for name, value in os.environ.items() if name.upper().startswith("ADVISOR_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(variables)
    try:
        yield
    finally:
        for name in [n for n in os.environ if n.upper().startswith("ADVISOR_")]:
            del os.environ[name]
        os.environ.update(saved)


def load(given: Given, folder: Path) -> Settings:
    config_file = None
    if given.toml:
        config_file = folder / "advisor.toml"
        config_file.write_text(toml_text(given.toml))
    with environment(given.env):
        return load_settings(config_file, **given.overrides)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("settings-properties")


some_keys = st.lists(st.sampled_from(KEYS), min_size=1, max_size=8, unique=True)


@st.composite
def values_and_channels(draw: st.DrawFn) -> tuple[dict[Key, Any], dict[Key, Channel]]:
    keys = draw(some_keys)
    values = {key: draw(key.values) for key in keys}
    return values, {key: draw(st.sampled_from(CHANNELS)) for key in keys}


@hypothesis_settings(max_examples=60, deadline=None)
@given(data=st.data(), drawn=values_and_channels())
def test_a_value_means_the_same_from_the_file_the_environment_or_code(
    folder: Path, data: st.DataObject, drawn: tuple[dict[Key, Any], dict[Key, Channel]]
) -> None:
    """Each key through its own channel, several keys of one section through different ones (merged key by key):
    the settings are those of the values given directly."""
    values, channels = drawn
    given = data.draw(given_through(values, channels.__getitem__))
    with environment({}):
        expected = Settings.model_validate(nested(values))
    assert load(given, folder) == expected


@hypothesis_settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    key=st.sampled_from(KEYS),
    present=st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True),
)
def test_code_beats_the_environment_which_beats_the_file(
    folder: Path, data: st.DataObject, key: Key, present: list[Channel]
) -> None:
    """One key given through several channels at once, each with its own value: the highest channel's value wins."""
    values = {channel: data.draw(key.values, label=channel) for channel in present}
    layers = [data.draw(given_through({key: value}, lambda _, c=channel: c)) for channel, value in values.items()]
    combined = Given(
        toml={k: v for layer in layers for k, v in layer.toml.items()},
        env={k: v for layer in layers for k, v in layer.env.items()},
        overrides={k: v for layer in layers for k, v in layer.overrides.items()},
    )
    winner = next(channel for channel in ("override", "env", "toml") if channel in values)
    with environment({}):
        expected = Settings.model_validate(nested({key: values[winner]}))
    assert load(combined, folder) == expected


@hypothesis_settings(max_examples=30, deadline=None)
@given(secret=st.sampled_from(sorted(SECRET_KEYS)), value=names.map(lambda text: f"«{text}»"))
def test_a_secret_is_refused_from_the_file_and_taken_from_the_environment(
    folder: Path, secret: tuple[str, str], value: str
) -> None:
    """Whatever the secret's value (marked with « » so the message cannot hold it by chance), the file is refused in
    one sentence that names the key and its variable, and the same value is taken from that variable."""
    section, name = secret
    config_file = folder / "secret.toml"
    config_file.write_text(f"[{section}]\n{name} = {toml_value(value)}\n")
    with environment({}), pytest.raises(ConfigError) as refused:
        load_settings(config_file)
    message = str(refused.value)
    variable = f"ADVISOR_{section.upper()}__{name.upper()}"
    assert f"holds the secret {section}.{name}" in message and variable in message
    assert value not in message and "\n" not in message
    with environment({variable: value}):
        loaded = getattr(load_settings(), section)
    assert getattr(loaded, name).get_secret_value() == value
