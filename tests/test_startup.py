"""Commands that answer at once: what `--help`, `--version` and `status` import (timing is for bench/, not tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from advisor.cli import main
sys.argv = ["advisor", *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = [m for m in ("sqlalchemy", "pydantic_settings", "matplotlib", "alembic", "rich.markdown") if m in sys.modules]
print("LOADED:" + ",".join(heavy))
"""


def loaded(*args: str, env: dict[str, str] | None = None) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))], capture_output=True, text=True, env=env, timeout=60
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOADED:"))
    return {m for m in line.removeprefix("LOADED:").split(",") if m}


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("status", "--help"), ("import", "--help")])
def test_help_and_version_import_no_database_or_settings_stack(args: tuple[str, ...]) -> None:
    assert loaded(*args) == set()


def test_status_imports_no_chart_no_migrations_no_orm_and_no_pydantic_settings(tmp_path, monkeypatch) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {"ADVISOR_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "advisor", "pain", "list"], env=env, check=True, capture_output=True)
    assert loaded("status", "--as-of", "2026-05-01", env=env) == set()
    assert loaded("status", "--as-of", "2026-05-01", "--json", env=env) == set()


def test_status_on_a_sqlite_file_reads_without_sqlalchemy(tmp_path) -> None:
    """A current SQLite schema is checked and read with `sqlite3` alone; a fresh database still migrates."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {"ADVISOR_HOME": str(tmp_path)}
    assert "sqlalchemy" in loaded("status", "--as-of", "2026-05-01", env=env)  # no database yet: migrates
    assert "sqlalchemy" not in loaded("status", "--as-of", "2026-05-01", env=env)


def test_command_modules_names_every_command_of_the_tree() -> None:
    """`advisor status` builds only `advisor.cli.knee`: the table saying which module holds each command is whole."""
    import importlib

    import typer.main

    from advisor.cli import COMMAND_MODULES, MODULES, cli_app

    tree = typer.main.get_command(cli_app())
    assert set(tree.commands) == set(COMMAND_MODULES)  # type: ignore[attr-defined]
    for module in MODULES:
        own = typer.main.get_group(importlib.import_module(f"advisor.cli.{module}").app).commands
        assert {name for name, modules in COMMAND_MODULES.items() if module in modules} == set(own)


def test_a_command_imports_only_its_own_module() -> None:
    from advisor.cli import MODULES

    listing = "print(sorted(m for m in sys.modules if m.startswith('advisor.cli.')))"
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=["routine", "--help"]) + listing],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    command_modules = set(eval(out.splitlines()[-1])) & {f"advisor.cli.{m}" for m in MODULES}
    assert command_modules == {"advisor.cli.rehab"}


@pytest.mark.parametrize("columns", ["60", "100", "200"])
def test_the_root_help_from_the_listing_is_the_whole_trees(columns: str) -> None:
    """`advisor --help` is drawn from a copy of the tree without the commands' options (`_listing`): same text."""
    from typer.testing import CliRunner

    from advisor.cli import _listing, cli_app

    env = {"COLUMNS": columns, "TERMINAL_WIDTH": columns}
    full = CliRunner().invoke(cli_app(), ["--help"], env=env)
    listed = CliRunner().invoke(_listing(cli_app(), keep_callback=True), ["--help"], env=env)
    assert full.exit_code == listed.exit_code == 0
    assert "status" in full.output and listed.output == full.output


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"ADVISOR_HOME": "/tmp/h", "ADVISOR_CONFIG": "/x.toml", "ADVISOR_ATHLETE": "ana", "ADVISOR_FIT_CORPUS": "c"},
        {"ADVISOR_PROFILE__MAX_HR": "177", "advisor_profile__timezone": "Europe/Berlin", "ADVISOR_SMTP__PORT": ""},
        {"ADVISOR_DATABASE__URL": "sqlite:///x.db", "ADVISOR_SMTP__PASSWORD": "s", "ADVISOR_SERVE__ENABLED": "true"},
        {"ADVISOR_THRESHOLDS__NEXT_RUN_FACTOR": "1.2", "ADVISOR_GARMIN__API_KEY_FILE": "/k", "ADVISOR_INBOX__PATH": ""},
        {"ADVISOR_PROFILE": '{"max_hr": 170}'},
        {"ADVISOR_PROFILE__SHOE": "1"},
        {"ADVISOR_HOME__X": "1", "ADVISOR_NOPE__X": "2"},
    ],
)
def test_settings_read_the_environment_as_pydantic_settings_does(monkeypatch, variables: dict[str, str]) -> None:
    """`load_settings` reads the usual `ADVISOR_...` variables itself (pydantic-settings costs `status` time): the
    same values as pydantic-settings' own environment source, which still reads anything unusual."""
    from advisor import config

    for name in list(config.os.environ):
        if name.upper().startswith("ADVISOR_"):
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    own = config._environment()
    assert own is None or own == config._environment_by_pydantic_settings()
    if set(variables) <= {"ADVISOR_HOME", "ADVISOR_CONFIG", "ADVISOR_ATHLETE", "ADVISOR_FIT_CORPUS"} or all(
        "__" in name and "SHOE" not in name and "NOPE" not in name and "HOME__" not in name for name in variables
    ):
        assert own is not None  # the usual variables never need pydantic-settings
