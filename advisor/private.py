"""Files and folders only the runner may read: ADVISOR_HOME, the SQLite database, Garmin's saved login.

They hold health data, queued e-mails and tokens that grant access to an account, so their modes must not depend
on the umask (022 leaves a new file readable by every user of the machine). Folders are made 0700 and files 0600
when created; one made by an older advisor, or by hand, with bits for the group or others loses those bits, said
in one warning, so the runner knows why a mode changed. Only the group's and others' bits are removed from an
existing file: a database the runner made read-only on purpose stays read-only.

A module of its own, importing only the standard library, so the Garmin sources, the configuration and the store
share it without depending on each other.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_OTHERS = 0o077
"""The group's and others' permission bits: what "private" removes."""


def ensure_private_dir(path: Path, what: str | None = None) -> Path:
    """Create `path` (and its parents) as a folder only its owner can use (0700), whatever the umask; an existing
    one that others can read or enter is tightened with one warning naming `what`. Returns `path`.

    Raises OSError when the folder cannot be created; a folder that cannot be tightened (owned by someone else)
    is only warned about, since refusing to start would not make it private either.
    """
    existed = path.is_dir()
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if not existed:
        _chmod(path, PRIVATE_DIR)  # mkdir's mode passes through the umask: 0277 would leave it 0500
        return path
    tighten([path], what or f"The folder {path}")
    return path


def create_private_file(path: Path) -> None:
    """Create an empty `path` readable and writable by its owner alone (0600) unless it exists: a file made this
    way before SQLite opens it keeps that mode, and SQLite gives its -wal, -shm and -journal files the same."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)  # the umask may have taken bits from the mode given to open
    finally:
        os.close(fd)


def tighten(paths: Iterable[Path], what: str) -> list[Path]:
    """Remove the group's and others' bits from each of `paths` that exists; one warning naming `what` (a
    capitalised noun phrase) when any had them. Returns the paths changed."""
    changed: list[tuple[Path, int]] = []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & _OTHERS and _chmod(path, mode & ~_OTHERS):
            changed.append((path, mode))
    if changed:
        modes = "; ".join(
            (f"{p.name}: " if len(changed) > 1 else "") + f"mode {m:04o}, now {m & ~_OTHERS:04o}" for p, m in changed
        )
        log.warning("%s could be read by other users of this machine; it is now yours alone (%s).", what, modes)
    return [p for p, _ in changed]


def _chmod(path: Path, mode: int) -> bool:
    try:
        path.chmod(mode)
    except PermissionError as error:
        log.warning("Cannot make %s private (mode %04o): %s.", path, mode, error.strerror)
        return False
    return True
