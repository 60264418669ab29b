"""SendGrid's per-key rate limit and its ``X-RateLimit-*`` headers: fixed one-minute windows
counted in the shared state, so every process counts against the same windows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mockserver.state.base import WindowStore
from mockserver.vendors.interface import Reply
from mockserver.vendors.sendgrid.dialect import errors_reply

WINDOW_SECONDS = 60
#: The untouched budget the headers advertise without ``--rate-limit``.
ADVERTISED_LIMIT = 600
TOO_MANY = errors_reply(429, (None, "too many requests"))

Headers = tuple[tuple[str, str], ...]


@dataclass(eq=False)
class RateLimiter:
    limit: int | None
    windows: WindowStore
    clock: Callable[[], float]
    #: Without a limit the headers only change once a window: (window, headers).
    _unlimited: tuple[int, Headers] = (-1, ())

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"rate limit must be at least 1 request per minute, not {self.limit}")

    def window_now(self) -> int:
        """The number of the window the clock is in."""
        return int(self.clock()) // WINDOW_SECONDS

    def _headers(self, window: int, limit: int, remaining: int) -> Headers:
        return (
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", str((window + 1) * WINDOW_SECONDS)),
        )

    def headers(self, key: str, status: int = 200) -> Headers:
        """The ``X-RateLimit-*`` headers of ``key``'s latest request. A 429 (the limiter's own,
        or one a scenario forces) says what SendGrid's does: the window's budget is spent
        (``Remaining: 0``) until its reset, which is always in the future."""
        window = self.window_now()
        if status == TOO_MANY.status:
            return self._headers(window, self.limit or ADVERTISED_LIMIT, 0)
        if self.limit is None:
            cached_window, cached = self._unlimited
            if cached_window != window:
                cached = self._headers(window, ADVERTISED_LIMIT, ADVERTISED_LIMIT)
                self._unlimited = (window, cached)
            return cached
        used = self.windows.count(key, window)
        return self._headers(window, self.limit, max(0, self.limit - used))

    def refusal(self, key: str) -> Reply | None:
        """Count the request; the 429 (with its headers) if it is over the limit."""
        if self.limit is None:
            return None
        window = self.window_now()
        used = self.windows.hit(key, window)
        if used <= self.limit:
            return None
        return TOO_MANY.with_headers(*self._headers(window, self.limit, 0))
