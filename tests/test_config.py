"""Configuration: TOML file, environment, ADVISOR_HOME, secrets, and one clear message for a bad value."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from advisor.config import ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).parents[1] / "config" / "advisor.example.toml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_put_all_state_under_advisor_home(isolated_home: Path) -> None:
    settings = load_settings()
    assert settings.home == isolated_home
    assert settings.database_url == f"sqlite:///{isolated_home / 'advisor.db'}"
    assert settings.inbox_path == isolated_home / "inbox"
    assert settings.fit.decoder == "fitfast"


def test_toml_file_then_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(
        tmp_path / "a.toml", '[profile]\nmax_hr = 185\ntimezone = "Europe/Berlin"\n[fit]\ndecoder = "fitparse"\n'
    )
    settings = load_settings(config)
    assert (settings.profile.max_hr, settings.profile.timezone, settings.fit.decoder) == (
        185,
        "Europe/Berlin",
        "fitparse",
    )
    monkeypatch.setenv("ADVISOR_PROFILE__MAX_HR", "177")
    assert load_settings(config).profile.max_hr == 177


def test_config_found_through_advisor_config_and_home(tmp_path: Path, isolated_home: Path, monkeypatch) -> None:
    write(isolated_home / "advisor.toml", "[profile]\nresting_hr = 44\n")
    assert load_settings().profile.resting_hr == 44
    other = write(tmp_path / "other.toml", "[profile]\nresting_hr = 51\n")
    monkeypatch.setenv("ADVISOR_CONFIG", str(other))
    assert load_settings().profile.resting_hr == 51


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[profile]\nmax_hr = 999\n", r"profile\.max_hr: Input should be less than or equal to 230 \(got 999\)"),
        (
            '[fit]\ndecoder = "fast"\n',
            r"fit\.decoder: Input should be 'fitdecode', 'fitparse' or 'fitfast' \(got 'fast'\)",
        ),
        ('[profile]\ntimezone = "Mars/Olympus"\n', r"profile\.timezone: unknown time zone 'Mars/Olympus'"),
        ("[profile]\nshoe = 1\n", r"profile\.shoe: Extra inputs are not permitted"),
        ("[profil]\nmax_hr = 180\n", r"unknown section \[profil\]"),
        ("[profile\n", r"is not valid TOML"),
        ('[smtp]\npassword = "hunter2"\n', r"holds the secret smtp\.password.*ADVISOR_SMTP__PASSWORD"),
    ],
)
def test_bad_values_give_one_clear_message(tmp_path: Path, toml: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path / "bad.toml", toml))
    message = str(caught.value)
    assert re.search(expected, message), message
    assert "\n" not in message
    assert "hunter2" not in message


def test_bad_environment_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_SCHEDULE__SUMMARY_HOUR", "25")
    with pytest.raises(ConfigError, match=r"schedule\.summary_hour"):
        load_settings()


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"advisor_profile__timezone": "Europe/Berlin"}, {"profile.timezone": "Europe/Berlin"}),
        ({"ADVISOR_PROFILE": '{"max_hr": 170}'}, {"profile.max_hr": 170, "profile.resting_hr": 44}),
        ({"ADVISOR_SERVE__ALLOWED_HOSTS": "a.example, B.example"}, {"serve.allowed_hosts": ["a.example", "b.example"]}),
        (
            {"ADVISOR_SERVE__ALLOWED_HOSTS": '["a.example", "[fd00::7]"]'},
            {"serve.allowed_hosts": ["a.example", "fd00::7"]},
        ),
        ({"ADVISOR_NOPE__X": "2", "ADVISOR_ATHLETE": "ana", "ADVISOR_HOME__X": "1"}, {"profile.max_hr": 190}),
        ({"ADVISOR_PROFILE__SHOE": "1"}, r"profile\.shoe: Extra inputs are not permitted"),
        ({"ADVISOR_SMTP__PORT": ""}, r"smtp\.port: Input should be a valid integer.*\(got ''\)"),
        ({"ADVISOR_PROFILE": "{bad"}, r"ADVISOR_\.\.\. environment: .*field \"profile\""),
    ],
)
def test_environment_variables_read_as_pydantic_settings_documents(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: dict[str, object] | str
) -> None:
    """Names in any case, `__` into a section, a whole section as JSON (merged with the file key by key), a list as
    JSON or separated by commas, variables that name no setting ignored; a bad one is one sentence."""
    write(isolated_home / "advisor.toml", "[profile]\nresting_hr = 44\n")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    if isinstance(expected, str):
        with pytest.raises(ConfigError) as caught:
            load_settings()
        assert re.search(expected, str(caught.value)) and "\n" not in str(caught.value), str(caught.value)
        return
    settings = load_settings()
    for key, value in expected.items():
        section, name = key.split(".")
        assert getattr(getattr(settings, section), name) == value


def test_a_config_file_that_is_not_utf8_is_one_sentence(tmp_path: Path) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes(b'[profile]\nname = "Jos\xe9"\n')
    with pytest.raises(ConfigError, match=r"latin1\.toml is not valid TOML"):
        load_settings(config)


def test_secrets_come_from_environment_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_SMTP__PASSWORD", "from-env")
    assert load_settings().smtp.resolved_password() == "from-env"
    monkeypatch.delenv("ADVISOR_SMTP__PASSWORD")
    secret = write(tmp_path / "key", "api-key-123\n")
    monkeypatch.setenv("ADVISOR_GARMIN__API_KEY_FILE", str(secret))
    settings = load_settings()
    assert settings.garmin.resolved_api_key() == "api-key-123"
    assert "api-key-123" not in repr(settings)


def test_missing_config_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def _keys(model: type, prefix: str = "") -> set[str]:
    from pydantic import BaseModel

    keys: set[str] = set()
    for name, field in model.model_fields.items():
        name = field.alias or name
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _keys(annotation, f"{prefix}{name}.")
        elif name not in ("home",):
            keys.add(prefix + name)
    return keys


def test_example_config_documents_every_key_and_loads() -> None:
    """Every setting appears in the example (secrets as commented lines), and the example itself is valid."""
    text = EXAMPLE.read_text()
    uncommented = "\n".join(line.lstrip("# ") if re.match(r"#\s*\w+\s*=", line) else line for line in text.splitlines())
    data = tomllib.loads(uncommented)
    documented = {f"{section}.{key}" for section, values in data.items() for key in values}
    missing = _keys(Settings) - documented
    assert not missing, f"undocumented keys: {sorted(missing)}"
    load_settings(EXAMPLE)
