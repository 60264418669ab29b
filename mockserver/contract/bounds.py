"""Time bounds of a contract run, and network failures named for what they are.

Schemathesis (through ``requests``) bounds each *read*: a server that drips a byte every few
seconds never times out. :func:`bounded_sessions` gives every session of a run a total deadline
per request (connect, send, headers and body together): past it the connection is shut down
and the request fails as a ``requests`` ``ReadTimeout`` saying so. :func:`network_failure`
tells a refused connection (the server is unreachable: stop the run) from a timeout, a reset or
bytes that are not HTTP (a failure of the operation that met it).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

REQUEST_TIMEOUT_FLAG = "--request-timeout"
_local = threading.local()


class _Deadline:
    """One request's deadline: a timer that shuts down the connection serving it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.connection: HTTPConnection | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self.connection = connection
            if self.expired:
                _shut(connection)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            if self.connection is not None:
                _shut(self.connection)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()


def _shut(connection: HTTPConnection) -> None:
    """Wake the thread blocked reading this connection: its read ends, the request fails."""
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Attach:
    """urllib3 connection mixin: the request being sent belongs to this thread's deadline."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_local, "deadline", None)
        if deadline is not None:
            deadline.attach(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _Connection(_Attach, HTTPConnection):
    pass


class _TLSConnection(_Attach, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class DeadlineAdapter(HTTPAdapter):
    """``requests``' adapter whose connections a request's deadline can shut down."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


def with_deadline(session: requests.Session, seconds: float) -> requests.Session:
    """``session`` with a total deadline of ``seconds`` on every request it makes, through
    ``request`` or ``send`` (Schemathesis' probes): redirects, a resend and the body (read here
    unless it is an event stream, whose reading Schemathesis bounds itself) included."""
    for prefix in ("http://", "https://"):
        session.mount(prefix, DeadlineAdapter())
    session.request = _within(session.request, seconds)  # type: ignore[method-assign]
    session.send = _within(session.send, seconds)  # type: ignore[method-assign]
    return session


def _within(call: Callable[..., requests.Response], seconds: float) -> Callable[..., Any]:
    def bounded(*args: Any, **kwargs: Any) -> requests.Response:
        if getattr(_local, "deadline", None) is not None:  # inside an outer bounded call
            return call(*args, **kwargs)
        with _Deadline(seconds) as deadline:
            _local.deadline = deadline
            try:
                response = call(*args, **kwargs)
                if "event-stream" not in response.headers.get("content-type", ""):
                    response.content  # noqa: B018 - the body too, within the deadline
                return response
            except requests.RequestException as exc:
                if deadline.expired:
                    raise timeout_error(seconds, exc.request) from exc
                raise
            finally:
                _local.deadline = None

    return bounded


def timeout_error(seconds: float, request: Any) -> requests.exceptions.ReadTimeout:
    """A ``ReadTimeout`` shaped as ``requests`` raises one (Schemathesis reads its message),
    marked as the total deadline's."""
    from urllib3.exceptions import ReadTimeoutError

    cause = ReadTimeoutError(None, "", f"Read timed out. (read timeout={seconds:g})")  # type: ignore[arg-type]
    error = requests.exceptions.ReadTimeout(cause, request=request)
    error.total_seconds = seconds  # type: ignore[attr-defined]
    return error


@contextlib.contextmanager
def bounded_sessions(seconds: float) -> Iterator[None]:
    """While the run lasts, every session Schemathesis makes has a total request deadline."""
    from schemathesis.engine import context

    original = context.make_session

    def make_session(*args: Any, **kwargs: Any) -> requests.Session:
        return with_deadline(original(*args, **kwargs), seconds)

    context.make_session = make_session
    try:
        yield
    finally:
        context.make_session = original


class RunDeadline:
    """Calls ``stop`` once ``seconds`` have passed (unless cancelled first); ``fired`` says so.

    Schemathesis' own ``max-time`` would spread the time over the operations and keep
    generating until it is used up; this one only ends a run that takes too long."""

    def __init__(self, seconds: float, stop: Callable[[], None]) -> None:
        self.fired = False
        self._stop = stop
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        self._stop()

    def cancel(self) -> None:
        self._timer.cancel()


def run_deadline(seconds: float, stop: Callable[[], None]) -> RunDeadline:
    return RunDeadline(seconds, stop)


@dataclass(frozen=True)
class NetworkFailure:
    """What went wrong on the wire: ``unreachable`` ones stop the run, others fail the
    operation that met them."""

    title: str
    message: str
    unreachable: bool = False


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


def network_failure(exc: BaseException) -> NetworkFailure | None:
    """Name a ``requests`` failure; ``None`` if it is not about the network."""
    import http.client

    from urllib3.exceptions import NewConnectionError

    if not isinstance(exc, requests.RequestException):
        return None
    chain = list(_chain(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkFailure("connect timeout", f"no connection: {exc}", unreachable=True)
    if isinstance(exc, requests.exceptions.Timeout):
        total = getattr(exc, "total_seconds", None)
        if total is not None:
            return NetworkFailure(
                "request timeout",
                f"no complete answer within {total:g} s ({REQUEST_TIMEOUT_FLAG}: a total for "
                "the request, body included)",
            )
        return NetworkFailure("request timeout", f"no answer in time: {exc}")
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
