"""Login sessions the server can end: the generation of an athlete's web logins, kept in the database.

The session itself is a signed cookie, valid for 30 days wherever it is copied to; a signature cannot be taken
back. So a login writes the athlete's current generation into the session, every request of a logged-in session
compares it with the database's, and logging out (or starting the page with another password) counts the generation
up: every cookie made before is logged out, on every server of this database.

Why in the database, on the athlete's row: the web page serves one athlete, the daemon and `advisor serve` (or two
machines) may serve the same one, and a count in one process's memory would leave the other's sessions running.
The page keeps the rules (the generation in the session, the password's mark and its hashing, once per start);
the database work goes through `advisor.services.web_logins`, so the web floor never touches the store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import TYPE_CHECKING

from advisor.services import web_logins

if TYPE_CHECKING:
    from advisor.bootstrap import Runtime

SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
"""OWASP's scrypt minimum: the mark is a password hash like any other, should the database be copied."""


def password_mark(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash of the web password, to notice at the next start that it changed."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def mark_matches(mark: str | None, password: str | None) -> bool:
    """True when `mark` was made for `password` (None for None: no password then, none now)."""
    if mark is None or password is None:
        return mark is None and password is None
    try:
        kind, salt, _digest = mark.split("$")
        expected = password_mark(password, bytes.fromhex(salt))
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(mark.encode(), expected.encode())


class Logins:
    """The web logins of the runtime's athlete: the generation a session must carry, and ending every session."""

    def __init__(self, rt: Runtime, password: str | None) -> None:
        self.rt = rt
        self.password = password
        self._lock = threading.Lock()
        self.password_checked = False

    def current(self) -> str:
        """What a logged-in session carries: the athlete and the generation ("3.7"); a session from another
        athlete's page (the same cookie name on the same host) does not match either."""
        self.check_password()
        return f"{self.rt.athlete_id}.{web_logins.session_generation(self.rt)}"

    def end_all(self) -> None:
        """Log out every session of this athlete's page: the logout button, on any device, ends them all."""
        web_logins.end_all_sessions(self.rt)

    def check_password(self) -> None:
        """Once per start (the first request does it): a password other than the one of the last count ends every
        session made before. The signing key already changes with the password; this also ends them when it is
        changed back."""
        with self._lock:
            if self.password_checked:
                return
            password = self.password
            web_logins.renew_password_mark(
                self.rt,
                is_current=lambda mark: mark_matches(mark, password),
                fresh_mark=lambda: password_mark(password) if password else None,
            )
            self.password_checked = True
