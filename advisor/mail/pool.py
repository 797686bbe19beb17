"""SMTP connections kept open between mails of one round, as mail libraries do for a batch (Django's mail
backend keeps one connection for `send_messages`).

A clinic's weekly round sends one mail per athlete, one after another: connecting, STARTTLS's handshake, EHLO
twice and AUTH cost more client CPU than the mail itself, and a relay that sees thousands of logins in a minute may
start refusing them. So a connection that has just delivered a mail is kept for `IDLE_S` seconds, and the next mail
to the same server, port, security, login and TLS context takes it, after a NOOP proves it is still alive. A
connection found dead, or older than that, is closed and a new one opened: nothing is sent on a connection whose
state is unknown. Kept connections belong to the process that opened them (not a forked child), one mail at a time
(a thread takes it out while it sends), and are closed when idle and at exit.
"""

from __future__ import annotations

import atexit
import os
import smtplib
import threading
import time
from collections.abc import Hashable

from advisor.mail.session import Session

__all__ = ["IDLE_S", "close_all", "give_back", "take"]

IDLE_S = 10.0
"""How long a connection waits for the next mail. Servers close idle clients after minutes (RFC 5321 asks for 5),
so a connection kept this long is very likely alive, and a process that sent its last mail does not hold one."""

_lock = threading.Lock()
_kept: dict[tuple[int, Hashable], tuple[Session, float]] = {}
_reaper: threading.Thread | None = None


def take(key: Hashable, now: float | None = None) -> Session | None:
    """A live connection to the server `key` names, ready for a new mail, or None (then open a new one)."""
    now = time.monotonic() if now is None else now
    with _lock:
        kept = _kept.pop((os.getpid(), key), None)
    if kept is None:
        return None
    smtp, since = kept
    if now - since > IDLE_S or not _alive(smtp):
        _close(smtp)
        return None
    smtp.message_sent = False  # the last mail's end went out on it; this one's has not
    return smtp


def give_back(key: Hashable, smtp: Session, now: float | None = None) -> None:
    """Keep `smtp`, which has just delivered a mail, for the next one (closing any other kept for `key`)."""
    now = time.monotonic() if now is None else now
    global _reaper
    with _lock:
        previous = _kept.pop((os.getpid(), key), None)
        _kept[(os.getpid(), key)] = (smtp, now)
        if _reaper is None or not _reaper.is_alive():
            _reaper = threading.Thread(target=_reap, name="smtp-idle-close", daemon=True)
            _reaper.start()
    if previous is not None:
        _close(previous[0])


def _reap() -> None:
    """Close connections idle longer than `IDLE_S` (a daemon that sent its one weekly mail does not hold a
    connection all week); stops when none is kept."""
    while True:
        time.sleep(IDLE_S / 2)
        now = time.monotonic()
        with _lock:
            expired = [k for k, (_, since) in _kept.items() if now - since > IDLE_S]
            closing = [_kept.pop(k)[0] for k in expired]
            done = not _kept
        for smtp in closing:
            _close(smtp)
        if done:
            return


def close_all() -> None:
    """Say goodbye on every kept connection of this process (at exit, or when a round is over)."""
    with _lock:
        mine = [k for k in _kept if k[0] == os.getpid()]
        kept = [_kept.pop(k)[0] for k in mine]
    for smtp in kept:
        _close(smtp)


def _alive(smtp: Session) -> bool:
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _close(smtp: Session) -> None:
    """QUIT, or just close: the mails it carried are delivered either way."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


atexit.register(close_all)
