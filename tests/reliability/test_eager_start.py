"""Eager request starts (``GuardedHttpTools._start_asgi_task``): with few connections open, a
request the app names (``eager_for``) whose answer never waits is written while the request is
being read, without a task; an answer that waits goes on as a task, gets what it waited for,
and can be cancelled; any other request, and every request with many connections open, is a
task, as uvicorn makes it. Through a whole server: the control plane (anyio's threadpool needs
a running task) answers beside eagerly answered operations."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from uvicorn.server import ServerState

from mockserver.config import ServeConfig
from mockserver.server import EAGER_UP_TO, uvicorn_settings
from tests.conftest import JSON

REQUEST = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#: A request the app does not say it answers at once (it might need a running task).
OTHER = b"GET /y HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
LENGTH = [(b"content-length", b"3")]


class Transport(asyncio.Transport):
    """Keeps what is written; never blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        peers = {"sockname": ("127.0.0.1", 4010), "peername": ("127.0.0.1", 50000)}
        return peers.get(name, default)

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None


async def at_once(scope: dict, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": LENGTH})
    await send({"type": "http.response.body", "body": b"now"})


def waiting(gate: asyncio.Future, seen: list[str] | None = None) -> Any:
    async def app(scope: dict, receive: Any, send: Any) -> None:
        try:
            body = await gate
        except asyncio.CancelledError:
            (seen if seen is not None else []).append("cancelled")
            raise
        await send({"type": "http.response.start", "status": 200, "headers": LENGTH})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture()
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def connect(loop: asyncio.AbstractEventLoop, app: Any, others: int = 0) -> tuple[Any, Transport]:
    """A connection of the mock's protocol to ``app``, with ``others`` connections open."""
    settings = uvicorn_settings(ServeConfig(), eager_for=lambda scope: scope["path"] == "/x")
    protocol_class = settings.pop("http")
    config = uvicorn.Config(app, log_level="warning", lifespan="off", **settings)
    config.load()
    state = ServerState()
    state.connections.update(object() for _ in range(others))
    protocol = protocol_class(config=config, server_state=state, app_state={}, _loop=loop)
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


def close(loop: asyncio.AbstractEventLoop, protocol: Any) -> None:
    protocol.connection_lost(None)
    loop.run_until_complete(asyncio.sleep(0))


def test_an_answer_that_never_waits_is_written_while_the_request_is_read(loop):
    protocol, transport = connect(loop, at_once)
    protocol.data_received(REQUEST)  # no loop turn in between
    assert transport.written.startswith(b"HTTP/1.1 200 OK") and transport.written.endswith(b"now")
    assert not protocol.tasks
    protocol.data_received(REQUEST)  # the connection stays usable: keep-alive
    assert transport.written.count(b"HTTP/1.1 200 OK") == 2
    close(loop, protocol)


def test_an_answer_that_waits_goes_on_as_a_task(loop):
    gate: asyncio.Future = loop.create_future()
    protocol, transport = connect(loop, waiting(gate))
    protocol.data_received(REQUEST)
    assert transport.written == b"" and len(protocol.tasks) == 1
    gate.set_result(b"yes")
    loop.run_until_complete(asyncio.gather(*protocol.tasks))
    assert transport.written.endswith(b"yes") and not protocol.tasks
    close(loop, protocol)


def test_requests_waiting_for_one_future_all_get_it(loop):
    """A shared journal's batch: every request started eagerly awaits the same future."""
    gate: asyncio.Future = loop.create_future()
    connections = [connect(loop, waiting(gate)) for _ in range(4)]
    for protocol, _ in connections[:3]:
        protocol.data_received(REQUEST)
    loop.run_until_complete(asyncio.sleep(0))  # the tasks' first steps, before the gate opens
    connections[3][0].data_received(REQUEST)  # and one more after them
    pending = [task for protocol, _ in connections for task in protocol.tasks]
    assert len(pending) == 4
    gate.set_result(b"yes")
    loop.run_until_complete(asyncio.gather(*pending))
    for protocol, transport in connections:
        assert transport.written.startswith(b"HTTP/1.1 200 OK") and transport.written.endswith(
            b"yes"
        )
        close(loop, protocol)


def test_a_waiting_answer_can_be_cancelled(loop):
    gate: asyncio.Future = loop.create_future()
    seen: list[str] = []
    protocol, _ = connect(loop, waiting(gate, seen))
    protocol.data_received(REQUEST)
    (task,) = protocol.tasks
    task.cancel()  # before the task's first step
    loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    assert task.done() and seen == ["cancelled"]  # it reached the app's await
    close(loop, protocol)


@pytest.mark.parametrize(
    ("request_bytes", "others"),
    [(OTHER, 0), (REQUEST, EAGER_UP_TO)],
    ids=["a request the app does not name", "many connections open"],
)
def test_these_requests_are_tasks(loop, request_bytes, others):
    protocol, transport = connect(loop, at_once, others=others)
    protocol.data_received(request_bytes)
    assert transport.written == b"" and len(protocol.tasks) == 1
    loop.run_until_complete(asyncio.gather(*protocol.tasks))
    assert transport.written.endswith(b"now")
    close(loop, protocol)


def test_the_control_plane_answers_beside_eager_operations(server):
    """Its endpoints need a running task; the spec operations start eagerly."""
    with httpx.Client(base_url=server.url) as http:
        assert server.app.answers_at_once({"type": "http", "path": "/segments", "headers": []})
        assert not server.app.answers_at_once(
            {"type": "http", "path": "/__mockserver/reset", "headers": []}
        )
        for _ in range(3):
            assert http.get("/segments", headers={"program-id": "demo"}).status_code == 200
            assert http.post("/__mockserver/reset", headers=JSON).status_code == 200
