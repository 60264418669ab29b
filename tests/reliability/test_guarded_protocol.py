"""The server's protocol (``server.GuardedHttpTools``) fed bytes directly, no socket: request
trailers are not headers (issue 22, item 2), and a 431 on a kept-alive connection tells the
request still running there that its client is gone (item 7). Through a served mock: a request
waiting out its latency when its connection is refused is not journaled as answered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from uvicorn.server import ServerState

from bench.asgi import StubTransport
from mockserver.config import ServeConfig
from mockserver.server import uvicorn_settings
from mockserver.testing import LiveServer
from tests.processes import MockProcess
from tests.state.redis_server import MISSING, RedisServer, redis_binary

LIMIT = 1024
SG_KEY = "Bearer SG." + "a" * 22 + "." + "b" * 43
CHUNKED = (
    b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
)
GET = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
TOO_BIG = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * (2 * LIMIT) + b"\r\n\r\n"


class Seen:
    """An app that reads the whole request, then waits for its client to leave (as a data load
    watches for it), noting the headers it saw and the messages it received."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.messages: list[str] = []
        self.gone: asyncio.Future | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.gone = asyncio.get_running_loop().create_future()
        while True:
            message = await receive()
            self.messages.append(message["type"])
            if message["type"] == "http.disconnect":
                self.gone.set_result(True)
                return
            if not message.get("more_body", False):
                self.headers = list(scope["headers"])
                break
        await receive()  # returns only when the client is gone
        self.messages.append("http.disconnect")
        self.gone.set_result(True)


@pytest.fixture()
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def connect(loop: asyncio.AbstractEventLoop, app: Any) -> tuple[Any, StubTransport]:
    settings = uvicorn_settings(ServeConfig(max_header_bytes=LIMIT))
    protocol_class = settings.pop("http")
    config = uvicorn.Config(app, log_level="warning", lifespan="off", **settings)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    transport = StubTransport()
    protocol.connection_made(transport)
    return protocol, transport


def settle(loop: asyncio.AbstractEventLoop, app: Seen) -> None:
    """Run the loop until the app has its request body and waits (or has seen its end)."""
    for _ in range(10):
        loop.run_until_complete(asyncio.sleep(0))


def test_trailers_are_not_headers(loop):
    app = Seen()
    protocol, transport = connect(loop, app)
    protocol.data_received(CHUNKED + b"Authorization: Bearer trailer\r\nX-T: 1\r\n\r\n")
    settle(loop, app)
    names = [name for name, _ in app.headers]
    assert names == [b"host", b"transfer-encoding"]
    assert not transport.closing


