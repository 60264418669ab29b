"""In-process state, the default (its overrides and windows are ``state.base``'s), and the choice
of state (``--state``). Thread-safe: data loads and the pytest fixture run outside the event
loop."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

from mockserver.errors import MockServerError
from mockserver.journal.record import Record
from mockserver.state.base import MemoryWindows, OverrideStore, State
from mockserver.state.ledger import Ledger, MemoryWriteLog
from mockserver.state.values import Fault

#: URL schemes ``--state`` accepts (all of them Redis).
SCHEMES = ("redis", "rediss", "unix")


class MemoryJournal:
    """A ring buffer of the latest ``size`` records."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self.size = size
        self._records: deque[tuple[int, Record]] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def append(self, record: Record) -> None:
        # No lock: only the event loop appends, and ``next`` and ``deque.append`` are each
        # atomic; readers and ``clear`` (other threads too) take the lock.
        self._records.append((next(self._ids), record))

    def records(self, since: int = 0) -> list[tuple[int, Record]]:
        with self._lock:
            snapshot = list(self._records)
        if since and snapshot and snapshot[0][0] <= since:
            snapshot = [(id_, record) for id_, record in snapshot if id_ > since]
        return snapshot

    def clear(self) -> int:
        with self._lock:
            count = len(self._records)
            self._records.clear()
        return count

    def __len__(self) -> int:
        return len(self._records)


class MemoryData:
    """Data versions of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._begun: dict[str, int] = {}
        self._current: dict[str, tuple[int, Any | None]] = {}

    def begin(self, api: str) -> int:
        with self._lock:
            version = self._begun[api] = self._begun.get(api, 0) + 1
            return version

    def commit(self, api: str, version: int, document: Any | None) -> bool:
        with self._lock:
            if version != self._begun.get(api, 0):
                return False
            self._current[api] = (version, document)
            return True

    def current(self, api: str) -> tuple[int, Any | None]:
        with self._lock:
            return self._current.get(api, (0, None))


def open_state(
    url: str | None,
    *,
    prefix: str = "mockserver",
    journal_size: int = 1000,
    seed: int = 0,
    base_fault: Fault | None = None,
) -> State:
    """This in-process state without ``url``; else the Redis state at ``url`` (StateUnavailable
    when it cannot be reached, MockServerError when the ``redis`` extra is not installed)."""
    if not url:
        return State(
            MemoryJournal(journal_size),
            OverrideStore(seed, base_fault),
            MemoryWindows(),
            MemoryData(),
            Ledger(MemoryWriteLog()),
        )
    try:
        from mockserver.state.redis import redis_state
    except ImportError as exc:
        if exc.name not in ("redis", "hiredis"):
            raise
        raise MockServerError(
            "--state needs the redis extra: pip install 'mockserver[redis]'"
        ) from None
    return redis_state(
        url, prefix=prefix, journal_size=journal_size, seed=seed, base_fault=base_fault
    )
