"""ADVISOR_HOME and the SQLite database are the runner's alone, whatever the umask.

Real parts only: the installed command run as a process with the umask a login shell has (022) or none at all
(000), and a database file SQLite itself opens in WAL mode beside it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def advisor(home: Path, *args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    """`python -m advisor ARGS` with its own umask, on the default database (ADVISOR_HOME/advisor.db)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {"ADVISOR_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "advisor", *args], env=env, umask=umask, capture_output=True, text=True, timeout=120
    )


@contextmanager
def open_in_wal(database: Path) -> Iterator[sqlite3.Connection]:
    """A writer holding the database open, so its -wal and -shm files exist (SQLite removes them on the last close)."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")
        connection.execute("UPDATE athletes SET name = name")
        connection.commit()
        yield connection
    finally:
        connection.close()


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_a_new_home_and_database_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    """The first command creates ADVISOR_HOME 0700 and advisor.db 0600 (it holds health data and queued e-mails),
    says nothing about it, and the -wal and -shm files SQLite makes beside the database later are 0600 too."""
    home = tmp_path / "new-home"
    done = advisor(home, "pain", "log", "--score", "2", umask=umask)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    database = home / "advisor.db"
    assert mode(home) == 0o700
    assert mode(database) == 0o600
    previous = os.umask(umask)  # SQLite, in this process, creating the side files under the same umask
    try:
        with open_in_wal(database):
            sides = [Path(f"{database}{suffix}") for suffix in ("-wal", "-shm")]
            assert all(side.exists() for side in sides)
            assert [mode(side) for side in sides] == [0o600, 0o600]
    finally:
        os.umask(previous)


def test_an_older_home_and_database_readable_by_others_are_tightened_with_one_warning_each(tmp_path: Path) -> None:
    """A home and a database made by an older advisor (0755, 0644, its -wal and -shm 0644 while a writer has it
    open) lose the group's and others' bits on the next command, said in one line for the home and one for the
    database; the command still works, and the next one says nothing."""
    home = tmp_path / "old-home"
    assert advisor(home, "pain", "log", "--score", "2").returncode == 0
    database = home / "advisor.db"
    sides = [Path(f"{database}{suffix}") for suffix in ("-wal", "-shm")]
    with open_in_wal(database):
        home.chmod(0o755)
        for path in (database, *sides):
            path.chmod(0o644)
        done = advisor(home, "pain", "list")
        assert done.returncode == 0, done.stderr
        assert "2/10" in done.stdout
        assert [mode(path) for path in (home, database, *sides)] == [0o700, 0o600, 0o600, 0o600]
    warnings = done.stderr.splitlines()
    assert len(warnings) == 2, done.stderr
    assert warnings[0].startswith(f"ADVISOR_HOME {home} could be read by other users of this machine")
    assert warnings[0].endswith("(mode 0755, now 0700).")
    assert warnings[1].startswith(f"The database {database} could be read by other users of this machine")
    assert warnings[1].endswith(
        "(advisor.db: mode 0644, now 0600; advisor.db-wal: mode 0644, now 0600; advisor.db-shm: mode 0644, now 0600)."
    )
    again = advisor(home, "pain", "list")
    assert again.returncode == 0 and again.stderr == ""
