"""The command line itself: --version, --config after the subcommand, help text, completion, doctor, bad homes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import cli_app
from advisor.store.db import SCHEMA_REVISION

PYTHON_TYPES = re.compile(r"<(bool|int|float|str|text|path|Path|list\[[^\]]*\]|datetime)>")


def test_version(cli) -> None:
    from advisor import __version__

    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"advisor {__version__}"


def test_config_is_read_after_the_subcommand_as_before_it(cli, tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text('[profile]\nunits = "mi"\ntimezone = "Europe/Berlin"\n')
    for args in (("doctor", "--json", "--config", str(config)), ("--config", str(config), "doctor", "--json")):
        document = json.loads(cli(*args).stdout)
        values = {v["key"]: v for v in document["values"]}
        assert document["config_file"] == str(config)
        assert (values["profile.units"]["value"], values["profile.units"]["source"]) == ("mi", "file")
        assert values["profile.sex"]["source"] == "default"
    bad = tmp_path / "bad.toml"
    bad.write_text('[profile]\nunits = "furlongs"\n')
    result = cli("status", "--config", str(bad))
    assert result.exit_code == 2
    assert "profile.units" in result.stderr and str(bad) in result.stderr
    equals = cli("activities", f"--config={bad}")
    assert equals.exit_code == 2 and "profile.units" in equals.stderr


def options_section(help_text: str) -> str:
    """The `Options:` section of a command's help (arguments keep Typer's own label, `ID <int>`: see cli.help)."""
    return help_text.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize(
    "command",
    [(), ("import",), ("activities",), ("activity", "set"), ("pain", "log"), ("status",), ("sync",), ("doctor",)],
)
def test_options_name_values_not_python_types(cli, command: tuple[str, ...], monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    result = cli(*command, "--help")
    assert result.exit_code == 0
    options = options_section(result.stdout)
    assert "--help" in options and not PYTHON_TYPES.search(options), result.stdout
    assert "╭" not in result.stdout  # plain Click help, no Rich panels


def test_option_values_are_named_in_words() -> None:
    """`--score N`, `--when TEXT`, `-j, --jobs N`: what each option takes, as a word."""
    runner = CliRunner()
    pain_log = options_section(runner.invoke(cli_app(), ["pain", "log", "--help"], env={"COLUMNS": "120"}).stdout)
    assert re.search(r"^  --score N  ", pain_log, re.M) and re.search(r"^  --when TEXT  ", pain_log, re.M)
    assert re.search(r"^  -j, --jobs N  ", options_section(runner.invoke(cli_app(), ["import", "--help"]).stdout), re.M)


def listed_commands(help_text: str) -> list[str]:
    """The names in the `Commands:` section of a group's help, in order."""
    section = help_text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  (\S+)", section, re.M)


def module_commands() -> set[str]:
    """Every top-level command of every command module of `advisor.cli`, found by importing them all."""
    import importlib
    import pkgutil

    import typer.main

    import advisor.cli

    names = set()
    for info in pkgutil.iter_modules(advisor.cli.__path__):
        module_app = getattr(importlib.import_module(f"advisor.cli.{info.name}"), "app", None)
        if isinstance(module_app, typer.Typer):
            command = typer.main.get_command(module_app)
            names |= set(getattr(command, "commands", {command.name: command}))
    return names


def test_every_command_is_listed_and_its_help_works(monkeypatch) -> None:
    """`advisor --help` lists every command of every module (a command's module is only imported when it is
    needed, so a name missing from the root's table would be missing here), and every command and subcommand
    listed answers `--help` (Click's advice for lazily loaded commands)."""
    monkeypatch.setenv("COLUMNS", "120")
    runner = CliRunner()
    root = runner.invoke(cli_app(), ["--help"])
    assert root.exit_code == 0
    top = listed_commands(root.stdout)
    assert "import" in top and module_commands() <= set(top) and len(top) == len(set(top))
    for name in top:
        result = runner.invoke(cli_app(), [name, "--help"])
        assert result.exit_code == 0 and result.stdout.startswith(f"Usage: advisor {name} "), (name, result.output)
        for sub in listed_commands(result.stdout) if "\nCommands:\n" in result.stdout else []:
            inner = runner.invoke(cli_app(), [name, sub, "--help"])
            assert inner.exit_code == 0 and inner.stdout.startswith(f"Usage: advisor {name} {sub} "), inner.output


