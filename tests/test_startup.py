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
heavy = [m for m in ("sqlalchemy", "pydantic_settings", "matplotlib", "alembic") if m in sys.modules]
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
    assert loaded("status", "--as-of", "2026-05-01", env=env) == {"sqlalchemy", "pydantic_settings"}
