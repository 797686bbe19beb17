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


def test_status_imports_no_chart_and_no_migrations(tmp_path, monkeypatch) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {"ADVISOR_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "advisor", "pain", "list"], env=env, check=True, capture_output=True)
    assert loaded("status", "--as-of", "2026-05-01", env=env) == {"pydantic_settings"}
    assert loaded("status", "--as-of", "2026-05-01", "--json", env=env) == {"pydantic_settings"}


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
