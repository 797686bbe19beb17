"""What keeps the web page private: who may bind where, the session key, CSRF tokens, the login throttle, headers.

A pain log is health data. On loopback only the runner's own machine can reach the page, so it needs no login; any
other address is reachable from the network, so the server refuses to start there without a password (checked
before a socket is opened). Every form carries a CSRF token tied to the signed session cookie, so another site
the phone visits cannot post a pain score or exclude a run in the runner's name.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import time
from collections import deque
from pathlib import Path

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}

SECURITY_HEADERS = {
    # No script at all (the pages need none); styles and images only from the page itself (the chart is /chart.png).
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the usual names of localhost: addresses no other machine can reach."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def bind_problem(host: str, password: str | None) -> str | None:
    """Why the server must not start on `host`, in one sentence, or None when it may."""
    if password or is_loopback(host):
        return None
    return (
        f"advisor serve on {host} would let anyone on the network read and change your pain log; set a password "
        "with ADVISOR_SERVE__PASSWORD or serve.password_file, or keep the default host 127.0.0.1"
    )


def session_key(home: Path, password: str | None) -> bytes:
    """The key that signs session cookies: a random secret kept in ADVISOR_HOME (readable by the runner alone),
    mixed with the password, so a restart keeps the phone logged in and a new password logs every session out."""
    path = home / "web-session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    stored = path.read_text().strip().encode()
    return hmac.new(stored, (password or "").encode(), hashlib.sha256).digest()


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison, so response timing says nothing about how much of a guess was right."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(given: str | None, expected: str | None) -> bool:
    """A POST is the runner's own when its hidden token equals the one in their signed session."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class LoginThrottle:
    """At most `max_failures` wrong passwords per client in `window_s` seconds; after that every try is refused
    (HTTP 429) until the oldest failure leaves the window. Kept in memory: a restart forgets it, which costs an
    attacker a restart of the runner's machine, not a shortcut."""

    def __init__(self, max_failures: int = 5, window_s: float = 60.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        now = time.monotonic()
        failures = self._failures.setdefault(client, deque())
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= self.max_failures

    def failed(self, client: str) -> None:
        self._recent(client).append(time.monotonic())
