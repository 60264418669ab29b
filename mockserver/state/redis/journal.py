"""The journal of every process in one bounded Redis stream, secrets masked before they leave
(:class:`Packer`).

A request only buffers its record: a writer task on the serving loop stores each batch in one
script call (an asyncio client: no second thread trades the GIL with the loop). A reader first
asks every replica over pub/sub to store what it holds (:meth:`RedisJournal.sync`). Stream ids
``N-0`` come from one shared counter, so a ``since`` cursor works through any replica.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import secrets
import threading
import time
from collections import deque
from types import NoneType
from typing import Any

import orjson

from mockserver.journal.masking import Masker
from mockserver.journal.record import Record
from mockserver.lru import LruCache
from mockserver.state.redis.link import RAISE, Link

log = logging.getLogger("mockserver.state")

#: How long a process's stored mark outlives its last store (a retry comes within seconds).
MARK_SECONDS = 86400
#: KEYS: id counter, stream, this process's stored mark. ARGV: max length, the highest id this
#: process stored, the process's number of the first record, then one packed record per entry.
#: Ids go on above the counter, the stream's newest entry and this process's last id, so a
#: counter lost alone (evicted, or overwritten with anything) never makes the stream refuse
#: every later entry. Records the mark says are stored already are skipped: a call whose answer
#: was lost (a timeout, a dropped connection) is sent again, and stores each record once.
APPEND = f"""
local n = #ARGV - 3
local mark = tonumber(redis.call('GET', KEYS[3])) or 0
if mark > tonumber(ARGV[3]) + n - 1 then mark = 0 end -- not this process's writing
local skip = math.min(n, math.max(0, mark - tonumber(ARGV[3]) + 1))
local first = math.max(tonumber(redis.call('GET', KEYS[1])) or 0, tonumber(ARGV[2]))
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if top then first = math.max(first, tonumber(string.match(top[1], '^%d+'))) end
for i = skip + 1, n do
  redis.call('XADD', KEYS[2], (first + i - skip) .. '-0', 'r', ARGV[i + 3])
