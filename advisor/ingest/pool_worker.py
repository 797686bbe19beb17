"""What runs in an import's worker processes, and the fork server they are forked from — nothing that needs the
database.

A worker imports only what it unpickles: the task (`measuring.prepare`) and its initializer (`watch_parent`, here).
Both live in modules that import no SQLAlchemy, so a worker costs a fork of the preloaded fork server, not a second
start-up: when the task was a function of `import_pool` (which imports the store), every worker imported SQLAlchemy
and the ORM on its first file, about 0.8 s of CPU each on 2 cores.

`start_fork_server` can run before the importing process has imported the store, so the fork server's own start-up
(an interpreter importing the decoders) runs on another core while this process imports SQLAlchemy and opens the
database.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing import process
from multiprocessing.context import BaseContext

PRELOAD = [
    "advisor.ingest.pool_worker",
    "advisor.ingest.measuring",
    "advisor.ingest.decode.fitfast_backend",
    "advisor.ingest.decode.fitdecode_backend",
]
"""Imported once by the fork server, so its forked workers start with them."""
MAIN_PATH_VARIABLE = "_ADVISOR_FORK_SERVER_MAIN"


def available_cores() -> int:
    """The cores this process may run on (the default for `--jobs`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pool_context() -> BaseContext:
    """The `forkserver` context with the decoders preloaded (see `import_pool` for why `forkserver`)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_fork_server() -> None:
    """Start the fork server now, in the background (it is started on the first worker otherwise); idempotent.

    Works around CPython gh-126631/gh-137996 (fixed in 3.13, not in 3.12): a child of the fork server re-runs the
    parent's `__main__` script — for the `advisor` console script, importing the whole CLI (~70 ms of CPU per
    worker) — because the server never learns the script's path. The path goes to the server in
    `MAIN_PATH_VARIABLE`; `_claim_main` there makes the children find `__main__` already in place.
    """
    from multiprocessing import forkserver

    pool_context()
    main = sys.modules["__main__"]
    path = getattr(main, "__file__", None) if getattr(main, "__spec__", None) is None else None
    if path is not None and NEEDS_MAIN_PATH:
        os.environ[MAIN_PATH_VARIABLE] = os.path.normpath(os.path.join(process.ORIGINAL_DIR, path))
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(MAIN_PATH_VARIABLE, None)


def _claim_main() -> None:
    """In the fork server (a `python -c` process, so its `__main__` has no file): take the parent's script path as
    `__main__.__file__`, which is what `multiprocessing.spawn` checks before re-running the script in a child."""
    path = os.environ.pop(MAIN_PATH_VARIABLE, None)
    main = sys.modules.get("__main__")
    if path is not None and main is not None and getattr(main, "__file__", None) is None:
        main.__file__ = path


NEEDS_MAIN_PATH = sys.version_info < (3, 13)
"""The workaround above is for Python 3.12 only: CPython fixed the fork server's `__main__` preload in
https://github.com/python/cpython/pull/135295 (gh-126631, gh-137996; backported to 3.13 in #138609, September 2025),
and 3.12 takes security fixes only. A 3.13 released before the backport starts its workers a little slower, not
wrongly."""
if NEEDS_MAIN_PATH:
    _claim_main()


def watch_parent(parent_pid: int) -> None:
    """Worker initializer: exit when the importing process is gone (after a kill -9 nobody shuts the pool), and
    leave Ctrl-C to it (the whole process group gets SIGINT; the command stops the pool itself, without a
    traceback from every worker).

    A worker's standard error goes to /dev/null: everything it has to say is its answer (each file's status and
    reason). Native decoders write there on their own — fitfast's panics print a Rust message and a backtrace
    before `measuring.prepare` turns them into the file's reason — and that noise would land between the lines
    of `advisor import`'s output and in the daemon's journal, once per bad file.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)

    def watch() -> None:
        while _alive(parent_pid):
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