def test_the_root_help_shows_each_commands_first_sentence_whole(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = CliRunner().invoke(cli_app(), ["--help"]).stdout
    assert "..." not in out.split("\nCommands:\n", 1)[1]
    assert " ".join(out.split()).count("Garmin Connect; each run is stored once.") == 1


def test_shell_completion_lists_the_commands() -> None:
    """`advisor <TAB>` offers every command, and `advisor pain <TAB>` the group's subcommands."""
    runner = CliRunner()
    root = listed_commands(runner.invoke(cli_app(), ["--help"]).stdout)
    pain = listed_commands(runner.invoke(cli_app(), ["pain", "--help"]).stdout)

    def complete(words: str) -> list[str]:
        env = {"_ADVISOR_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
        return runner.invoke(cli_app(), [], env=env, prog_name="advisor").stdout.split()

    assert complete("advisor ") == root
    assert complete("advisor st") == [name for name in root if name.startswith("st")] == ["status", "stairs"]
    assert complete("advisor pain ") == pain and "log" in pain


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = CliRunner().invoke(cli_app(), ["statsu"])
    assert result.exit_code == 2
    assert "No such command 'statsu'. Did you mean 'status'" in result.stderr


@pytest.mark.parametrize("command", [("import",), ("activities",), ("sync",), ("summary",), ("daemon",)])
def test_main_commands_show_examples_and_exit_codes(cli, command: tuple[str, ...], monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    out = cli(*command, "--help").stdout
    assert "Examples:" in out and f"advisor {command[0]}" in out.split("Examples:")[1]
    assert "Exit codes: 0" in out


def test_examples_stand_one_a_line() -> None:
    """Click rewraps help paragraphs; an example block marked `\\b` keeps its lines."""
    out = CliRunner().invoke(cli_app(), ["import", "--help"], env={"COLUMNS": "120"}).stdout
    assert re.search(r"^    advisor import ~/watch/ACTIVITY/\*\.fit$", out, re.M), out


def test_shell_completion_can_be_shown_and_installed(cli, monkeypatch) -> None:
    assert "--install-completion" in cli("--help").stdout
    # Typer detects the shell from the parent process, so ask from inside a real bash, as a user would (the
    # trailing `exit` keeps bash from exec-ing the command in its own place, which would hide it).
    import subprocess
    import sys

    script = f"{sys.executable} -m advisor --show-completion"
    result = subprocess.run(["bash", "-c", f"{script}; exit $?"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "_ADVISOR_COMPLETE" in result.stdout or "complete" in result.stdout


def test_doctor_shows_sources_and_hides_secrets(cli, monkeypatch, database_url: str) -> None:
    monkeypatch.setenv("ADVISOR_SMTP__PASSWORD", "hunter2-s3cret")
    monkeypatch.setenv("ADVISOR_SMTP__HOST", "mail.example.org")
    monkeypatch.setenv("ADVISOR_PROFILE__EMAIL", "runner@example.org")
    monkeypatch.setenv("COLUMNS", "120")
    assert cli("status").exit_code == 0  # the database exists and is migrated
    result = cli("doctor")
    assert result.exit_code == 0, result.stdout
    assert "hunter2-s3cret" not in result.stdout
    document = json.loads(cli("doctor", "--json").stdout)
    assert "hunter2-s3cret" not in json.dumps(document)
    values = {v["key"]: v for v in document["values"]}
    assert values["smtp.password"] == {"key": "smtp.password", "value": "set (hidden)", "source": "environment"}
    assert values["smtp.host"]["source"] == "environment" and values["smtp.port"]["source"] == "default"
    checks = {c["name"]: c for c in document["checks"]}
    assert checks["database"]["ready"]
    assert f"schema revision {SCHEMA_REVISION} (current)" in checks["database"]["detail"]
    assert checks["weekly email (SMTP)"]["ready"] and checks["data directory"]["ready"]
    assert not checks["Garmin"]["ready"] and "advisor garmin login" in checks["Garmin"]["detail"]


def test_doctor_masks_the_database_password_and_says_it_is_unreachable(cli, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", "postgresql://runner:pa55word@127.0.0.1:1/advisor")
    result = cli("doctor", "--json")
    assert result.exit_code == 1
    assert "pa55word" not in result.stdout
    database = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "database")
    assert not database["ready"] and "runner:***@127.0.0.1:1/advisor: not reachable" in database["detail"]


def test_a_home_that_is_a_file_is_one_sentence_and_exit_2(cli, monkeypatch, tmp_path: Path) -> None:
    home = tmp_path / "home-file"
    home.write_text("not a directory")
    monkeypatch.setenv("ADVISOR_HOME", str(home))
    for args in (("status",), ("activities",), ("import", str(tmp_path))):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stdout)
        assert result.stderr.strip() == (
            f"advisor: ADVISOR_HOME {home} is a file, not a directory; point ADVISOR_HOME at a directory"
        )


def test_a_home_that_cannot_be_created_is_one_sentence_and_exit_2(cli, monkeypatch, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("ADVISOR_HOME", str(blocker / "advisor"))
    result = cli("status")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"advisor: cannot create ADVISOR_HOME {blocker / 'advisor'}")


def test_doctor_finds_a_damaged_sqlite_page(cli, monkeypatch, tmp_path: Path) -> None:
    """Issue 24: a corrupt page went unnoticed (`status` said "No activities yet"); `doctor` runs SQLite's own
    quick_check and says the database is damaged."""
    import sqlite3

    monkeypatch.setenv("ADVISOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ADVISOR_DATABASE__URL", raising=False)
    assert cli("status").exit_code == 0
    path = tmp_path / "home" / "advisor.db"
    with sqlite3.connect(path) as connection:  # enough rows to fill many pages
        connection.execute("INSERT INTO athletes (name, created_at) VALUES ('filler', CURRENT_TIMESTAMP)")
        connection.executemany(
            'INSERT INTO pain_entries (athlete_id, day, "when", score, swelling, locking, giving_way, '
            "rest_or_night_pain, note, created_at) VALUES (1, '2026-05-01', 'after', 2, 0, 0, 0, 0, ?, "
            "CURRENT_TIMESTAMP)",
            [("x" * 200,) for _ in range(500)],
        )
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every row in the main file, none in the WAL
        page = connection.execute("PRAGMA page_size").fetchone()[0]
    healthy = {c["name"]: c for c in json.loads(cli("doctor", "--json").stdout)["checks"]}
    assert healthy["database"]["ready"]
    data = bytearray(path.read_bytes())
    middle = (len(data) // page // 2) * page
    data[middle : middle + page] = b"\xa5" * page  # one page of a table overwritten, as a bad sector would
    path.write_bytes(bytes(data))
    result = cli("doctor", "--json")
    database = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "database")
    assert not database["ready"], database
    assert result.exit_code == 1
    assert "damaged" in database["detail"] and "restore it from a backup" in database["detail"]
