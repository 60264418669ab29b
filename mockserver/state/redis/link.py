"""The connection to the state store, and the circuit that keeps a lost Redis off the request
path: while it is open, request-path calls fall back to what their process knows and control
calls raise :class:`StateUnavailable`; the first call that succeeds closes it."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from mockserver.errors import StateUnavailable
from mockserver.lru import LruCache
from mockserver.numbers import parse_int

log = logging.getLogger("mockserver.state")

T = TypeVar("T")

#: A request waits at most this long on Redis once; after that the circuit is open (long
#: enough for a busy 2-core machine, where 250 ms stalls were seen).
FAST_TIMEOUT = 0.5
#: Control calls (whole data documents, long journals) may take longer.
SLOW_TIMEOUT = 10.0
CONNECT_TIMEOUT = 1.0
#: Distinct bad entries remembered as logged (past this, the oldest may be logged again).
MAX_SKIPPED_NOTES = 256
#: Errors that mean "the store is gone" (others are refusals of one command).
LOST = (RedisConnectionError, RedisTimeoutError, OSError)
#: Lua, for :meth:`Link.script`. KEYS: a counter. ARGV: a floor. The counter is raised to the
#: floor if below it (data versions, journal ids: they only grow).
RAISE = """
if (tonumber(redis.call('GET', KEYS[1])) or 0) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""


