"""SendGrid's per-key rate limit and its ``X-RateLimit-*`` headers.

Fixed one-minute windows aligned to the clock: ``X-RateLimit-Reset`` is the Unix time
the current window ends. With ``--rate-limit N`` a key's ``N + 1``-th request in a
window is answered 429. Without it nothing is refused, and the headers advertise an
untouched budget of :data:`ADVERTISED_LIMIT` (the requests really are not counted
against anything). Headers are cheap: a few ints formatted per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from mockserver.behaviour.contract import Reply
from mockserver.vendors.sendgrid.dialect import errors_reply

WINDOW_SECONDS = 60
ADVERTISED_LIMIT = 600
TOO_MANY = errors_reply(429, (None, "too many requests"))

Headers = tuple[tuple[str, str], ...]


class RateLimiter:
    def __init__(
        self,
        limit: int | None = None,
        *,
        window: int = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"rate limit must be at least 1 request per minute, not {limit}")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._current = -1
        self._counts: dict[str, int] = {}
        self._unlimited: Headers = ()

    def fresh(self) -> RateLimiter:
        """The same limit, every count forgotten."""
        return RateLimiter(self.limit, window=self.window, clock=self.clock)

    def _roll(self) -> int:
        """The current window; a new one forgets every count (memory stays bounded)."""
        current = int(self.clock()) // self.window
        if current != self._current:
            self._current = current
            self._counts = {}
            reset = str((current + 1) * self.window)
            limit = str(ADVERTISED_LIMIT)
            self._unlimited = (
                ("X-RateLimit-Limit", limit),
                ("X-RateLimit-Remaining", limit),
                ("X-RateLimit-Reset", reset),
            )
        return current

    def take(self, key: str) -> bool:
        """Count one request of ``key``; ``False`` once its budget for this window is spent."""
        if self.limit is None:
            return True
        with self._lock:
            self._roll()
            used = self._counts.get(key, 0) + 1
            self._counts[key] = used
            return used <= self.limit

    def headers(self, key: str) -> Headers:
        """The ``X-RateLimit-*`` headers of ``key``'s latest request."""
        if self.limit is None:
            # No counts to guard: the cached tuple, renewed once a window (no lock needed).
            if int(self.clock()) // self.window != self._current:
                self._roll()
            return self._unlimited
        with self._lock:
            current = self._roll()
            remaining = max(0, self.limit - self._counts.get(key, 0))
            return (
                ("X-RateLimit-Limit", str(self.limit)),
                ("X-RateLimit-Remaining", str(remaining)),
                ("X-RateLimit-Reset", str((current + 1) * self.window)),
            )

    def refusal(self, key: str) -> Reply | None:
        """Count the request; the 429 (with its headers) if it is over the limit."""
        if self.take(key):
            return None
        return TOO_MANY.with_headers(*self.headers(key))
