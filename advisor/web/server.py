"""Running the web app with Uvicorn: in the foreground for `advisor serve`, in a thread for the daemon and tests.

Uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown (so a plain `uvicorn.Server.run` dies "by signal",
exit 143 or a KeyboardInterrupt); `advisor serve` promises exit 0, so `_Server` takes the signals itself and only
asks the server to stop. The socket is bound before serving, so a port in use is one sentence, and port 0 (tests)
gives a free port whose number `ServerThread.url` reports.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette

from advisor.config import ConfigError, Settings
from advisor.web.security import bind_problem

if TYPE_CHECKING:
    from advisor.bootstrap import Runtime

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Stop on SIGTERM/SIGINT and return normally (uvicorn's own handler re-raises them afterwards)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def prepare(
    settings: Settings, host: str, port: int, runtime: Runtime | None = None
) -> tuple[Starlette, _Server, socket.socket]:
    """The app, its server and the bound socket; `ConfigError` (one sentence) when the address must not or cannot
    be used. The password is checked before anything listens."""
    from advisor.web.app import create_app

    password = settings.serve.resolved_password()
    problem = bind_problem(host, password)
    if problem:
        raise ConfigError(problem)
    app = create_app(settings, password, runtime, host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    try:
        sock = config.bind_socket()
    except SystemExit:  # uvicorn logs the OS error and exits 1; say it in one sentence instead
        raise ConfigError(f"cannot listen on {host} port {port}: the address is in use or not this machine's") from None
    return app, _Server(config), sock


def serve_forever(
    settings: Settings, host: str, port: int, announce: bool = True, runtime: Runtime | None = None
) -> None:
    """Serve until SIGTERM or SIGINT, then return (the caller exits 0). `runtime` picks the athlete (`--athlete`);
    without it, the default athlete's page."""
    app, server, sock = prepare(settings, host, port, runtime)
    if announce:
        print(f"advisor serve: listening on {url_of(sock)} (Ctrl-C to stop)", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.state.rt.close()


class ServerThread:
    """The web server in a background thread (the daemon's `serve.enabled`, the browser tests)."""

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.app, self.server, self.sock = prepare(settings, host, port)
        self.url = url_of(self.sock)
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> ServerThread:
        """Start serving and return once the server accepts connections (or has failed to start)."""
        self._thread.start()
        ready = threading.Event()
        while not self.server.started and self._thread.is_alive():
            ready.wait(0.05)
        log.info("The web page is served on %s.", self.url)
        return self

    def stop(self) -> None:
        """Let requests in hand finish, then close the socket and the database."""
        self.server.should_exit = True
        self._thread.join(timeout=30)
        self.sock.close()
        self.app.state.rt.close()