end
redis.call('SET', KEYS[1], first + n - skip)
redis.call('SET', KEYS[3], tonumber(ARGV[3]) + n - 1, 'EX', {MARK_SECONDS})
redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', ARGV[1])
return first + n - skip
"""
#: What a script call a store that is up refused answers (its records are given up on).
REFUSED: Any = object()
#: Records stored per script call at most (a backlog goes in several).
BATCH = 500
#: The journal's messages on the mock's channel: a reader asks every replica to store what it
#: holds (``journal-flush TOKEN``); each answers once it has (``journal-flushed TOKEN``).
JOURNAL = b"journal-"
FLUSH = JOURNAL + b"flush "
FLUSHED = JOURNAL + b"flushed "
#: How long a reader waits for the replicas to store what they hold; one that has not answered
#: by then (a stuck process) is read as the store has it, and a warning says so.
FLUSH_TIMEOUT = 5.0
#: A token is 32 random hex digits; anything much longer on the channel was not sent by a mock
#: and is not answered.
TOKEN_BYTES = 64


#: Masked headers and queries kept by what they were masked from: a client repeats its headers
#: and many of its queries, and masking is most of what storing a record costs.
MASKED_CACHE_SIZE = 512


class Packer:
    """Records as stored: masked query and headers (first value of each name), JSON."""

    def __init__(self, masker: Masker) -> None:
        self.masker = masker
        self._headers: LruCache[list[tuple[str, str]]] = LruCache(MASKED_CACHE_SIZE)
        self._queries: LruCache[str] = LruCache(MASKED_CACHE_SIZE)

    def __call__(self, record: Record) -> bytes:
        query, headers = record.query.decode("latin-1"), tuple(record.headers)
        body = self.masker.body(record.body, headers, query) if record.body else ""
        return orjson.dumps(
            [
                *record[:5],  # time, api, operation, method, path
                self._queries.get_or_build(record.query, lambda: self.masker.query(query)),
                *record[6:8],  # status, ms
                self._headers.get_or_build(
                    headers, lambda: list(self.masker.header_items(headers).items())
                ),
                *record[9:12],  # warnings, violations, source
                body,
            ],
            default=str,
        )


#: The JSON type of each field :class:`Packer` writes, in order (the body, last, absent from an
#: entry stored before bodies were journaled): anyone with access can write the stream.
PACKED = ((int, float), (str, NoneType), (str, NoneType), str, str, str, int, (int, float))
PACKED += (list, list, list, str, str)


def unpack(data: bytes | None) -> Record:
    """What :class:`Packer` wrote; ``ValueError`` for anything else."""
    fields = orjson.loads(data or b"")
    if not (isinstance(fields, list) and 12 <= len(fields) <= 13):
        raise ValueError("not a packed journal record")
    if not all(map(isinstance, fields, PACKED)):
        raise ValueError("a packed journal record's field of the wrong type")
    query, headers, body = fields[5], fields[8], (fields[12:] or [""])[0]
    try:
        pairs = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    except (AttributeError, TypeError) as exc:
        raise ValueError(f"headers not pairs of strings: {exc}") from None
    return Record(
        *fields[:5],
        query.encode("latin-1"),
        *fields[6:8],
        pairs,
        tuple(fields[9]),
        tuple(fields[10]),
        fields[11],
        masked=True,
        body=body.encode(),
    )


def on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Is this thread running ``loop`` (where nothing may wait for that loop's tasks)?"""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class RedisJournal:
    """``JournalStore`` over a Redis stream shared by every process of the mock."""

    def __init__(self, link: Link, size: int) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self.size = size
        self.link = link
        #: Masks records before they leave (``RedisState.attach`` gives the app's masker).
        self.packer = Packer(Masker())
        self._ids, self._stream = link.key("journal", "ids"), link.key("journal")
        #: This process's mark: how many of its records are stored (a key of its own).
        self._mark = link.key("journal", "stored", secrets.token_hex(8))
        self._keys = [self._ids, self._stream, self._mark]
        #: Records ever put in the backlog: the process's number of its newest.
        self._numbered = 0
        self._keep_ids = link.script(RAISE)
        #: The highest id this process stored.
        self.last_id = 0
        self._pending: deque[Record] = deque(maxlen=size)
        self._backlog: deque[Record] = deque(maxlen=size)
        #: Records appended / stored (or given up on) so far, in this process.
        self._appended = 0
        self._stored = 0
        #: Who waits, until how many records appended are stored (in order).
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        #: The writer task (it stores with the link's client of the serving loop).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.Task[None] | None = None
        self._sync = threading.Lock()
        #: This process's flush requests, by token (unique across processes): one release per
        #: replica that answered.
        self._flushes: dict[bytes, threading.Semaphore] = {}

    # -- request path (the serving event loop) -----------------------------------------------------
    def append(self, record: Record) -> None:
        self._pending.append(record)
        self._appended += 1
        if self._writer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a tool, a test): stored at once
            self._store_now()
            return
        self._start_writer(loop)

    async def settled(self) -> None:
        """On the serving loop: return once every record this process appended so far is
        stored (or storing it failed)."""
        if self.link.up and self._stored < self._appended:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append((self._appended, waiter))
            await waiter

    # -- the writer: a task on the serving loop, one script call per batch ------------------------
    def _start_writer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._writer = loop.create_task(self._write())

    async def _write(self) -> None:
        try:
            while self._pending or (self._backlog and self.link.up):
                batch, self._pending = self._pending, deque(maxlen=self.size)
                taken = self._appended
                try:
                    await self._store(batch)
                except Exception:  # a bug: give these records up, never an answer waiting
                    log.exception("storing journal records failed")
                    self._backlog.clear()
                self._release(taken)
        finally:
            self._writer = None
            if self._pending:  # appended while the last batch was being given up on
                self._release(self._appended)

    def _release(self, stored: int) -> None:
        """The first ``stored`` records appended are stored (or given up on): wake their
        waiters."""
        self._stored = stored
        while self._waiters and self._waiters[0][0] <= stored:
            waiter = self._waiters.popleft()[1]
            if not waiter.done():  # not cancelled
                waiter.set_result(None)

    async def _store(self, batch: deque[Record]) -> None:
        """Store the backlog and ``batch``, oldest first; whatever fails stays in the backlog."""
        self._queue(batch)
        while self._backlog and self.link.up:
            chunk, args = self._chunk()
            last = await self.link.hot_async(
                lambda args=args: self.link.loop_eval(APPEND, self._keys, args),
                fallback=lambda: None,
                refused=lambda: REFUSED,
            )
            self._done(chunk, last)

    def _store_now(self) -> None:
        """Outside an event loop: store what is pending with the blocking client (one thread
        at a time: the caller's, or the replica's listener when the store is back)."""
        with self._sync:
            self._queue(self._pending)
            self._pending = deque(maxlen=self.size)
            while self._backlog and self.link.up:
                chunk, args = self._chunk()
                last = self.link.hot(
                    lambda r, args=args: r.eval(APPEND, 3, *self._keys, *args),
                    fallback=lambda: None,
                    refused=lambda: REFUSED,
                )
                self._done(chunk, last)
            self._stored = self._appended

    def _queue(self, records: deque[Record]) -> None:
        """Into the backlog, numbered in order (what the store's mark counts)."""
        self._backlog.extend(records)
        self._numbered += len(records)

    def _done(self, chunk: list[Record], last: Any) -> None:
        """After one script call: ``chunk`` stored (``last`` its highest id), or refused by a
        store that is up (:data:`REFUSED`: logged by the link, not retried); a lost store
        (``None``) keeps it for when the store is back."""
        if last is None:
            return
        if last is not REFUSED:
            self.last_id = max(self.last_id, int(last))
        for _ in chunk:
            self._backlog.popleft()

    def _chunk(self) -> tuple[list[Record], list[Any]]:
        """The oldest records of the backlog, and the script's arguments to store them (the
        first one's number: the backlog drops its oldest when full, never its newest)."""
        chunk = [self._backlog[i] for i in range(min(BATCH, len(self._backlog)))]
        number = self._numbered - len(self._backlog) + 1
        return chunk, [self.size, self.last_id, number, *map(self.packer, chunk)]

    def wake(self) -> None:
        """The store is back (the replica's listener thread): keep the ids growing (the store
        may have restarted empty: readers' ``since`` cursors still work), store the backlog now."""
        self._keep_ids([self._ids], [self.last_id])
        loop = self._loop
        if loop is None or loop.is_closed():
            self._store_now()  # no serving loop (a tool, a test): this thread stores it
        else:
            loop.call_soon_threadsafe(self._kick, loop)

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._writer is None and self._backlog:
            self._start_writer(loop)

    async def aclose(self) -> None:
        """At the server's shutdown, on its loop: let the writer finish (a second at most) and
        close this loop's client."""
        writer = self._writer
        if writer is not None:
            await asyncio.wait([writer], timeout=1.0)
        await self.link.aclose()

    def close(self) -> None:
        """At shutdown: what is still pending (or in the writer's hands) is stored with the
        blocking client."""
        if self._writer is not None:
            self._writer.cancel()
        self._store_now()

    # -- read your writes: every replica stores what it holds before a read ---------------------
    def sync(self) -> None:
        """Return once every request answered before the call, by this process or any other
        sharing the store, has its record stored: this process's writer drained, then every
        replica asked over pub/sub and heard back (at most ``FLUSH_TIMEOUT``). Called from any
        thread but the serving loop's (which cannot wait for its own writer: it reads as is)."""
        if not self.link.up or (self._loop is not None and on_loop(self._loop)):
            return
        self._drain()
        token = secrets.token_hex(16).encode()
        answers = self._flushes[token] = threading.Semaphore(0)
        try:
            receivers = self.link.control(lambda r: r.publish(self.link.channel, FLUSH + token))
            deadline = time.monotonic() + FLUSH_TIMEOUT
            for _ in range(receivers):
                if not answers.acquire(timeout=max(deadline - time.monotonic(), 0)):
                    log.warning(
                        "a replica did not store its journal records within %.0f s of a read; "
                        "read without them",
                        FLUSH_TIMEOUT,
                    )
                    break
        finally:
            del self._flushes[token]

    def heard(self, message: bytes) -> None:
        """A journal message on the mock's channel (the replica's listener thread): a flush
        asked by a reader (this process's own: drained before it asked) or answered."""
        if message.startswith(FLUSHED):
            answers = self._flushes.get(message[len(FLUSHED) :])
            if answers is not None:
                answers.release()
        elif message.startswith(FLUSH) and len(message) <= len(FLUSH) + TOKEN_BYTES:
            token = message[len(FLUSH) :]
            own = self._flushes.get(token)
            if own is not None:
                own.release()
                return
            self._drain()
            self.link.hot(lambda r: r.publish(self.link.channel, FLUSHED + token), lambda: 0)

    def _drain(self) -> None:
        """Off the serving loop: wait until what this process appended so far is stored."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            if self._pending:  # no loop serves (a tool, a test): this thread stores it
                self._store_now()
            return
        try:
            asyncio.run_coroutine_threadsafe(self.settled(), loop).result(FLUSH_TIMEOUT)
        except concurrent.futures.TimeoutError:
            log.warning(
                "this process's journal records were not stored within %.0f s", FLUSH_TIMEOUT
            )

    # -- readers (each sees every request answered before it) ------------------------------------
    def records(self, since: int = 0) -> list[tuple[int, Record]]:
        self.sync()
        entries = self.link.control(lambda r: r.xrange(self._stream, min=f"({since}-0"))
        found = [
            (int(id_.split(b"-", 1)[0]), record)
            for id_, fields in entries
            if (record := self.link.checked(f"journal entry {id_!r}", unpack, fields.get(b"r")))
        ]
        return found[-self.size :]

    def clear(self) -> int:
        def run(r: Any) -> int:
            pipe = r.pipeline(transaction=True)
            pipe.xlen(self._stream)
            pipe.delete(self._stream)
            return pipe.execute()[0]

        self.sync()  # a record of an answer given before the clear is not stored after it
        return self.link.control(run)

    def __len__(self) -> int:
        self.sync()
        return min(self.size, self.link.control(lambda r: r.xlen(self._stream)))
