"""Shared fixtures: an isolated ADVISOR_HOME, and real databases — SQLite always, PostgreSQL when reachable.

PostgreSQL tests use `$ADVISOR_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test); each test
gets a schema of its own so parallel workers never see each other's rows. They skip with the reason when the
server is not reachable, except under `ADVISOR_REQUIRE_POSTGRES=1` (set by .ci/run), where that is a failure.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

PG_URL = os.environ.get("ADVISOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
KEEP_ENV = {"ADVISOR_TEST_POSTGRES_URL", "ADVISOR_REQUIRE_POSTGRES", "ADVISOR_FIT_CORPUS"}


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs with its own ADVISOR_HOME and none of the developer's ADVISOR_* settings."""
    for key in list(os.environ):
        if key.startswith("ADVISOR_") and key not in KEEP_ENV:
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("ADVISOR_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return home


def _postgres_schema_url() -> Iterator[str]:
    import psycopg

    conninfo = PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as error:
        reason = (
            f"PostgreSQL not reachable at {PG_URL} ({str(error).strip().splitlines()[0]}): set"
            " ADVISOR_TEST_POSTGRES_URL to a server where this user may create schemas"
        )
        if os.environ.get("ADVISOR_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, isolated_home: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{isolated_home / 'advisor.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def postgres_url(isolated_home: Path) -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, for what only PostgreSQL has (advisory locks, the job queue)."""
    yield from _postgres_schema_url()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):
    """Run `advisor ...` in-process against the database under test; returns exit code, stdout and stderr."""
    from advisor.cli import cli_app

    app = cli_app()
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> CliResult:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


class ProcessOutput:
    """A child process's output, read line by line on a thread of its own, so a test can wait for a line with a
    deadline: a plain `readline()` blocks for as long as the child stays silent, and a child that hangs would hang
    the suite with it. Reading on also keeps a chatty child from filling the pipe and stalling."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.lines: list[str] = []
        """Every line taken so far, in order."""
        self._ended = False
        self._thread = threading.Thread(target=self._read, args=(stream,), name="process-output", daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                self._lines.put(line)
        finally:
            self._lines.put(None)  # end of output: the child closed it (it ended)

    def _take(self, timeout: float) -> str | None:
        """The next line, or None at the end of the output; raises queue.Empty when none came in time."""
        line = self._lines.get(timeout=max(timeout, 0.0))
        if line is None:
            self._ended = True
        else:
            self.lines.append(line)
        return line

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """The match of the first line from here on that matches `pattern`; fails when the output ends first or
        when `timeout` seconds pass without one."""
        deadline = time.monotonic() + timeout
        while not self._ended and (left := deadline - time.monotonic()) > 0:
            try:
                line = self._take(left)
            except queue.Empty:
                break
            if line is not None and (match := re.search(pattern, line)):
                return match
        ended = "ended" if self._ended else f"printed nothing matching for {timeout:g} s"
        raise AssertionError(f"the process {ended} without printing {pattern!r}:\n{self.text()}")

    def rest(self, timeout: float) -> str:
        """Every line until the output ends (call it once the child has exited or is exiting); all of it, joined."""
        deadline = time.monotonic() + timeout
        while not self._ended:
            try:
                self._take(deadline - time.monotonic())
            except queue.Empty:
                raise AssertionError(f"the output did not end within {timeout:g} s:\n{self.text()}") from None
        return self.text()

    def text(self) -> str:
        return "".join(self.lines)
