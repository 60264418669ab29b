"""Time bounds of a contract run, and network failures named for what they are.

``requests`` bounds each *read*: a server that drips a byte every few seconds never times out.
:func:`bounded` gives each request a total deadline through public seams only: Schemathesis'
``before_call``/``after_call`` hooks (global: they act only on the runs :func:`bounded` marks)
start and stop a timer, and ``requests``' response hook names the connection whose body is read
(urllib3's ``HTTPResponse.connection``), shut down past the deadline.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis

#: What a request that timed out is told, with its deadline in seconds.
NO_ANSWER = (
    "no complete answer within {:g} s (--request-timeout: a total for the request, body included)"
)
_local = threading.local()
#: Requests whose total deadline shut their connection: their error is a timeout.
_EXPIRED: weakref.WeakSet[requests.PreparedRequest] = weakref.WeakSet()


class _Deadline:
    """One request's deadline: a timer that shuts down the connection reading its body."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.request: requests.PreparedRequest | None = None
        self.sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True
        self._timer.start()

    def on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """``requests``' response hook: the head is in, the body is read from this socket."""
        connection = getattr(response.raw, "connection", None)
        with self._lock:
            self.request = response.request
            self.sock = getattr(connection, "sock", None)
            if self.expired:
                self._shut()

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        """Wake the thread blocked reading the body: its read ends, the request fails."""
        if self.request is not None:
            _EXPIRED.add(self.request)
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _end_deadline() -> None:
    deadline = getattr(_local, "deadline", None)
    if deadline is not None:
        deadline.cancel()
        _local.deadline = None


#: The total deadline of each run in progress, by the id of the Schemathesis schema it loaded.
_RUNS: dict[int, float] = {}


@contextlib.contextmanager
def bounded(schema: Any, seconds: float) -> Iterator[None]:
    """While the run over ``schema`` lasts, each of its requests has ``seconds`` in total."""
    _RUNS[id(schema)] = seconds
    try:
        yield
    finally:
        _RUNS.pop(id(schema), None)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Start the request's deadline (only for a run of :func:`bounded`)."""
    seconds = _RUNS.get(id(case.operation.schema))
    if seconds is None:
        return
    _end_deadline()  # a request that failed on the wire had no after_call
    deadline = _local.deadline = _Deadline(seconds)
    kwargs["timeout"] = seconds
    kwargs["hooks"] = {"response": [deadline.on_response]}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    _end_deadline()


def first_answer(url: str, headers: dict[str, str], seconds: float) -> str | None:
    """Why ``url`` gave no complete answer to one GET within ``seconds`` (``None``: it did, or
    failed otherwise, which the run reports). Asked before the run: Schemathesis' capability
    probes are sent outside any hook, and a server that never answers would hold them."""
    deadline = _Deadline(seconds)
    try:
        with requests.Session() as session:
            response = session.get(
                url,
                headers=headers,
                timeout=seconds,
                stream=True,
                allow_redirects=False,
                hooks={"response": [deadline.on_response]},
            )
            response.content  # noqa: B018 - the body too, within the deadline
    except requests.RequestException as exc:
        timeout = isinstance(exc, requests.Timeout) and not isinstance(exc, requests.ConnectTimeout)
        if deadline.expired or timeout:
            return NO_ANSWER.format(seconds)
    finally:
        deadline.cancel()
    return None


_END = object()


class BoundedStream:
    """Schemathesis' event stream, run in a thread of its own and read until it ends or
    ``seconds`` have passed (then the run is stopped; ``fired`` says so).

    Schemathesis' own ``max-time`` would spread the time over the operations and keep
    generating until it is used up; this one only ends a run that takes too long - even one
    whose engine is blocked (its capability probes are sent outside any hook, so a server that
    drips their answer would hold them: the engine's thread is then left behind, a daemon)."""

    def __init__(self, stream: Any, seconds: float) -> None:
        self.stream = stream
        self.fired = False
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        threading.Thread(target=self._pump, name="contract-engine", daemon=True).start()
        self._timer.start()

    def _pump(self) -> None:
        try:
            for event in self.stream:
                self._events.put(event)
        finally:
            self._events.put(_END)

    def _fire(self) -> None:
        self.fired = True
        self.stream.stop()
        self._events.put(_END)

    def __iter__(self) -> Iterator[Any]:
        while (event := self._events.get()) is not _END:
            yield event

    def stop(self) -> None:
        self.stream.stop()

    def cancel(self) -> None:
        self._timer.cancel()


@dataclass(frozen=True)
class NetworkFailure:
    """What went wrong on the wire: ``unreachable`` ones stop the run, others fail the
    operation that met them."""

    title: str
    message: str
    unreachable: bool = False
    #: Not a byte of an answer came back (no status line) before the deadline.
    silent: bool = False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException):
                yield from _chain(arg)
        current = current.__cause__ or current.__context__


def network_failure(exc: BaseException, seconds: float) -> NetworkFailure | None:
    """Name a ``requests`` failure of a request bounded to ``seconds``; ``None`` if it is not
    about the network."""
    import http.client

    from urllib3.exceptions import NewConnectionError

    if not isinstance(exc, requests.RequestException):
        return None
    chain = list(_chain(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkFailure("connect timeout", f"no connection: {exc}", unreachable=True)
    expired = exc.request in _EXPIRED
    if expired or isinstance(exc, requests.exceptions.Timeout):
        return NetworkFailure("request timeout", NO_ANSWER.format(seconds), silent=not expired)
    if any(isinstance(e, NewConnectionError | ConnectionRefusedError) for e in chain):
        return NetworkFailure("connection refused", str(exc), unreachable=True)
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return NetworkFailure(
            "connection reset", "the server reset the connection instead of answering"
        )
    bad = next((e for e in chain if isinstance(e, http.client.BadStatusLine)), None)
    if isinstance(bad, http.client.RemoteDisconnected):
        return NetworkFailure(
            "connection closed", "the server closed the connection without answering"
        )
    if bad is not None:
        line = bad.args[0] if bad.args else ""
        return NetworkFailure(
            "not HTTP", f"the server answered bytes that are not an HTTP response: {line!r:.120}"
        )
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.ConnectionError):
        return NetworkFailure("broken answer", f"the answer was cut off: {exc}")
    return NetworkFailure("network error", str(exc))
