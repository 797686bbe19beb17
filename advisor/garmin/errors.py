"""The only exceptions the Garmin sources raise to their callers.

Both implementations (the `garminconnect` library and Garmin's Personal API client) have their own exception
zoo; `advisor sync` and the daemon must react to *what happened* (slow down, ask the user to log in again, try
next round, skip one activity), not to which library happened to be configured. Every library error is mapped
to one of these in the implementation module that called the library, and nowhere else.
"""

from __future__ import annotations

LOGIN_HINT = "Garmin rejected the saved login; run `advisor garmin login`"


class GarminError(Exception):
    """Base class: anything that went wrong talking to Garmin."""


class GarminRateLimited(GarminError):
    """Garmin answered 429. Stop this round; `retry_after_s` is Garmin's Retry-After, when it sent one.

    The source never retries a 429 itself: hammering a rate limiter only extends the ban, and the daemon has
    a schedule anyway. The caller decides when "next round" is, at least `retry_after_s` from now.
    """

    def __init__(self, retry_after_s: float | None = None, message: str | None = None) -> None:
        self.retry_after_s = retry_after_s
        if message is None:
            when = f"in {retry_after_s:.0f} s" if retry_after_s is not None else "later"
            message = f"Garmin is limiting how fast we may ask; stopping for now, try again {when}"
        super().__init__(message)


class GarminAuthError(GarminError):
    """The saved login (tokens) or the Personal API key was refused, or there is none.

    Not retryable by a machine: a daemon that gets this must stop syncing until the user acts, and must never
    attempt a password login on its own (that is what gets accounts locked).
    """

    def __init__(self, message: str = LOGIN_HINT) -> None:
        super().__init__(message)


class GarminUnavailable(GarminError):
    """Network error, timeout, 5xx, or an answer we cannot use. Leave it for the next round.

    `retryable` says whether the bounded retry loop may try again (network errors and 5xx) or whether trying
    again cannot help (an unexpected 4xx, a malformed answer).
    """

    def __init__(self, message: str, *, retryable: bool = True, status: int | None = None) -> None:
        self.retryable = retryable
        self.status = status
        super().__init__(message)


class GarminBadDownload(GarminError):
    """One activity's ORIGINAL download is not a usable zip/FIT. Record it as failed and carry on."""

    def __init__(self, activity_id: int, reason: str) -> None:
        self.activity_id = activity_id
        self.reason = reason
        super().__init__(f"Garmin activity {activity_id}: {reason}")
