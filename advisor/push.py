"""Short messages to the runner's phone through Apprise: one well-kept library for ntfy, Gotify, Telegram, Signal,
Matrix, email, webhooks and a hundred more, each named by a URL (`ntfys://ntfy.sh/topic`, `tgram://token/chat`).

Each URL is sent to on its own (`Apprise.instantiate`, then the service's `notify`), so the caller learns which
services took the message and which did not, and why: Apprise says why only in its log, so the warnings it logs on
this thread during the attempt are kept as the reason, with anything the URL holds beyond its scheme and host
(tokens, passwords, topics) blanked out. Every service gets `timeout_s` to connect and again to answer (Apprise's
`cto` and `rto`, unless the URL sets its own): a dead service costs a round seconds, never a hang.

No database and no clock: what to send and when is `advisor.services.notify`'s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

TITLE = "advisor"
APPRISE_LOGGER = "apprise"


@dataclass(frozen=True)
class Delivery:
    """What one service did with the message."""

    service: str
    """The service's name as Apprise gives it (`ntfy`, `JSON`, `Telegram`), or the URL's scheme."""
    where: str
    """The URL without its options and with its secrets hidden (Apprise's privacy form, and a topic or a path
    blanked too: on ntfy.sh the topic is the secret), safe to print and log."""
    error: str | None = None
    """None when the service took the message; else why not, in one line."""

    @property
    def ok(self) -> bool:
        return self.error is None


def send(urls: Sequence[str], body: str, timeout_s: float, title: str = TITLE) -> list[Delivery]:
    """Send `body` to every URL, one after another; one `Delivery` per URL, in their order. Never raises for what a
    service does (down, refused, slow, a URL Apprise does not know): that is the Delivery's `error`."""
    from apprise import Apprise

    deliveries = []
    for url in urls:
        secrets = _secret_parts(url)
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        service = Apprise.instantiate(url, suppress_exceptions=True)
        if service is None:
            deliveries.append(Delivery(scheme, f"{scheme}://…", "not a URL Apprise knows (see its list of services)"))
            continue
        _timeouts(service, url, timeout_s)
        name = str(service.service_name or scheme)
        where = _scrub(str(service.url(privacy=True)).split("?", 1)[0], secrets)
        with _warnings() as said:
            try:
                took = bool(service.notify(body=body, title=title))
            except Exception as error:  # a plugin's own bug must not end the round
                said.append(f"{type(error).__name__}: {error}")
                took = False
        if took:
            deliveries.append(Delivery(name, where))
        else:
            reason = _scrub(" ".join(said[-2:]), secrets) or "the service did not take the message"
            deliveries.append(Delivery(name, where, reason))
    return deliveries


def _timeouts(service: object, url: str, timeout_s: float) -> None:
    """Apprise's connect and read timeouts (4 s each by default) set to ours, unless the URL names its own."""
    query = dict(parse_qsl(urlsplit(url).query)) if "?" in url else {}
    if "cto" not in query:
        service.socket_connect_timeout = timeout_s  # type: ignore[attr-defined]
    if "rto" not in query:
        service.socket_read_timeout = timeout_s  # type: ignore[attr-defined]


class _ThreadWarnings(logging.Handler):
    """Apprise's warnings and errors logged on one thread (a daemon sends from several)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(" ".join(record.getMessage().split()))


@contextmanager
def _warnings() -> Iterator[list[str]]:
    handler = _ThreadWarnings()
    logger = logging.getLogger(APPRISE_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def _secret_parts(url: str) -> list[str]:
    """What a URL holds beyond its scheme, host and port: user, password, path segments and query values."""
    try:
        parts = urlsplit(url)
        found = [parts.username or "", parts.password or ""]
    except ValueError:
        return [url]
    found += [unquote(segment) for segment in parts.path.split("/")]
    found += [value for _, value in parse_qsl(parts.query)]
    return sorted({p for p in found if len(p) >= 3}, key=len, reverse=True)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "…")
    return text.strip()
