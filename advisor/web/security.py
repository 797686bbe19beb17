"""What keeps the web page private: who may bind where, the session key, CSRF tokens, the login throttle, headers.

A pain log is health data. On loopback only the runner's own machine can reach the page, so it needs no login; any
other address is reachable from the network, so the server refuses to start there without a password (checked
before a socket is opened). Every rendered form carries a token of its own, signed with the CSRF secret of the signed
session cookie, so another site the phone visits cannot post a pain score or exclude a run in the runner's name, and
the server can tell a second submission of the same form (a double tap) from a new one.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from advisor.net import is_loopback

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


FORM_TOKEN_MAX_AGE_S = 7 * 24 * 3600
"""A form left open in the phone's browser for a week can still be sent; an older one asks for a reload (403)."""
CLOCK_SKEW_S = 300


def new_csrf_token() -> str:
    """The session's CSRF secret: never on a page itself, only the form tokens signed with it."""
    return secrets.token_urlsafe(32)


def new_form_token(secret: str) -> str:
    """The token of one rendered form: when it was made and a fresh nonce, signed with the session's CSRF secret.
    The signature ties it to the session (another site cannot make one); the nonce makes it this form's own, so
    `SubmittedForms` can answer a second submission of it as already done."""
    issued = str(int(time.time()))
    nonce = secrets.token_urlsafe(16)
    return f"{issued}.{nonce}.{_form_signature(secret, issued, nonce)}"


def form_token_nonce(token: str | None, secret: str | None) -> str | None:
    """The nonce of a token made for this session's secret in the last `FORM_TOKEN_MAX_AGE_S`, else None: the
    POST is the runner's own only when its hidden token was signed with the secret of their signed session."""
    if not token or not secret or token.count(".") != 2:
        return None
    issued, nonce, signature = token.split(".")
    if not hmac.compare_digest(signature.encode("utf-8"), _form_signature(secret, issued, nonce).encode("utf-8")):
        return None
    age = time.time() - int(issued)  # signed by us, so a number
    return nonce if -CLOCK_SKEW_S <= age <= FORM_TOKEN_MAX_AGE_S else None


def _form_signature(secret: str, issued: str, nonce: str) -> str:
    return hmac.new(secret.encode("utf-8"), f"form:{issued}.{nonce}".encode(), hashlib.sha256).hexdigest()


@dataclass
class _Submission:
    claimed_at: float
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    location: str | None = None
    """Where the stored submission was redirected; None while it is being handled."""


class SubmittedForms:
    """The forms already sent, by their token's nonce, and where their submission was redirected: a double tap on
    "Log" (or a resent POST) is answered with the first submission's redirect, and nothing is stored twice.

    Kept in memory, on the event loop's thread (so a claim is one step, with no `await` inside it); entries older
    than a token's lifetime are dropped, since such a token is refused anyway. A restart forgets them: a double tap
    is a matter of seconds, not of a restart in between.
    """

    def __init__(self, keep_s: float = FORM_TOKEN_MAX_AGE_S + CLOCK_SKEW_S) -> None:
        self.keep_s = keep_s
        self._seen: dict[str, _Submission] = {}

    async def claim(self, nonce: str) -> str | None:
        """None when this is the form's first submission (the caller then reports `settle`); else the location the
        stored first submission was redirected to. While the first is still being handled, wait for its outcome."""
        while (earlier := self._seen.get(nonce)) is not None:
            if earlier.location is not None:
                return earlier.location
            await earlier.settled.wait()
        now = time.monotonic()
        for old in [n for n, s in self._seen.items() if now - s.claimed_at > self.keep_s and s.settled.is_set()]:
            del self._seen[old]
        self._seen[nonce] = _Submission(now)
        return None

    def settle(self, nonce: str, location: str | None) -> None:
        """The first submission's outcome: stored and redirected to `location`, or (None) nothing stored, so the
        same form may be sent again (a 400 with the reason, an error)."""
        submission = self._seen[nonce] if location is not None else self._seen.pop(nonce)
        submission.location = location
        submission.settled.set()


class LoginThrottle:
    """At most `max_checks` password checks per client in `window_s` seconds; after that every try is refused
    (HTTP 429) until the oldest check leaves the window. A try is counted before its password is compared, with no
    `await` in between, so sixty guesses sent at once get five comparisons, not as many as arrive before the first
    answer. Kept in memory: a restart forgets it, which costs an attacker a restart of the runner's machine, not a
    shortcut."""

    def __init__(self, max_checks: int = 5, window_s: float = 60.0) -> None:
        self.max_checks = max_checks
        self.window_s = window_s
        self._checks: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        now = time.monotonic()
        checks = self._checks.setdefault(client, deque())
        while checks and now - checks[0] > self.window_s:
            checks.popleft()
        return checks

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= self.max_checks

    def attempt(self, client: str) -> bool:
        """Count one password check for `client`: False (and nothing counted) when its checks are used up."""
        checks = self._recent(client)
        if len(checks) >= self.max_checks:
            return False
        checks.append(time.monotonic())
        return True

    def succeeded(self, client: str) -> None:
        """The right password is no guess: its check is given back, so logging in again soon is not throttled."""
        checks = self._recent(client)
        if checks:
            checks.pop()
