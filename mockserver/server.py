"""Serving the mock with uvicorn: what one connection may cost, whom to believe, how it ends.

- ``X-Forwarded-*`` headers are ignored unless ``--trust-proxy CIDR`` names the proxy (uvicorn
  would otherwise believe whatever ``FORWARDED_ALLOW_IPS`` in the environment says);
- request headers past ``--max-header-bytes`` are answered 431 and the connection closed,
  before more of them is kept (the request target is httptools' own to bound: 64 KB, 400);
- a connection that does not complete a request head within ``--header-timeout`` is closed
  (idle sockets, slowloris); idle keep-alive connections after ``--timeout-keep-alive``;
- at most ``--max-connections`` connections are open (default: the descriptor limit less a
  reserve); a new connection past it closes the ones idle the longest, so new clients keep
  being served while an attacker holds idle sockets, and ``accept()`` never meets EMFILE;
- SIGTERM: requests in flight get ``SHUTDOWN_GRACE`` seconds, then they are cancelled.

Per request this costs one addition per received chunk and one pass over the header list (its
size, also handed to the journal in the scope); the sweep runs once a second.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import logging
import resource
import weakref
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver import limits
from mockserver.config import ServeConfig
from mockserver.journal.record import HEAD_BYTES_KEY

log = logging.getLogger("mockserver")

#: Kernel queue of pending connections, and the most asyncio accepts in one go: small enough
#: that a burst never takes the descriptors held in reserve.
BACKLOG = 128
#: Seconds between two sweeps for connections that never completed a request head.
SWEEP_EVERY = 1.0
#: httptools refuses a request target of 64 KB or more itself (400); the head's other bytes
#: are the headers ``--max-header-bytes`` bounds.
MAX_TARGET_BYTES = 64 * 2**10
#: Requests start eagerly while at most this many connections are open (docs/PERFORMANCE.md:
#: at 1-2 connections eager answers cost 15-20 % less CPU, at 4-16 the same, at 32 more).
EAGER_UP_TO = 8


def never(scope: Any) -> bool:
    """No request starts eagerly (the default: an app must say which of its requests may)."""
    return False


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int = limits.MAX_HEADER_BYTES
    header_timeout: float = limits.HEADER_TIMEOUT
    max_connections: int = 1000
    timeout_keep_alive: float = limits.TIMEOUT_KEEP_ALIVE


def descriptor_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 1 << 20 if hard == resource.RLIM_INFINITY else min(hard, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft


def default_max_connections(descriptors: int) -> int:
    """Connections that fit in ``descriptors``: a reserve for files, SQLite and logs, and room
    for two accept bursts arriving before the evictions of the first are closed."""
    reserve = max(limits.RESERVED_DESCRIPTORS, descriptors // 10) + 2 * BACKLOG
    return max(16, descriptors - reserve)


def connection_limits(config: ServeConfig, *, raise_descriptors: bool = False) -> ConnectionLimits:
    """The config's connection limits; ``raise_descriptors`` (a server process of its own)
    first raises the soft descriptor limit to the hard one."""
    descriptors = (
        descriptor_limit() if raise_descriptors else resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    )
    cap = config.max_connections or default_max_connections(descriptors)
    return ConnectionLimits(
        max_header_bytes=config.max_header_bytes,
        header_timeout=config.header_timeout,
        max_connections=cap,
        timeout_keep_alive=config.timeout_keep_alive,
    )


def uvicorn_settings(
    config: ServeConfig,
    protocol: type[HttpToolsProtocol] | None = None,
    *,
    raise_descriptors: bool = False,
    eager_for: Callable[[Any], bool] = never,
) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` / ``uvicorn.Config`` that harden serving:
    ``protocol`` is :func:`protocol_for` (or :class:`GuardedHttpTools` configured by the env in
    ``--workers`` processes)."""
    trusted = ",".join(config.trust_proxy)
    bounds = connection_limits(config, raise_descriptors=raise_descriptors)
    return {
        "http": protocol or protocol_for(bounds, eager_for),
        "proxy_headers": bool(trusted),
        # Never None: uvicorn would read FORWARDED_ALLOW_IPS from the environment.
        "forwarded_allow_ips": trusted or "",
        "timeout_keep_alive": config.timeout_keep_alive,
        "timeout_graceful_shutdown": limits.SHUTDOWN_GRACE,
        "backlog": BACKLOG,
    }


