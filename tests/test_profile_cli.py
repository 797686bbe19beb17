"""`advisor profile` and `advisor profile set` (issue 19 item 5): set up without editing TOML.

The runner's own comments and other sections stay as they wrote them; a refused value leaves the file untouched
and is one sentence; a new file is made in ADVISOR_HOME, readable by its owner only; and what is set is what every
command then uses (the status page in miles).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

WRITTEN = """# my advisor settings
[profile]
# I live in Berlin
timezone = "Europe/Berlin"   # since 2019
sex = "female"

[smtp]
host = "mail.example.org"   # the club's server
"""


def test_set_keeps_the_runners_comments_and_other_sections(cli, isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = isolated_home / "advisor.toml"
    config.write_text(WRITTEN)
    result = cli("profile", "set", "--units", "mi", "--timezone", "Europe/London", "--max-hr", "182")
    assert result.exit_code == 0, result.stderr
    text = config.read_text()
    for kept in (
        "# my advisor settings",
        "# I live in Berlin",
        "# since 2019",
        'sex = "female"',
        "# the club's server",
    ):
        assert kept in text, kept
    assert 'timezone = "Europe/London"' in text and 'units = "mi"' in text and "max_hr = 182" in text
    assert "Europe/Berlin" not in text.replace("# I live in Berlin", "")
    shown = cli("profile").stdout
    assert "Europe/London" in shown and "mi" in shown and "182" in shown and str(config) in shown
    report = cli("status")
    assert report.exit_code == 0 and " km" not in report.stdout


def test_a_refused_value_is_one_sentence_and_the_file_is_untouched(cli, isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = isolated_home / "advisor.toml"
    config.write_text(WRITTEN)
    for args, words in (
        (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--max-hr", "400"], "profile.max_hr"),
        (["--units", "furlongs"], "profile.units"),
    ):
        result = cli("profile", "set", *args)
        assert result.exit_code == 2 and words in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and str(config) in result.stderr
        assert config.read_text() == WRITTEN
    assert [p.name for p in isolated_home.iterdir() if p.name.startswith(".advisor-")] == []
    nothing = cli("profile", "set")
    assert nothing.exit_code == 2 and "give at least one value" in nothing.stderr


def test_a_new_config_file_is_made_in_the_home_for_its_owner_only(cli, isolated_home: Path) -> None:
    config = isolated_home / "advisor.toml"
    assert not config.exists() and "none yet" in cli("profile").stdout
    assert cli("profile", "set", "--units", "mi", "--no-flat-feet").exit_code == 0
    assert config.stat().st_mode & 0o777 == 0o600
    assert "[profile]" in config.read_text()
    assert json.loads(cli("status", "--json").stdout)["as_of"]  # the file loads as every command's config


def test_the_environment_still_wins_and_says_so(cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_PROFILE__UNITS", "km")
    result = cli("profile", "set", "--units", "mi")
    assert result.exit_code == 0
    assert "ADVISOR_PROFILE__UNITS is set in the environment and wins over the file" in result.stdout
