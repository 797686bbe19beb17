"""How politely we talk to Garmin: pacing, bounded retries with backoff, Retry-After, timeouts.

Both implementations send every request through one `RequestRunner`, so the behaviour a user relies on
(a first backfill of years does not trip the rate limiter; an outage costs a few bounded retries, then the
round is abandoned; a 429 stops the round at once) is the same whichever method is configured. The libraries'
own retry loops are switched off where they have one, so there is exactly one retry policy.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from advisor.garmin.errors import GarminError, GarminUnavailable

_LOG = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RequestPolicy:
    """Knobs for pacing and retrying. Defaults suit the real service; tests pass zeros and short timeouts."""

    min_interval_s: float = 1.0  # at least this long between the starts of two requests
    max_retries: int = 3  # extra attempts after a network error / 5xx; never for 429 or auth errors
    backoff_base_s: float = 2.0  # wait base * 2**attempt before retry number attempt+1 ...
    backoff_max_s: float = 60.0  # ... but never longer than this
    timeout_s: float = 30.0  # per HTTP request (connect + read)
    page_size: int = 100  # activities per list request

    def backoff_s(self, attempt: int) -> float:
        return min(self.backoff_max_s, self.backoff_base_s * (2**attempt))


class RequestRunner:
    """Runs one HTTP-issuing callable at a time with pacing and bounded retries.

    `classify` turns whatever the library raised into one of our errors (or returns None for exceptions
    that are programming errors and must propagate untouched).
    """

    def __init__(
        self,
        policy: RequestPolicy,
        classify: Callable[[BaseException], GarminError | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self._classify = classify
        self._clock = clock
        self._sleep = sleep
        self._last_start: float | None = None

    def pace(self) -> None:
        """Wait until `min_interval_s` has passed since the previous request started."""
        now = self._clock()
        if self._last_start is not None:
            wait = self.policy.min_interval_s - (now - self._last_start)
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
        self._last_start = now

    def run(
        self,
        what: str,
        call: Callable[[], T],
        *,
        classify: Callable[[BaseException], GarminError | None] | None = None,
    ) -> T:
        """Call `call` (which issues one request), pacing before each attempt and retrying transient errors.

        `classify` overrides the runner's mapping for this call (the same status can mean different things
        on different endpoints, e.g. 400 from a token exchange is a refused key).
        """
        classify = classify or self._classify
        attempt = 0
        while True:
            self.pace()
            try:
                return call()
            except GarminError:
                raise
            except Exception as error:
                mapped = classify(error)
                if mapped is None:
                    raise
                if isinstance(mapped, GarminUnavailable) and mapped.retryable and attempt < self.policy.max_retries:
                    delay = self.policy.backoff_s(attempt)
                    attempt += 1
                    _LOG.warning(
                        "Garmin %s failed (%s); retry %d/%d in %.1f s",
                        what,
                        mapped,
                        attempt,
                        self.policy.max_retries,
                        delay,
                    )
                    self._sleep(delay)
                    continue
                if isinstance(mapped, GarminUnavailable) and mapped.retryable and attempt:
                    mapped = GarminUnavailable(
                        f"Garmin {what} still failing after {attempt + 1} attempts: {mapped}",
                        retryable=False,
                        status=mapped.status,
                    )
                raise mapped from error


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
