"""What both daemons (`jobs.daemon` on SQLite, `jobs.queue_daemon` on PostgreSQL) do around their scheduler: stop
cleanly on SIGTERM or SIGINT, and serve the web page from a thread with `serve.enabled`."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from advisor.config import Settings

if TYPE_CHECKING:
    from advisor.web.server import ServerThread

__all__ = ["StopSignals", "restore_handlers", "start_web"]

log = logging.getLogger(__name__)


class StopSignals:
    """SIGTERM and SIGINT set `stop` instead of ending the process, so the work in hand (`in_hand`, as the log
    says it) finishes first; `install` before taking the daemon's lock, `restore` when the daemon ends or fails to
    start."""

    def __init__(self, in_hand: str) -> None:
        self.in_hand = in_hand
        self.stop = threading.Event()
        self._previous: dict[signal.Signals, Any] = {}

    def _request_stop(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop.is_set():
            log.info("Still finishing %s; the daemon stops as soon as it is done.", self.in_hand)
        else:
            log.info("Received %s; finishing %s, then stopping.", signal.Signals(signum).name, self.in_hand)
        self.stop.set()

    def install(self) -> StopSignals:
        self._previous = {s: signal.signal(s, self._request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
        return self

    def restore(self) -> None:
        restore_handlers(self._previous)
        self._previous = {}


def restore_handlers(handlers: dict[signal.Signals, Any]) -> None:
    """Put back the signal handlers a daemon replaced (it stops, or failed to start)."""
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def start_web(settings: Settings) -> ServerThread | None:
    """With `serve.enabled`, the web page runs in a thread beside the scheduler, so one systemd unit gives both.
    Its address is checked like `advisor serve`'s (a ConfigError ends the start before any job runs)."""
    if not settings.serve.enabled:
        return None
    from advisor.web.server import ServerThread

    return ServerThread(settings, settings.serve.host, settings.serve.port).start()
