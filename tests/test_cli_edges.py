"""What a runner can type, or a file can carry, at the edges: dates in year 1, ids no database can hold, control
characters in a note or a file name. Each is one sentence and exit 2, or text printed harmlessly, never a
traceback — through the real command on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

YEAR_ONE = [
    ("status", "--as-of", "0001-01-01"),
    ("status", "--as-of", "0001-01-01", "--json"),
    ("activities", "--since", "0001-01-01"),
    ("team", "status", "--as-of", "0001-01-01"),
    ("summary", "--week", "0001-W01", "--preview", "week.html"),
    ("pain", "list", "--since", "0001-01-01"),
    ("rehab", "list", "--since", "0001-01-01"),
    ("stairs", "log", "--floors", "3", "--date", "0001-01-01"),
]


def one_sentence(result) -> str:
    """The single line on standard error of a refused command, which printed nothing else."""
    assert result.exit_code == 2, result
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("advisor: ")
    return line


@pytest.mark.parametrize("args", YEAR_ONE, ids=[" ".join(a[:2]) for a in YEAR_ONE])
def test_a_date_in_year_one_is_one_sentence(cli, args: tuple[str, ...], tmp_path: Path) -> None:
    """The reports look 200-odd days (the chart 12 weeks) behind a date: from year 1 that left the calendar."""
    args = tuple(str(tmp_path / a) if a.endswith(".html") else a for a in args)
    line = one_sentence(cli(*args))
    assert "0001" in line and "1900-01-01" in line


def test_the_first_date_allowed_gives_whole_reports(cli, tmp_path: Path) -> None:
    """The limit is where it says: its first day and week work everywhere."""
    assert cli("stairs", "log", "--floors", "3", "--date", "1900-01-01").exit_code == 0
    assert json.loads(cli("status", "--as-of", "1900-01-01", "--json").stdout)["weeks"]
    assert cli("team", "status", "--as-of", "1900-01-01").exit_code == 0
    assert cli("summary", "--week", "1900-W01", "--preview", str(tmp_path / "w.html")).exit_code == 0
    assert cli("activities", "--since", "1900-01-01").exit_code == 0


IMPOSSIBLE_IDS = [2**31, 2**63, 12345678901234567890123]
"""Past PostgreSQL's INTEGER keys, past SQLite's 64-bit rowid, and 23 digits."""


@pytest.mark.parametrize("activity_id", IMPOSSIBLE_IDS)
def test_an_id_no_database_can_hold_is_no_such_activity(cli, activity_id: int) -> None:
    """The same sentence as any id that is not there, for every command that takes one."""
    for command in (["activity"], ["activity", "show"], ["activity", "exclude"], ["activity", "include"]):
        line = one_sentence(cli(*command, str(activity_id)))
        assert line == f"advisor: there is no activity {activity_id}; `advisor activities` lists their ids"
    assert one_sentence(cli("activity", "set", str(activity_id), "--sport", "cycling")) == (
        f"advisor: there is no activity {activity_id}; `advisor activities` lists their ids"
    )
    assert one_sentence(cli("pain", "delete", str(activity_id))) == (
        f"advisor: there is no pain entry with id {activity_id} (see `advisor pain list`)"
    )
    assert one_sentence(cli("activity", "999")) == (
        "advisor: there is no activity 999; `advisor activities` lists their ids"
    )


ESCAPES = "a\x1b[2Jb\x1b]0;pwned\x07c\rd\x9b31me"
"""Clear the screen, retitle the window (OSC ... BEL), a carriage return over the line, and C1's CSI."""
SHOWN = "a\\x1b[2Jb\\x1b]0;pwned\\x07c\\x0dd\\x9b31me"


def test_control_characters_in_notes_are_printed_escaped(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A note is printed as text to look at: its escape sequences are shown, not obeyed; --json keeps it exact."""
    monkeypatch.setenv("COLUMNS", "200")  # the note on one line of the table
    assert cli("pain", "log", "--score", "2", "--note", ESCAPES).exit_code == 0
    assert cli("rehab", "log", "--note", ESCAPES).exit_code == 0
    for listing in (["pain", "list"], ["rehab", "list"]):
        shown = cli(*listing).stdout
        assert not any(c in shown for c in "\x1b\x07\r\x9b"), repr(shown)
        assert SHOWN in shown
    assert json.loads(cli("pain", "list", "--json").stdout)["pain"][0]["note"] == ESCAPES
    assert json.loads(cli("rehab", "list", "--json").stdout)["rehab"][0]["note"] == ESCAPES


def test_control_characters_in_a_file_name_are_printed_escaped(cli, tmp_path: Path) -> None:
    """An import prints each file's name, which a zip or a stranger chose."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "evil\x1b[2J.gpx").write_text("not a track")
    result = cli("import", str(folder))
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    assert "evil\\x1b[2J.gpx: " in result.stdout


def test_control_characters_in_an_activity_name_are_printed_escaped(cli, tmp_path: Path) -> None:
    """An activity's name comes from the file (the FIT sport message's name): `activities` and `activity show` print
    it escaped, and the source file's name too; `--json` keeps it exact."""
    from fitgen import write_activity

    name = "Run\x1b]0;owned\x07"
    path = tmp_path / "run\x1b[2J.fit"
    path.write_bytes(write_activity(None, name=name))
    assert cli("import", str(path)).exit_code == 0
    [row] = json.loads(cli("activities", "--json").stdout)["activities"]
    assert row["name"] == name
    for shown in (cli("activities").stdout, cli("activity", "show", str(row["id"])).stdout):
        assert "\x1b" not in shown and "\x07" not in shown
    assert "Run\\x1b]0;owned\\x07" in cli("activity", "show", str(row["id"])).stdout
