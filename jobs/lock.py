"""One daemon per ``ADVISOR_HOME``: an ``flock`` on ``home/daemon.lock`` that also records the holder's pid.

Why ``flock`` rather than "does the pid file exist": the kernel drops the lock when the holding process
dies, however it dies (SIGKILL, power cut, OOM). A stale file left by a killed daemon therefore never blocks the
next start, and there is no pid-reuse guesswork. The pid inside the file is only there so the refusal can say
which process holds the lock.

The file is never deleted: unlinking a lock file races with a process that has just opened it and would let two
daemons each lock a different inode. On release the content is cleared instead.

Caveats worth knowing: ``flock`` is per open file description, so a child made with a bare ``fork()`` would
share the lock (the descriptor is opened non-inheritable, so ``subprocess`` children do not); and on some
network file systems ``flock`` is not enforced across machines — ``ADVISOR_HOME`` should be local.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

__all__ = [
    "LOCK_FILE_NAME",
    "AlreadyRunning",
    "DaemonLock",
    "acquire_daemon_lock",
    "lock_file_name",
    "read_lock_holder",
]

LOCK_FILE_NAME = "daemon.lock"


class AlreadyRunning(RuntimeError):
    """Another process holds the daemon lock; ``pid`` is its process id when it could be read."""

    def __init__(self, pid: int | None, path: Path) -> None:
        self.pid = pid
        self.path = path
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"an advisor daemon is already running for this home ({who} holds {path})")


class DaemonLock:
    """A held lock; release it with :meth:`release` or by leaving the ``with`` block (or by exiting)."""

    def __init__(self, path: Path, fd: int, pid: int) -> None:
        self.path = path
        self.pid = pid
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Clear the pid and drop the lock; calling it twice is harmless."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> DaemonLock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"DaemonLock(path={str(self.path)!r}, pid={self.pid}, held={self.held})"


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def read_lock_holder(home: Path) -> int | None:
    """The pid of the running daemon for ``home``, or None when none is running (for ``daemon status``)."""
    path = Path(home) / LOCK_FILE_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # we could lock it, so nobody holds it: whatever pid is written there is stale
    finally:
        os.close(fd)


def lock_file_name(athlete: str | None = None) -> str:
    """``daemon.lock`` for a daemon of every athlete, ``daemon.NAME.lock`` for one that serves only NAME."""
    return LOCK_FILE_NAME if athlete is None else f"daemon.{athlete}.lock"


def acquire_daemon_lock(home: Path, athlete: str | None = None) -> DaemonLock:
    """Take the daemon lock for ``home`` (created if missing) or raise :class:`AlreadyRunning` at once.

    Never waits: a second ``advisor daemon`` should refuse immediately, naming the first one's pid. Which athletes
    a daemon serves is decided in the database (``jobs.roster``); this lock only keeps one home to one daemon.
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    path = home / lock_file_name(athlete)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        try:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            # The holder writes its pid right after locking; give it a moment if we caught it in between.
            pid = _read_pid(fd)
            deadline = time.monotonic() + 0.5
            while pid is None and time.monotonic() < deadline:
                time.sleep(0.02)
                pid = _read_pid(fd)
        finally:
            os.close(fd)
        raise AlreadyRunning(pid, path) from None

    pid = os.getpid()
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{pid}\n".encode(), 0)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        raise
    return DaemonLock(path, fd, pid)
