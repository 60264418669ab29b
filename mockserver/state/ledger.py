"""Every write a request or the control plane makes, as one ordered log shared by every process.

Data versions are immutable; what requests change (segments, refreshes, the mock clock) is an
ordered log of small JSON entries, stored by a :class:`WriteLog` and followed by each process's
:class:`Ledger`. A vendor folds its entries into an overlay over its data version, so every
replica applying the same entries in the same order sees the same world. Appends are
conditional (at position ``at`` of ``generation``): when another process appended first the
writer re-reads and validates again, so two replicas cannot both take one name or the last
refresh of a day. ``clear`` (reset) starts a new generation.

A read of a shared log sees every write acknowledged before the request arrived, through any
process: its handler syncs first. On the serving loop the requests of one loop turn share that
round trip: each awaits :meth:`Ledger.settle` (one read sent after it was called, for all of
them), and its handler's sync, run under :meth:`Ledger.answering`, then finds nothing to pull.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol

from mockserver.state.clock import MockClock

log = logging.getLogger("mockserver.state")

#: Entries one log holds at most: a write past it is refused (the vendor says how) until a
#: reset. Bounds every process's copy and each fold over it. (Declared here, not in
#: ``limits``: the state layer imports nothing above it.)
MAX_ENTRIES = 20_000

#: One entry: a JSON object with a string ``op``, never changed once appended.
Entry = dict[str, Any]

#: ``time.perf_counter()`` when the request whose handler runs in this context arrived.
ARRIVED: ContextVar[float | None] = ContextVar("mockserver_request_arrived", default=None)


class WriteLog(Protocol):
    """Where the entries are stored: numbered from 1 in append order, per generation."""

    #: Other processes append too (a read may find entries this one has not seen).
    shared: bool

    def read(self, since: int) -> tuple[int, list[Entry]]:
        """``(generation, entries after the first since)``."""
        ...

    async def read_async(self, since: int) -> tuple[int, list[Entry]]:
        """:meth:`read` on the serving loop, without blocking it."""
        ...

    def append(self, generation: int, at: int, entry: Entry) -> bool:
        """Store ``entry`` as number ``at + 1`` if the log is ``generation`` and holds exactly
        ``at`` entries; else ``False`` and nothing changes."""
        ...

    def clear(self) -> None:
        """Forget every entry: a new generation begins."""
        ...


class MemoryWriteLog:
    """A process's own log (the default state)."""

    shared = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._entries: list[Entry] = []

    def read(self, since: int) -> tuple[int, list[Entry]]:
        with self._lock:
            return self._generation, self._entries[since:]

    async def read_async(self, since: int) -> tuple[int, list[Entry]]:
        return self.read(since)

    def append(self, generation: int, at: int, entry: Entry) -> bool:
        with self._lock:
            if generation != self._generation or at != len(self._entries):
                return False
            self._entries.append(entry)  # kept as given: nothing serialized in one process
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
        #: ``time.perf_counter()`` when the newest read this copy took in was sent: it holds
        #: every entry appended before then (``-inf``: an append found it behind; ``inf``: the
        #: log is this process's own and was read since the last reset).
        self._current_as_of = -math.inf
        #: The callers of :meth:`settle` waiting for the next read, the task reading, its loop.
        self._waiting: list[asyncio.Future[None]] = []
        self._reader: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def position(self) -> int:
        return len(self.entries)

    @property
    def shared(self) -> bool:
        """Other processes append too: a read must ask the store (:meth:`settle`)."""
        return self.log.shared

    def now(self) -> float:
        """The mock clock's time, as of the last sync."""
        return self.clock()

    def sync(self) -> None:
        """Pull the entries appended since the last sync (everything after a reset). Under
        :meth:`answering`, nothing when a read sent after the request arrived is in already;
        a log this process alone appends to, nothing once read (its copy stays whole)."""
        arrived = ARRIVED.get()
        if self._current_as_of >= (math.inf if arrived is None else arrived):
            return
        with self._lock:
            while True:
                sent = self._sent()
                if self._took(sent, *self.log.read(sent[3])):
                    return

    async def settle(self) -> None:
        """On the serving loop: return once this copy holds every entry appended before the
        call, through any process. One read, sent after the call, serves every caller waiting
        when it is sent: the requests of one loop turn share one round trip. Should it fail,
        their syncs read for themselves."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a task belongs to the loop that made it
            self._loop, self._waiting, self._reader = loop, [], None
        waiter = loop.create_future()  # one each: a caller cancelled cancels only its own
        self._waiting.append(waiter)
        if self._reader is None:
            self._reader = loop.create_task(self._read_for_waiting())
        await waiter

    @contextlib.contextmanager
    def answering(self, arrived: float) -> Iterator[None]:
        """While the handler of a request that arrived at ``arrived`` (``perf_counter``) runs:
        its :meth:`sync` pulls only if no read sent since then is in (:meth:`settle`)."""
        token = ARRIVED.set(arrived)
        try:
            yield
        finally:
            ARRIVED.reset(token)

    async def _read_for_waiting(self) -> None:
        try:
            while self._waiting:
                waiting, self._waiting = self._waiting, []
                try:
                    await self._pull()
                except Exception:  # a bug: never a request left waiting (its sync reads)
                    log.exception("reading the write log failed")
                for waiter in waiting:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            if self._reader is asyncio.current_task():
                self._reader = None

    async def _pull(self) -> None:
        """:meth:`sync` on the serving loop: the lock is held only to take the read in."""
        while True:
            sent = self._sent()
            found = await self.log.read_async(sent[3])
            with self._lock:
                if self._took(sent, *found):
                    return

    def _sent(self) -> tuple[float, int, int, int]:
        """Noted as a read is sent: the time, the hint, the generation and the position."""
        return time.perf_counter(), self.hint, self.generation, self.position

    def _took(self, sent: tuple[float, int, int, int], generation: int, found: list[Entry]) -> bool:
        """Take in what a read found (``sent``: :meth:`_sent`; the lock held); ``False``: read
        again (another read took in a new generation meanwhile, or this one found one)."""
        sent_at, hint, known, at = sent
        if known != self.generation:
            return False
        if generation != known:  # a reset: a new generation begins
            self.generation, self.entries = generation, []
            self.clock.restart()
            if at:
                return False  # read it from its first entry
        for entry in found[self.position - at :]:  # what this process appended meanwhile is in
            self._apply(entry)
        self._synced_hint = hint
        self._current_as_of = max(self._current_as_of, sent_at if self.log.shared else math.inf)
        return True

    def sync_if_told(self) -> None:
        """:meth:`sync` only if another process said it wrote since the last one: reads that
        may lag by an event's latency (memoizable ones) skip the round trip. A process's own
        writes are in its copy already."""
        if self.hint != self._synced_hint:
            self.sync()

    def append(self, entry: Entry) -> int | None:
        """Append ``entry`` after the entries this process has: its number (from 1), or
        ``None`` when another process appended first (sync, check again, retry).
        Raises :class:`WriteRefused` at ``MAX_ENTRIES`` or when the store is out of reach."""
        with self._lock:
            at = self.position
            if at >= MAX_ENTRIES:
                message = f"the mock holds {MAX_ENTRIES} writes; reset it to write more"
                raise WriteRefused(message, 429)
            if not self.log.append(self.generation, at, entry):
                self._current_as_of = -math.inf  # behind: the next sync reads
                return None
            self._apply(entry)
            return at + 1

    def write(self, entry: Entry) -> int:
        """Append ``entry`` whatever came before it (a clock move checks nothing)."""
        while True:
            self.sync()
            number = self.append(entry)
            if number is not None:
                return number

    def clear(self) -> None:
        """Reset: the log and the clock back to nothing."""
        self.log.clear()
        self._current_as_of = -math.inf
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
