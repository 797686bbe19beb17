"""What a runner can type, or a file can carry, at the edges: dates in year 1, ids no database can hold, control
characters in a note or a file name. Each is one sentence and exit 2, or text printed harmlessly, never a
traceback — through the real command on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


@pytest.mark.parametrize("port", ["80000", "-1"])
def test_a_port_no_machine_has_is_a_usage_error_not_a_traceback(cli, port: str) -> None:
    result = cli("serve", "--port", port)
    assert result.exit_code == 2
    assert "--port" in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_an_empty_advisor_home_is_refused_not_the_current_directory(tmp_path: Path) -> None:
    """`ADVISOR_HOME=` (an empty line of a unit file) must not put a runner's database wherever the command ran."""
    workdir = tmp_path / "somewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env |= {"ADVISOR_HOME": "", "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run(
        [sys.executable, "-m", "advisor", "status"], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "home" in line and "is empty" in line and "ADVISOR_HOME" in line, line
    assert list(workdir.iterdir()) == [], "nothing is made in the current directory"
    assert not (tmp_path / "data").exists(), "nor in the default home: the runner meant another one"


def test_a_date_before_the_history_says_where_it_starts(cli, database_url: str) -> None:
    """`status --as-of` a day before the first run: the history starts later, it is not missing."""
    from datetime import date

    from stored import store_runs

    assert "No activities yet" in cli("status", "--as-of", "2026-03-01").stdout
    store_runs(database_url, "default", [(date(2026, 3, 10), 5.0), (date(2026, 3, 12), 6.0)])
    before = cli("status", "--as-of", "2026-03-01")
    assert before.exit_code == 0
    words = " ".join(before.stdout.split())  # as the terminal wraps it
    assert "Your history starts on 10 March 2026: use `--as-of 2026-03-10` or later." in words
    assert "No activities yet" not in words
    assert "history starts" not in cli("status", "--as-of", "2026-03-12").stdout


def test_the_sport_the_list_prints_can_be_typed_and_a_typo_gets_a_suggestion(cli, database_url: str) -> None:
    from datetime import date

    from stored import store_runs

    cli("athlete", "list")
    store_runs(database_url, "default", [(date(2026, 3, 10), 5.0), (date(2026, 3, 12), 6.0)])
    listed = json.loads(cli("activities", "--json").stdout)["activities"]
    hike_id = listed[0]["id"]
    assert cli("activity", "set", str(hike_id), "--sport", "hiking").exit_code == 0
    table = cli("activities").stdout
    assert "hike" in table.split(), "the list prints the short name"
    only = json.loads(cli("activities", "--sport", "hike", "--json").stdout)["activities"]
    assert [a["id"] for a in only] == [hike_id], "and the short name it printed is what --sport takes"
    typo = cli("activities", "--sport", "runing")
    assert typo.exit_code == 2 and typo.stdout == ""
    assert "did you mean 'running'?" in typo.stderr
    assert cli("activities", "--sport", "treadmill").exit_code == 0, "a FIT sub-sport with no activity is no error"