class _Refused:
    """Stands in for the request cycle of a refused head: uvicorn's parser callbacks see a
    finished response and ignore the rest of the request."""

    response_complete = True
    keep_alive = False

    class message_event:
        @staticmethod
        def set() -> None:
            return None


REFUSED = _Refused()


def _answer_431(limit: int) -> bytes:
    body = (
        f"Request header fields too large: more than {limit} bytes of headers "
        "(--max-header-bytes)\n"
    ).encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"connection: close\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and an accounted connection."""

    limits = ConnectionLimits()
    #: Which requests may start eagerly: those the app answers without anything that needs a
    #: running task (anyio's threadpool does); the app says which (``MockApp.answers_at_once``).
    eager_for: Callable[[Any], bool] = staticmethod(never)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        #: Bytes received since the last complete head, outside bodies (an upper bound of the
        #: head being read).
        self._head = 0
        self._in_body = False
        self._refused = False
        watch_of(self).opened(self)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if not self._in_body:
            self._head += len(data)
        super().data_received(data)
        if self._head > MAX_TARGET_BYTES + self.limits.max_header_bytes and not self._in_body:
            self.refuse_head()  # a head still incomplete and already too large

    def on_headers_complete(self) -> None:
        size = headers_size(self.headers)
        if size > self.limits.max_header_bytes:
            self.refuse_head()
            return
        self._head = 0
        self._in_body = True
        self.scope[HEAD_BYTES_KEY] = size + len(self.url)  # type: ignore[literal-required]
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def refuse_head(self) -> None:
        """431 and close: nothing more of this connection is read or kept."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        self.cycle = REFUSED  # type: ignore[assignment]
        self.transport.write(_answer_431(self.limits.max_header_bytes))
        self.transport.close()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        """Run the request's first step at once, in the parser's callback, as Python 3.12's
        eager tasks do: an answer that never waits (every mock answer without latency) leaves
        without a task and a loop round trip; one that waits goes on as a task. Only while
        few connections are open: under many, answers batched by the loop cost less."""
        if len(self.connections) > EAGER_UP_TO or not self.eager_for(cycle.scope):
            super()._start_asgi_task(cycle, app)
            return
        context = contextvars.copy_context()
        coro = cycle.run_asgi(app)
        try:
            waiting_for = context.run(coro.send, None)
        except StopIteration:
            return
        task = self.loop.create_task(_Resumed(coro, waiting_for), context=context)
        if getattr(waiting_for, "_asyncio_future_blocking", False):
            # What a task does with a future it is handed, until the task's own first step
            # hands it over again: another request may await the same future meanwhile.
            waiting_for._asyncio_future_blocking = False
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def is_idle(self) -> bool:
        """No request being answered: idle between requests, or still reading a head."""
        return self.cycle is None or self.cycle.response_complete


class _Resumed(Coroutine[Any, Any, None]):
    """A coroutine whose first step already ran, as the task running the rest sees it: its
    first step hands over what the coroutine waits for; a cancellation at any point, even
    before the task's first step, reaches the coroutine at that wait."""

    __slots__ = ("coro", "waiting_for")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting_for: Any) -> None:
        self.coro = coro
        self.waiting_for: Any = waiting_for

    def send(self, value: Any) -> Any:
        waiting_for, self.waiting_for = self.waiting_for, _STARTED
        if waiting_for is _STARTED:
            return self.coro.send(value)
        if hasattr(waiting_for, "_asyncio_future_blocking"):
            waiting_for._asyncio_future_blocking = True  # as the coroutine's await left it
        return waiting_for

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self.waiting_for = _STARTED
        return self.coro.throw(typ if val is None else val)

    def close(self) -> None:
        self.coro.close()

    def __await__(self) -> Generator[Any, None, None]:
        raise TypeError("a resumed request runs as a task, it is never awaited")


