"""Commands that answer at once: what `--help`, `--version` and `status` import (timing is for bench/, not tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "pydantic_settings", "matplotlib", "alembic", "rich.markdown", "typer.rich_utils")
"""What a command that answers at once must not import (`typer.rich_utils`: help and errors are plain Click's)."""
PROBE = """
import sys
HEAVY = {heavy!r}
from advisor.cli import main
sys.argv = ["advisor", *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = [m for m in HEAVY if m in sys.modules]
print("LOADED:" + ",".join(heavy))
"""


def probe(args: tuple[str, ...]) -> str:
    """A script that runs `advisor ARGS...` in-process and then prints which of `HEAVY` it imported."""
    return PROBE.format(args=list(args), heavy=HEAVY)


def loaded(*args: str, env: dict[str, str] | None = None) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", probe(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOADED:"))
    return {m for m in line.removeprefix("LOADED:").split(",") if m}


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("status", "--help"), ("import", "--help")])
def test_help_and_version_import_no_database_or_settings_stack(args: tuple[str, ...]) -> None:
    assert loaded(*args) == set()


def test_status_imports_no_chart_no_migrations_and_no_orm(tmp_path, monkeypatch) -> None:
    """`status` reads its settings with pydantic-settings (advisor.config), and nothing else of `HEAVY`."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {"ADVISOR_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "advisor", "pain", "list"], env=env, check=True, capture_output=True)
    assert loaded("status", "--as-of", "2026-05-01", env=env) - {"pydantic_settings"} == set()
    assert loaded("status", "--as-of", "2026-05-01", "--json", env=env) - {"pydantic_settings"} == set()


def test_status_on_a_sqlite_file_reads_without_sqlalchemy(tmp_path) -> None:
    """A current SQLite schema is checked and read with `sqlite3` alone; a fresh database still migrates."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {"ADVISOR_HOME": str(tmp_path)}
    assert "sqlalchemy" in loaded("status", "--as-of", "2026-05-01", env=env)  # no database yet: migrates
    assert "sqlalchemy" not in loaded("status", "--as-of", "2026-05-01", env=env)


def command_modules() -> set[str]:
    """The modules of `advisor.cli` that hold commands: those with a Typer app of their own."""
    import importlib
    import pkgutil

    import typer

    import advisor.cli

    names = {f"advisor.cli.{m.name}" for m in pkgutil.iter_modules(advisor.cli.__path__)}
    return {name for name in names if isinstance(getattr(importlib.import_module(name), "app", None), typer.Typer)}


@pytest.mark.parametrize(("args", "own"), [(("routine", "--help"), "rehab"), (("status", "--help"), "knee")])
def test_a_command_imports_only_its_own_module(args: tuple[str, ...], own: str) -> None:
    """`advisor status` imports and builds `advisor.cli.knee`, not the eight other command modules."""
    listing = "print(sorted(m for m in sys.modules if m.startswith('advisor.cli.')))"
    out = subprocess.run(
        [sys.executable, "-c", probe(args) + listing],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    modules = command_modules()
    assert len(modules) > 5 and f"advisor.cli.{own}" in modules
    assert set(eval(out.splitlines()[-1])) & modules == {f"advisor.cli.{own}"}
