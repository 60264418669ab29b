"""Serving the mock with uvicorn: what one connection may cost, whom to believe, how it ends.
What uvicorn's httptools protocol has no setting for (docs/SECURITY.md lists each bound)
:class:`GuardedHttpTools` adds through its parser callbacks and public attributes; tested with
uvicorn 0.54 and httptools 0.9."""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import logging
import resource
import sys
import weakref
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver import limits
from mockserver.config import ServeConfig

log = logging.getLogger("mockserver")

#: Kernel queue of pending connections, and the most asyncio accepts in one go: small enough
#: that a burst never takes the descriptors held in reserve.
BACKLOG = 128
#: Seconds between two sweeps for connections that never completed a request head.
SWEEP_EVERY = 1.0
#: httptools refuses a request target of 64 KB or more itself (400); the head's other bytes
#: are the headers ``--max-header-bytes`` bounds.
MAX_TARGET_BYTES = 64 * 2**10
#: Python's eager task starts (3.12+), used while at most ``EAGER_UP_TO`` connections are open:
#: under many, the loop's batching of reads and writes beats answering at once
#: (docs/PERFORMANCE.md).
EAGER_UP_TO = 8


def eager_task(loop: Any, coro: Any, *, name: Any = None, context: Any = None, **_: Any) -> Any:
    """A task that starts eagerly (``asyncio.Task(eager_start=True)``, Python's public API since
    3.12). Not ``asyncio.eager_task_factory`` itself: uvloop on Python 3.13 calls a factory with
    keywords that one refuses (``eager_start``), and every request then answered 400."""
    return asyncio.Task(coro, loop=loop, name=name, context=context, eager_start=True)


EAGER = eager_task if sys.version_info >= (3, 12) else None


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


def connection_limits(config: ServeConfig, *, raise_descriptors: bool = False) -> ServeConfig:
    """``config`` with its connection cap resolved; ``raise_descriptors`` (a server process of
    its own) first raises the soft descriptor limit to the hard one."""
    descriptors = (
        descriptor_limit() if raise_descriptors else resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    )
    cap = config.max_connections or default_max_connections(descriptors)
    return dataclasses.replace(config, max_connections=cap)


def uvicorn_settings(
    config: ServeConfig,
    protocol: type[HttpToolsProtocol] | None = None,
    *,
    raise_descriptors: bool = False,
) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.Config`` that harden serving (``protocol``: default
    :func:`protocol_for`)."""
    trusted = ",".join(config.trust_proxy)
    bounds = connection_limits(config, raise_descriptors=raise_descriptors)
    return {
        "http": protocol or protocol_for(bounds),
        # No WebSocket here: an upgrade is answered as plain HTTP, and no WebSocket library is
        # imported at start-up (~8 ms, issue 25).
        "ws": "none",
        "proxy_headers": bool(trusted),
        # Never None: uvicorn would read FORWARDED_ALLOW_IPS from the environment.
        "forwarded_allow_ips": trusted or "",
        "timeout_keep_alive": config.timeout_keep_alive,
        "timeout_graceful_shutdown": limits.SHUTDOWN_GRACE,
        "backlog": BACKLOG,
    }


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


@dataclass
class HeadReading:
    """What one connection has received towards its limits: kept in an object of ours, not in
    attributes of uvicorn's protocol (whose private names are its own)."""

    #: Bytes received since the last complete head, outside bodies (an upper bound of the head
    #: being read).
    head: int = 0
    #: Between a head and the end of its message: header fields now are trailers.
    in_body: bool = False
    #: Bytes received inside a message since its last body bytes: chunk framing and trailers,
    #: which httptools buffers until a field is complete, so they are bounded as they arrive.
    since_body: int = 0
    #: The size of the read being parsed.
    chunk: int = 0
    #: Bytes received since the read in which the last message ended, that read included: an
    #: upper bound of the head being read, pipelined ones too (``head`` restarts mid-read).
    bound: int = 0
    refused: bool = False


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and an accounted connection."""

    #: What its connections may cost (:func:`connection_limits`: ``max_connections`` is set).
    limits = ServeConfig(max_connections=1000)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.reading = HeadReading()
        watch_of(self).opened(self)
        self.pace()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.pace()

    def pace(self) -> None:
        """Eager task starts on while few connections are open, off past that (a task factory
        someone else set is left alone)."""
        if EAGER is None:
            return
        factory = self.loop.get_task_factory()
        few = len(self.connections) <= EAGER_UP_TO
        if factory is None and few:
            self.loop.set_task_factory(EAGER)
        elif factory is EAGER and not few:
            self.loop.set_task_factory(None)

    def data_received(self, data: bytes) -> None:
        reading = self.reading
        if reading.refused:
            return
        reading.chunk = len(data)
        reading.bound += reading.chunk
        if reading.in_body:
            reading.since_body += reading.chunk  # back to 0 if body bytes come in this read
        else:
            reading.head += reading.chunk
        super().data_received(data)
        if reading.in_body:
            if reading.since_body > self.limits.max_header_bytes:
                self.refuse_head()  # trailers (or chunk framing) past the head's bound
        elif reading.head > MAX_TARGET_BYTES + self.limits.max_header_bytes:
            self.refuse_head()  # a head still incomplete and already too large

    def on_headers_complete(self) -> None:
        reading, limit = self.reading, self.limits.max_header_bytes
        # Summed exactly (name, value, ": " and CRLF each) only when the bytes this head came
        # in may hold more than the limit.
        if reading.refused or (
            reading.bound > limit
            and sum(len(name) + len(value) + 4 for name, value in self.headers) > limit
        ):
            self.refuse_head()
            return
        reading.head, reading.since_body, reading.in_body = 0, 0, True
        super().on_headers_complete()
        # The request's scope holds the list just read; trailers, which uvicorn's on_header
        # appends like headers, go to a list nobody reads (bounded by ``since_body``). Cheaper
        # than a Python override of every header's callback.
        self.headers = []

    def on_body(self, body: bytes) -> None:
        self.reading.since_body = 0
        if not self.reading.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self.reading.in_body = False
        self.reading.bound = self.reading.chunk  # the next head starts in this read or later
        if not self.reading.refused:
            super().on_message_complete()

    def refuse_head(self) -> None:
        """431 and close: nothing more of this connection is read or kept; a request still
        being answered on it learns first that its client is gone."""
        if self.reading.refused or self.transport.is_closing():
            return
        self.reading.refused = True
        running = self.cycle
        if running is not None and not running.response_complete:
            running.disconnected = True
            running.message_event.set()
        self.transport.write(_answer_431(self.limits.max_header_bytes))
        self.transport.close()

    def is_idle(self) -> bool:
        """No request being answered: idle between requests, or still reading a head."""
        return self.cycle is None or self.cycle.response_complete


def protocol_for(connection_limits: ServeConfig) -> type[GuardedHttpTools]:
    """A protocol class with these limits (one server's; another server keeps its own)."""
    return type("GuardedHttpTools", (GuardedHttpTools,), {"limits": connection_limits})


class ConnectionWatch:
    """The open connections of one server: closes those that never complete a head in time,
    and, past the cap, the ones idle the longest."""

    def __init__(self, connections: set[Any], bounds: ServeConfig) -> None:
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
        says exactly; else the sweep's last sighting)."""
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