_STARTED = object()


def headers_size(headers: list[tuple[bytes, bytes]]) -> int:
    """The header block as received: name, value, ``: `` and CRLF each."""
    size = 4 * len(headers)
    for name, value in headers:
        size += len(name) + len(value)
    return size


def protocol_for(
    connection_limits: ConnectionLimits, eager_for: Callable[[Any], bool] = never
) -> type[GuardedHttpTools]:
    """A protocol class with these limits and eager starts (one server's; another server keeps
    its own)."""
    attributes = {"limits": connection_limits, "eager_for": staticmethod(eager_for)}
    return type("GuardedHttpTools", (GuardedHttpTools,), attributes)


class ConnectionWatch:
    """The open connections of one server: closes those that never complete a head in time,
    and, past the cap, the ones idle the longest."""

    def __init__(self, connections: set[Any], bounds: ConnectionLimits) -> None:
        self.connections = connections
        self.limits = bounds
        #: connection -> (its request cycle when last seen, loop time since it is unchanged)
        self.seen: weakref.WeakKeyDictionary[Any, tuple[int, float]] = weakref.WeakKeyDictionary()
        self.sweeping: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def opened(self, protocol: GuardedHttpTools) -> None:
        self.loop = protocol.loop
        self.seen[protocol] = (id(protocol.cycle), protocol.loop.time())
        if self.sweeping is None:
            self.sweeping = self.loop.call_later(SWEEP_EVERY, self.sweep)
        excess = len(self.connections) - self.limits.max_connections
        if excess > 0:
            self.evict(excess + max(1, self.limits.max_connections // 16))

    def idle_since(self, protocol: GuardedHttpTools, now: float) -> float:
        """When the connection last had a request answered or began (its keep-alive timer
        says exactly; else the sweep's last sighting of activity)."""
        timer = protocol.timeout_keep_alive_task
        if timer is not None:
            return timer.when() - self.limits.timeout_keep_alive
        return self.seen.get(protocol, (0, now))[1]

    def evict(self, count: int) -> None:
        """Close the ``count`` connections idle the longest (never one answering a request)."""
        assert self.loop is not None
        now = self.loop.time()
        idle = [p for p in self.connections if isinstance(p, GuardedHttpTools) and p.is_idle()]
        oldest = heapq.nsmallest(count, idle, key=lambda p: self.idle_since(p, now))
        for protocol in oldest:
            if not protocol.transport.is_closing():
                protocol.transport.close()
        if oldest:
            log.debug(
                "%d connections open: closed the %d idle the longest",
                len(self.connections),
                len(oldest),
            )

    def sweep(self) -> None:
        """Close connections that sent no complete head for ``header_timeout`` seconds."""
        assert self.loop is not None
        now = self.loop.time()
        timeout = self.limits.header_timeout
        for protocol in list(self.connections):
            if not isinstance(protocol, GuardedHttpTools):
                continue
            marker = id(protocol.cycle)
            cycle, since = self.seen.get(protocol, (marker, now))
            if not protocol.is_idle() or marker != cycle or protocol.timeout_keep_alive_task:
                self.seen[protocol] = (marker, now)  # answering, or moved on, or keep-alive
            elif now - since >= timeout and not protocol.transport.is_closing():
                protocol.transport.close()
        self.sweeping = self.loop.call_later(SWEEP_EVERY, self.sweep) if self.connections else None


_watches: weakref.WeakKeyDictionary[Any, ConnectionWatch] = weakref.WeakKeyDictionary()


def watch_of(protocol: GuardedHttpTools) -> ConnectionWatch:
    """The watch of the protocol's server (one per uvicorn ``ServerState``)."""
    state = protocol.server_state
    watch = _watches.get(state)
    if watch is None:
        watch = _watches[state] = ConnectionWatch(state.connections, protocol.limits)
    return watch
