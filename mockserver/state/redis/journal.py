"""The journal of every process in one bounded Redis stream, secrets masked before they leave.

A request appends its raw record to a local buffer (no I/O); a writer thread masks and stores
what accumulated in one script call (one round trip per batch, however many requests), and the
answer's last byte waits for :meth:`RedisJournal.settled`: a client that has its answer finds
its request in the journal of every replica, and the stream's order is the order answers were
given. Stream ids are the journal's ids (``N-0``, ``N`` from one shared counter), so a reader's
``since`` cursor works through any replica. While the store is lost, records wait in a bounded
local backlog (the journal's size) and are stored when it is back.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.journal.record import Record
from mockserver.state.redis.link import Link

if TYPE_CHECKING:
    from mockserver.journal.masking import Masker

log = logging.getLogger("mockserver.state")

#: KEYS: id counter, stream. ARGV: max length, then one packed record per entry.
#: KEYS: the id counter. ARGV: the highest id this process stored (the store restarted empty:
#: ids go on from there, so readers' ``since`` cursors still work).
KEEP_IDS = """
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""
APPEND = """
local n = #ARGV - 1
local last = redis.call('INCRBY', KEYS[1], n)
for i = 1, n do
  redis.call('XADD', KEYS[2], (last - n + i) .. '-0', 'r', ARGV[i + 1])
end
redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', ARGV[1])
return last
"""
#: Records stored per script call at most (a backlog goes in several).
BATCH = 500


def pack(record: Record, masker: Masker) -> bytes:
    """A record as stored: masked query and headers (first value of each name), JSON."""
    headers = masker.header_items(record.headers)
    return orjson.dumps(
        [
            record.time,
            record.api,
            record.operation,
            record.method,
            record.path,
            masker.query(record.query.decode("latin-1")),
            record.status,
            record.ms,
            list(headers.items()),
            list(record.warnings),
            list(record.violations),
            record.source,
        ],
        default=str,
    )


def unpack(data: bytes) -> Record:
    time, api, operation, method, path, query, status, ms, headers, warnings, violations, source = (
        orjson.loads(data)
    )
    return Record(
        time,
        api,
        operation,
        method,
        path,
        query.encode("latin-1"),
        status,
        ms,
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        tuple(warnings),
        tuple(violations),
        source,
        masked=True,
    )


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class RedisJournal:
    """``JournalStore`` over a Redis stream shared by every process of the mock."""

    settles = True

    def __init__(self, link: Link, size: int) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self.size = size
        self.link = link
        self.masker: Masker | None = None
        self._ids = link.key("journal", "ids")
        self._stream = link.key("journal")
        self._script = link.slow.register_script(APPEND)
        self._keep_ids = link.slow.register_script(KEEP_IDS)
        #: The highest id this process stored.
        self.last_id = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: list[Record] = []
        self._backlog: deque[Record] = deque(maxlen=size)
        #: Records appended / stored (or given up on) so far, in this process.
        self._appended = 0
        self._stored = 0
        #: Who waits for the batch being stored (ends at ``_flying``) and for the next one.
        self._flying = 0
        self._flying_future: asyncio.Future[None] | None = None
        self._next_future: asyncio.Future[None] | None = None
        self._closed = False
        self._writer = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._writer.start()

    # -- request path -----------------------------------------------------------------------------
    def append(self, record: Record) -> None:
        with self._lock:
            self._pending.append(record)
            self._appended += 1
        self._wake.set()

    async def settled(self) -> None:
        if not self.link.up:
            return
        with self._lock:
            target = self._appended
            if self._stored >= target:
                return
            if self._flying >= target:
                future = self._flying_future
                if future is None:
                    future = self._flying_future = asyncio.get_running_loop().create_future()
            else:
                future = self._next_future
                if future is None:
                    future = self._next_future = asyncio.get_running_loop().create_future()
        await future

    # -- writer thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, []
                self._flying = self._appended
                self._flying_future, self._next_future = self._next_future, None
            if batch or self._backlog:
                self._store(batch)
            with self._lock:
                self._stored = self._flying
                future, self._flying_future = self._flying_future, None
            if future is not None:
                future.get_loop().call_soon_threadsafe(_resolve, future)
            if self._closed and not self._pending:
                return

    def _store(self, batch: list[Record]) -> None:
        """Store the backlog and ``batch``, oldest first; whatever fails stays in the backlog."""
        self._backlog.extend(batch)
        if not self.link.up:
            return
        masker = self.masker or _default_masker()
        while self._backlog:
            chunk = [self._backlog[i] for i in range(min(BATCH, len(self._backlog)))]
            args = [self.size, *(pack(record, masker) for record in chunk)]
            keys = [self._ids, self._stream]
            stored = self.link.hot(
                lambda r, args=args, keys=keys: (
                    self._script(keys=keys, args=args, client=r) and True
                ),
                fallback=lambda: False,
            )
            if not stored and not self.link.up:
                return  # kept until the store is back
            for _ in chunk:  # stored, or refused by a store that is up (logged): not retried
                self._backlog.popleft()

    def wake(self) -> None:
        """The store is back: keep the ids growing, store the backlog now."""
        ids = [self._ids]
        self.link.control(lambda r: self._keep_ids(keys=ids, args=[self.last_id], client=r))
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._writer.join(timeout=2)

    # -- readers ----------------------------------------------------------------------------------
    def records(self, since: int = 0) -> list[tuple[int, Record]]:
        entries = self.link.control(lambda r: r.xrange(self._stream, min=f"({since}-0"))
        found = [(int(id_.split(b"-", 1)[0]), unpack(fields[b"r"])) for id_, fields in entries]
        return found[-self.size :]

    def clear(self) -> int:
        def run(r: Any) -> int:
            pipe = r.pipeline(transaction=True)
            pipe.xlen(self._stream)
            pipe.delete(self._stream)
            return pipe.execute()[0]

        return self.link.control(run)

    def __len__(self) -> int:
        return min(self.size, self.link.control(lambda r: r.xlen(self._stream)))


def _default_masker() -> Masker:
    from mockserver.journal.masking import Masker

    return Masker()
