"""A small HTTP/1.1 client for the proxy: keep-alive connections to one upstream, bytes as given.

Why not httpx: its URL model rewrites what it sends (``"`` becomes ``%22``, ``/a/../b`` becomes
``/b``), and its transport (httpcore over anyio) costs ~0.55 ms of CPU per request on the
development machine and collapses under concurrency (encode/httpx#3215): the proxy could not
stay within 1 ms of the upstream. This client writes the request target and headers exactly
as given and parses answers with httptools (llhttp, the C parser uvicorn uses): ~0.07 ms.

Scope, on purpose: HTTP/1.1 over TCP or TLS, one request per connection at a time, the whole
answer read into memory (chunked and close-delimited bodies are de-framed), interim (1xx)
answers skipped, a reused connection that turns out closed retried once for idempotent methods,
an answer past ``limits.MAX_UPSTREAM_ANSWER`` bytes refused (the connection closed).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import httptools

from mockserver.limits import MAX_UPSTREAM_ANSWER

RawHeaders = list[tuple[bytes, bytes]]

#: Methods safe to send again when a kept-alive connection was closed under us (RFC 9110 9.2.2).
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})


class ClientError(Exception):
    """No answer: ``kind`` is ``connect``, ``timeout``, ``protocol`` or ``closed``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Answer:
    status: int
    headers: RawHeaders
    body: bytes
    keep_alive: bool


class _Connection(asyncio.Protocol):
    """One connection; ``exchange`` sends a request and waits for its answer."""

    def __init__(self, max_answer: int = MAX_UPSTREAM_ANSWER) -> None:
        self.max_answer = max_answer
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.used = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._head = False
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._headers: RawHeaders = []
        self._chunks: list[bytes] = []
        self._started = False  # any byte of this answer seen
        self._size = 0  # bytes of this answer seen
        self._headers_done = False

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: this connection cannot be trusted
            self.close()
            return
        self._started = True
        self._size += len(data)
        if self._size > self.max_answer:
            self._fail(ClientError("protocol", f"an answer over {self.max_answer} bytes"))
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ClientError("protocol", f"not an HTTP answer ({exc})"))
            self.close()

    def eof_received(self) -> bool | None:
        return False  # close the transport; connection_lost settles the waiter

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is None or self._waiter.done():
            return
        if self._headers_done and not self._head and self._close_delimited():
            self._complete(keep_alive=False)  # the body ran until the connection closed
            return
        if self._started:
            self._fail(ClientError("protocol", "the connection closed mid-answer"))
        else:
            self._fail(ClientError("closed", "the connection closed before an answer"))

    # -- httptools callbacks ----------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self._headers_done = True
        if self._head and self._status >= 200:
            # A HEAD answer has no body whatever its Content-Length says; llhttp cannot be told,
            # so the connection is not reused.
            self._complete(keep_alive=False)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200 and self._status != 101:
            self._reset()  # an interim answer: the final one follows
            return
        self._complete(keep_alive=self._parser.should_keep_alive())

    # -- helpers ----------------------------------------------------------------------------
    def _close_delimited(self) -> bool:
        names = {name for name, _ in self._headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    def _complete(self, keep_alive: bool) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            body = b"".join(self._chunks)
            waiter.set_result(Answer(self._status, self._headers, body, keep_alive))

    def _fail(self, error: ClientError) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes, head: bool, deadline: float) -> Answer:
        """Send ``request``; its answer, or ClientError (``timeout`` past ``deadline``, the
        event loop's clock)."""
        assert self.transport is not None
        if self.transport.is_closing():  # closed under us since it was last used
            raise ClientError("closed", "the connection closed before the request")
        self._reset()
        self._head = head
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = loop.call_at(deadline, self._expire)
        self.used = True
        self.transport.write(request)
        try:
            return await self._waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _expire(self) -> None:
        self._fail(ClientError("timeout", "no answer in time"))
        self.close()


def serialize(method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]], body: bytes):
    lines = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        lines += [name, b": ", value, b"\r\n"]
    lines += [b"\r\n", body]
    return b"".join(lines)


class ConnectionPool:
    """Kept-alive connections to one ``host:port`` (TLS when ``tls``), at most ``limit`` open."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: bool,
        limit: int = 100,
        max_answer: int = MAX_UPSTREAM_ANSWER,
    ) -> None:
        self.host = host
        self.max_answer = max_answer
        self.port = port
        self.ssl = ssl.create_default_context() if tls else None
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self.limit = limit

    async def request(
        self,
        method: str,
        target: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        timeout: float,
    ) -> Answer:
        """The answer to one request within ``timeout`` seconds (ClientError otherwise)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            return await self._request(method, target, headers, body, deadline)
        except (asyncio.TimeoutError, ClientError) as error:
            if isinstance(error, ClientError) and error.kind != "timeout":
                raise
            raise ClientError("timeout", f"no answer within {timeout:g} s") from None

    async def _request(self, method, target, headers, body, deadline: float) -> Answer:
        if self._slots is None:  # made in the event loop that uses it
            self._slots = asyncio.Semaphore(self.limit)
        if self._slots.locked():  # every connection busy: wait for one, within the deadline
            await asyncio.wait_for(self._slots.acquire(), self._left(deadline))
        else:
            await self._slots.acquire()
        request = serialize(method, target, headers, body)
        try:
            for attempt in range(2):
                connection = await self._connection(deadline)
                reused = connection.used
                try:
                    answer = await connection.exchange(request, method == "HEAD", deadline)
                except ClientError as error:
                    connection.close()
                    if error.kind == "closed" and reused and attempt == 0 and method in IDEMPOTENT:
                        continue  # the upstream closed an idle connection: once more, anew
                    raise
                except BaseException:  # cancelled: the answer may still come, on this connection
                    connection.close()
                    raise
                if answer.keep_alive and not connection.closed:
                    self._idle.append(connection)
                else:
                    connection.close()
                return answer
        finally:
            self._slots.release()
        raise AssertionError("unreachable")

    @staticmethod
    def _left(deadline: float) -> float:
        return max(deadline - asyncio.get_running_loop().time(), 0.0)

    async def _connection(self, deadline: float) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        loop = asyncio.get_running_loop()
        connect = loop.create_connection(
            lambda: _Connection(self.max_answer),
            self.host,
            self.port,
            ssl=self.ssl,
            server_hostname=self.host if self.ssl else None,
        )
        try:
            _, connection = await asyncio.wait_for(connect, self._left(deadline))
        except (OSError, ssl.SSLError) as exc:
            raise ClientError("connect", exc.strerror or str(exc) or type(exc).__name__) from None
        return connection

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
