"""What is refused before any route runs: a request for another host name, and a body that is too large or not a
form.

Both are plain ASGI middleware, so they decide from the request line and headers alone (and, for a body sent in
chunks, from the bytes as they arrive), before the session, the login gate or a form parser sees anything.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from advisor.config_servers import plain_host
from advisor.net import is_loopback

MAX_BODY_BYTES = 64 * 1024
"""Every form of the page is a few fields and a note: 64 KiB is far more than a thumb types."""
FORM_TYPE = "application/x-www-form-urlencoded"
BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})
CLOSE = {"Connection": "close"}
"""A refused body is never read, so the connection cannot carry another request."""

WRONG_HOST = (
    "This page answers only to localhost, its loopback addresses and the address it was reached at; add this host "
    "name to serve.allowed_hosts to reach it by that name.\n"
)
TOO_LARGE = (
    f"The form is larger than the {MAX_BODY_BYTES // 1024} KiB this page accepts; shorten the note and send it again.\n"
)
NOT_A_FORM = f"This page takes forms only as {FORM_TYPE}, never as file uploads or other kinds of body.\n"

_HOST_HEADER = re.compile(r"(?P<host>\[[^\]]*\]|[^:\[\]]+)(?::[0-9]{1,5})?")


def host_of(header: str | None) -> str | None:
    """The host of a `Host` header, as `advisor.config_servers.plain_host` compares names; None when the header is
    missing or is more than a host and a port (a user, a path)."""
    match = _HOST_HEADER.fullmatch(header or "")
    return plain_host(match["host"]) if match else None


class HostCheck:
    """Answer only requests whose `Host` names this server: localhost and the loopback addresses, the name or address
    it was bound to, the address the connection reached (a phone on the home network types the machine's address;
    ASGI servers report it as the scope's `server`) and `serve.allowed_hosts`. Anything else is 400.

    DNS rebinding: a site the runner visits points its own name at 127.0.0.1, and the browser, taking the page for
    that site's, lets its script read the answers; their `Host` is the site's name, which is refused here.
    Starlette's TrustedHostMiddleware takes a fixed list, so it cannot admit the address a phone reached a server
    bound to 0.0.0.0 at, and answers "Invalid host header", which tells the runner nothing to do.
    """

    def __init__(self, app: ASGIApp, names: Iterable[str]) -> None:
        self.app = app
        self.names = frozenset(plain for name in names if (plain := plain_host(name)) and not _unspecified(plain))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allows(scope):
            await self.app(scope, receive, send)
            return
        await PlainTextResponse(WRONG_HOST, status_code=400)(scope, receive, send)

    def allows(self, scope: Scope) -> bool:
        host = host_of(Headers(scope=scope).get("host"))
        if host is None:
            return False
        if host in self.names or is_loopback(host):
            return True
        server = scope.get("server")
        return bool(server) and plain_host(str(server[0])) == host


def _unspecified(host: str) -> bool:
    """0.0.0.0 and :: mean "every address" to bind, and no browser reaches a server by them."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


class BodyLimit:
    """Refuse a body larger than `max_bytes` (413) and any body but a form (415), before it is parsed.

    A declared `Content-Length` or type is refused at once; a body sent in chunks is counted as it arrives and
    refused at the first byte over the limit (an exception out of `receive`, which ends the route and is answered
    here with the 413). Without this, Starlette reads a form of any size into memory, and spools a multipart body
    to disk in full before the route can check its CSRF token.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind and kind != FORM_TYPE and scope["method"] not in BODYLESS:
            await PlainTextResponse(NOT_A_FORM, status_code=415, headers=CLOSE)(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and (len(declared) > 12 or int(declared) > self.max_bytes):
            await PlainTextResponse(TOO_LARGE, status_code=413, headers=CLOSE)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except* _TooLarge:
            if started:  # no route answers before it has read its form; should one, it is cut off here
                raise
            await PlainTextResponse(TOO_LARGE, status_code=413, headers=CLOSE)(scope, receive, send)


class _TooLarge(Exception):
    """Raised out of `receive` at the first byte over the limit; it may reach `BodyLimit` inside an exception group
    (Starlette's BaseHTTPMiddleware reads the body in a task group)."""