def display_url(url: str) -> str:
    """``redis://:secret@host:6379/0`` -> ``redis://host:6379/0``: never print a password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path or '/0'}"


def reason_of(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def client(url: str, timeout: float | None, kind: Any = redis.Redis, retry: Any = Retry) -> Any:
    """A client that never retries by itself (the circuit decides): ``kind`` is ``redis.Redis``
    or, with its own ``Retry``, ``redis.asyncio.ConnectionPool``."""
    return kind.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=CONNECT_TIMEOUT if timeout is None else min(timeout, 1.0),
        retry=retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def count_of(raw: bytes | None) -> int | None:
    """A stored counter or version (``None``: none stored); ``ValueError`` unless digits."""
    return None if raw is None else parse_int(raw.decode("ascii"))


class Link:
    """Clients, key names and the circuit of one mock's shared state."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.store = display_url(url)
        self.prefix = prefix
        self.fast = client(url, FAST_TIMEOUT)
        self.slow = client(url, SLOW_TIMEOUT)
        #: Pub/sub waits for messages without a read timeout; a lost server closes it.
        self.listen = client(url, None)
        self.channel = self.key("events")
        self.up = True
        #: Set when the store comes back: the replica resynchronizes.
        self.recovered = threading.Event()
        self._lock = threading.Lock()
        #: Bad entries already logged (the periodic reloads read them again and again).
        self._skipped: LruCache[bool] = LruCache(MAX_SKIPPED_NOTES)
        #: The serving loop (a connection belongs to the loop that made it), its connections'
        #: maker and the connection each script holds (:meth:`loop_eval`).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: redis.asyncio.ConnectionPool | None = None
        self._held: dict[str, tuple[asyncio.Lock, list[Any]]] = {}

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- calls ---------------------------------------------------------------------------------
    def control(self, call: Callable[[redis.Redis], T]) -> T:
        """A control-plane call: tried even while the circuit is open (so recovery shows at
        once); any failure raises :class:`StateUnavailable`."""
        try:
            result = call(self.slow)
        except (*LOST, RedisError) as exc:
            if isinstance(exc, LOST):
                self.lost(exc)
            raise StateUnavailable(self.store, reason_of(exc)) from None
        self.found()
        return result

    def script(self, source: str) -> Callable[[list[Any], list[Any]], Any]:
        """A Lua script, run as a control call: ``run(keys, args)``."""
        registered = self.slow.register_script(source)
        return lambda keys, args: self.control(lambda r: registered(keys, args, client=r))

    async def loop_eval(self, source: str, keys: list[Any], args: list[Any]) -> Any:
        """``EVAL source`` on the running loop, through a connection of the script's own: its
        calls come one at a time (the journal's writer, the write log's reader), so no pool or
        command layer runs per call (~14 µs of CPU, ~27 through a registered script). Await it
        inside :meth:`hot_async`, which bounds it."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._pool is None:
            # No socket timeout: :meth:`hot_async` bounds each call, as redis-py's timeout of
            # every read costs ~15 µs of CPU.
            made = client(self.url, None, redis.asyncio.ConnectionPool, AsyncRetry)
            self._loop, self._pool, self._held = loop, made, {}
        held = self._held.get(source)
        if held is None:
            held = self._held[source] = (asyncio.Lock(), [])
        lock, connection = held
        async with lock:
            if not connection:  # the pool's public maker: no pool bookkeeping per call
                connection.append(self._pool.make_connection())
            await connection[0].send_command("EVAL", source, len(keys), *keys, *args)
            return await connection[0].read_response()

    async def aclose(self) -> None:
        """At the server's shutdown, on its loop: close that loop's connections."""
        held, self._held, self._pool = self._held, {}, None
        for _, connection in held.values():
            for made in connection:  # made by the pool, not in it: closed here
                await made.disconnect()

    def hot(
        self,
        call: Callable[[redis.Redis], T],
        fallback: Callable[[], T],
        refused: Callable[[], T] | None = None,
    ) -> T:
        """A request-path call: ``fallback()`` while the circuit is open or when the store is
        lost; when a store that is up refuses the call, ``refused()`` (default: ``fallback()``).
        Decided by the call's own error: ``up`` may be set again by another thread meanwhile."""
        if self.up:
            try:
                return call(self.fast)
            except (*LOST, RedisError) as exc:
                if self._failed(exc) and refused is not None:
                    return refused()
        return fallback()

    async def hot_async(
        self,
        call: Callable[[], Awaitable[T]],
        fallback: Callable[[], T],
        refused: Callable[[], T] | None = None,
    ) -> T:
        """:meth:`hot` for a coroutine on the loop's client (:meth:`loop_eval`)."""
        if self.up:
            try:
                return await asyncio.wait_for(call(), FAST_TIMEOUT)
            except (*LOST, RedisError, asyncio.TimeoutError) as exc:  # 3.10: not a TimeoutError
                if self._failed(exc) and refused is not None:
                    return refused()
        return fallback()

    def _failed(self, exc: BaseException) -> bool:
        """A request-path call failed: the store refused it (``True``) or is lost (the circuit
        opens)."""
        if isinstance(exc, RedisError) and not isinstance(exc, LOST):
            log.warning("state store refused a request-path call: %s", reason_of(exc))
            return True
        self.lost(exc)
        return False

    def checked(self, what: str, read: Callable[..., T], *raw: Any) -> T | None:
        """``read(*raw)``, or ``None`` when what the store holds is bad (anyone with access can
        write it): logged once, never raised, so one bad value stops no replica, request or
        health."""
        try:
            return read(*raw)
        except (ValueError, TypeError) as exc:  # UnicodeDecodeError, JSONDecodeError included
            note = (what[:200], reason_of(exc))
        with self._lock:  # two threads reading one bad entry: logged once
            first = self._skipped.get(note) is None
            self._skipped.put(note, True)
        if first:
            log.warning("state store %s: skipped %s: %s", self.store, *note)
        return None

    # -- circuit -------------------------------------------------------------------------------
    def lost(self, exc: BaseException) -> None:
        with self._lock:
            was_up, self.up = self.up, False
        if was_up:
            log.warning(
                "state store %s lost (%s): serving from the last known state; control calls "
                "answer 503 until it is back",
                self.store,
                reason_of(exc),
            )

    def found(self) -> None:
        if self.up:
            return
        with self._lock:
            was_down, self.up = not self.up, True
        if was_down:
            log.warning("state store %s is back: resynchronizing", self.store)
            self.recovered.set()

    def close(self) -> None:
        for each in (self.fast, self.slow, self.listen):
            each.close()