def test_trailers_past_the_header_limit_are_refused(loop):
    app = Seen()
    protocol, transport = connect(loop, app)
    protocol.data_received(CHUNKED)
    for n in range(8):  # each under the limit, together past it
        protocol.data_received(b"X-T%d: " % n + b"t" * (LIMIT // 4) + b"\r\n")
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert transport.closing


def test_one_endless_trailer_is_refused_as_it_arrives(loop):
    """httptools holds a field until its line ends: a single trailer that never ends is bounded
    by the bytes received, not by its (never) completed field."""
    app = Seen()
    protocol, transport = connect(loop, app)
    protocol.data_received(CHUNKED + b"X-Endless: ")
    for _ in range(4):  # each read under the limit, together past it; the line never ends
        protocol.data_received(b"t" * (LIMIT // 2))
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert transport.closing


def test_a_body_in_many_small_chunks_is_not_mistaken_for_trailers(loop):
    app = Seen()
    protocol, transport = connect(loop, app)
    head = b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    protocol.data_received(head)
    for _ in range(LIMIT):  # framing past the limit in all, body bytes between every chunk
        protocol.data_received(b"1\r\na\r\n")
    protocol.data_received(b"0\r\n\r\n")
    settle(loop, app)
    assert not transport.closing
    assert not transport.written.startswith(b"HTTP/1.1 431 ")


class Answers:
    """An app that answers every request at once, so pipelined requests follow each other."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("split", [None, 40, len(TOO_BIG) - 4], ids=["one-read", "early", "late"])
def test_a_head_past_the_limit_pipelined_after_another_is_refused(loop, split):
    """The exact header sum is skipped only when the reads a head came in are within the limit:
    a head that starts in the read where the previous message ended is counted from there."""
    protocol, transport = connect(loop, Answers())
    stream = GET + TOO_BIG
    cut = len(stream) if split is None else len(GET) + split
    protocol.data_received(stream[:cut])
    if cut < len(stream):
        protocol.data_received(stream[cut:])
    for _ in range(10):
        loop.run_until_complete(asyncio.sleep(0))
    assert b"HTTP/1.1 431 " in transport.written and transport.closing
    protocol.connection_lost(None)


def test_heads_within_the_limit_keep_the_connection(loop):
    protocol, transport = connect(loop, Answers())
    for _ in range(3):
        protocol.data_received(GET * 2)
        for _ in range(10):
            loop.run_until_complete(asyncio.sleep(0))
    assert transport.written.count(b"HTTP/1.1 200 ") == 6 and not transport.closing
    protocol.connection_lost(None)


def test_a_refused_head_tells_the_running_request_its_client_is_gone(loop):
    app = Seen()
    protocol, transport = connect(loop, app)
    protocol.data_received(GET)
    settle(loop, app)
    assert app.messages == ["http.request"] and app.gone is not None
    protocol.data_received(TOO_BIG)  # a second head on the kept-alive connection
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    loop.run_until_complete(asyncio.wait_for(app.gone, 1))
    assert app.messages == ["http.request", "http.disconnect"]
    protocol.connection_lost(None)


def test_a_request_waiting_when_its_connection_is_refused_is_not_journaled_as_answered(caplog):
    config = ServeConfig(latency_ms=(300.0, 300.0), max_header_bytes=LIMIT)
    with LiveServer(config) as server, caplog.at_level(logging.ERROR):
        journaled: list[int] = []
        ended = threading.Event()
        server.app.recorder.taps.append(
            lambda record: (journaled.append(record.status), ended.set())
        )
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as sock:
            sock.sendall(b"GET /segments HTTP/1.1\r\nHost: 127.0.0.1\r\nProgram-Id: demo\r\n\r\n")
            sock.sendall(TOO_BIG)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert ended.wait(5)
    assert journaled == [499]
    assert not [r for r in caplog.records if "Exception in ASGI application" in r.getMessage()]


def test_a_write_whose_client_leaves_mid_body_is_not_answered():
    """A body cut short is no body: no segment is made from part of one."""
    with LiveServer(ServeConfig(apis=("sendgrid",))) as server:
        journaled: list[int] = []
        ended = threading.Event()
        server.app.recorder.taps.append(
            lambda record: (journaled.append(record.status), ended.set())
        )
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as sock:
            sock.sendall(
                b"POST /v3/marketing/segments/2.0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Authorization: " + SG_KEY.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                b'{"name": "half'
            )
        assert ended.wait(5)
        listed = httpx.get(
            server.url + "/v3/marketing/segments/2.0", headers={"authorization": SG_KEY}
        )
    assert journaled[0] == 499
    assert "half" not in listed.text


def test_a_latency_answers_200():
    """Python 3.10 answered 400 to every request that waited in its first step."""
    with LiveServer(ServeConfig(latency_ms=(10.0, 10.0))) as server:
        answer = httpx.get(server.url + "/segments", headers={"program-id": "demo"})
    assert answer.status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize("shared", [False, True], ids=["in-process state", "--state redis"])
def test_served_requests_that_wait_answer_200(shared):
    """``mockserver serve`` on the Python running the tests (CI runs them on 3.10 too): with
    ``--latency``, a latency fault, and a shared journal whose answers wait for their record."""
    with contextlib.ExitStack() as stack:
        flags = ["--latency", "10"]
        if shared:
            if redis_binary() is None:
                pytest.skip(MISSING)
            flags += ["--state", stack.enter_context(RedisServer()).url]
        served = stack.enter_context(MockProcess(*flags))
        with httpx.Client(base_url=served.url, headers={"program-id": "demo"}) as http:
            assert http.get("/segments").status_code == 200
            fault = "/__mockserver/faults/actionhub/get_segments_segments_get"
            assert http.put(fault, json={"latency": "5"}).status_code == 200
            assert http.get("/segments").status_code == 200
