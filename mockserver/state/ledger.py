"""Every write a request or the control plane makes, as one ordered log shared by every process.

Data versions are immutable; what requests change (segments, refreshes, the mock clock) is an
ordered log of small JSON entries, stored by a :class:`WriteLog` and followed by each process's
:class:`Ledger`. A vendor folds its entries into an overlay over its data version, so every
replica applying the same entries in the same order sees the same world. Appends are
conditional (at position ``at`` of ``generation``): when another process appended first the
writer re-reads and validates again, so two replicas cannot both take one name or the last
refresh of a day. ``clear`` (reset) starts a new generation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import orjson

from mockserver.state.clock import MockClock

#: Entries one log holds at most: a write past it is refused (the vendor says how) until a
#: reset. Bounds every process's copy and each fold over it. (Declared here, not in
#: ``limits``: the state layer imports nothing above it.)
MAX_ENTRIES = 20_000


class WriteLog(Protocol):
    """Where the entries are stored: numbered from 1 in append order, per generation."""

    def read(self, since: int) -> tuple[int, list[bytes]]:
        """``(generation, entries after the first since)``."""
        ...

    def append(self, generation: int, at: int, entry: bytes) -> bool:
        """Store ``entry`` as number ``at + 1`` if the log is ``generation`` and holds exactly
        ``at`` entries; else ``False`` and nothing changes."""
        ...

    def clear(self) -> None:
        """Forget every entry: a new generation begins."""
        ...


class MemoryWriteLog:
    """A process's own log (the default state)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._entries: list[bytes] = []

    def read(self, since: int) -> tuple[int, list[bytes]]:
        with self._lock:
            return self._generation, self._entries[since:]

    def append(self, generation: int, at: int, entry: bytes) -> bool:
        with self._lock:
            if generation != self._generation or at != len(self._entries):
                return False
            self._entries.append(entry)
            return True

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries = []


class WriteRefused(Exception):
    """A write that cannot land: the log is full (``MAX_ENTRIES``, until a reset) or the shared
    store is out of reach. ``status`` is how an API answers it."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Ledger:
    """One process's copy of the write log: its entries (decoded) and the mock clock."""

    def __init__(self, log: WriteLog, real: Callable[[], float] = time.time) -> None:
        self.log = log
        self.clock = MockClock(real)
        self.generation = -1
        self.entries: list[dict[str, Any]] = []
        #: Bumped when another process says it wrote (a shared log's pub/sub): memos that hold
        #: for one position of the log (``Backend.memo_epoch``) drop on it before a sync.
        self.hint = 0
        self._synced_hint = -1
        self._lock = threading.Lock()
        self._folds: dict[str, Any] = {}

    @property
    def position(self) -> int:
        return len(self.entries)

    def now(self) -> float:
        """The mock clock's time, as of the last sync."""
        return self.clock()

    def sync(self) -> None:
        """Pull the entries appended since the last sync (everything after a reset)."""
        with self._lock:
            self._synced_hint = self.hint
            generation, raw = self.log.read(self.position if self.generation >= 0 else 0)
            if generation != self.generation:
                generation, raw = self.log.read(0)
                self.generation, self.entries = generation, []
                self.clock.restart()
            for item in raw:
                self._apply(orjson.loads(item))

    def sync_if_told(self) -> None:
        """:meth:`sync` only if another process said it wrote since the last one: reads that
        may lag by an event's latency (memoizable ones) skip the round trip. A process's own
        writes are in its copy already."""
        if self.hint != self._synced_hint:
            self.sync()

    def append(self, entry: Mapping[str, Any]) -> int | None:
        """Append ``entry`` after the entries this process has: its number (from 1), or
        ``None`` when another process appended first (sync, check again, retry).
        Raises :class:`WriteRefused` at ``MAX_ENTRIES`` or when the store is out of reach."""
        with self._lock:
            at = self.position
            if at >= MAX_ENTRIES:
                message = f"the mock holds {MAX_ENTRIES} writes; reset it to write more"
                raise WriteRefused(message, 429)
            if not self.log.append(self.generation, at, orjson.dumps(entry)):
                return None
            self._apply(dict(entry))
            return at + 1

    def write(self, entry: Mapping[str, Any]) -> int:
        """Append ``entry`` whatever came before it (a clock move checks nothing)."""
        while True:
            self.sync()
            number = self.append(entry)
            if number is not None:
                return number

    def clear(self) -> None:
        """Reset: the log and the clock back to nothing."""
        self.log.clear()
        self.sync()

    def fold(self, name: str, factory: Callable[[], Any]) -> Any:
        """The fold ``name`` (made by ``factory`` on first use) kept with this ledger: a vendor's
        overlay outlives its data versions, as the writes it folds do."""
        with self._lock:
            found = self._folds.get(name)
            if found is None:
                found = self._folds[name] = factory()
            return found

    def notify(self) -> None:
        self.hint += 1

    def _apply(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        if entry.get("op") == "clock":
            self.clock.apply(entry)
