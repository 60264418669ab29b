"""Local stand-ins for a real deployment, and the proxy in front of them (all on loopback)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockserver.reality.options import ProxyOptions
from mockserver.reality.proxy import build_proxy
from mockserver.testing import LiveServer, ThreadedServer
from tests.conftest import AUTH
from tests.harness import live_asgi, live_server, mock_app
from tests.reality.drift_app import SEGMENTS, DriftingApp, actionhub_drifts, sendgrid_drifts


@dataclass(frozen=True)
class Segments:
    """Ids of the seed-0 SendGrid world the drifting app treats specially, and a plain one."""

    renamed: str
    echo: str
    crash: str
    plain: str
    named: str


@pytest.fixture(scope="session")
def live_upstream() -> Iterator[LiveServer]:
    """A conforming deployment: the bundled mock, both APIs, seed 0."""
    with live_server(cors_origins=()) as server:
        yield server


@pytest.fixture(scope="session")
def segments(live_upstream: LiveServer) -> Segments:
    results = httpx.get(live_upstream.url + SEGMENTS, headers=AUTH).json()["results"]
    return Segments(*(result["id"] for result in results[:5]))


@pytest.fixture(scope="session")
def live_drifting(segments: Segments) -> Iterator[ThreadedServer]:
    """A deployment with every planted drift (see drift_app.py)."""
    drifts = sendgrid_drifts(segments.renamed, segments.echo, segments.crash, segments.named)
    drifts += actionhub_drifts()
    app = DriftingApp(mock_app(cors_origins=()), drifts)
    with live_asgi(app) as server:
        yield server


def proxy_app(api: str, upstream_url: str, **options: Any):
    plane = mock_app(apis=(api,), cors_origins=(), proxy_upstream=upstream_url.rstrip("/"))
    return build_proxy(ProxyOptions(api=api, upstream=upstream_url, **options), plane)


@contextmanager
def running_proxy(api: str, upstream_url: str, **options: Any) -> Iterator[ThreadedServer]:
    """``mockserver proxy`` in this process: uvicorn as the CLI runs it (lifespan on, no
    ``Server``/``Date`` headers of its own)."""
    app = proxy_app(api, upstream_url, **options)
    with live_asgi(app, lifespan="on", server_header=False, date_header=False) as server:
        yield server


class StallingServer:
    """Accepts connections and then either says nothing (``reply=None``) or sends ``reply``
    bytes that are not HTTP; released at exit."""

    def __init__(self, reply: bytes | None = None) -> None:
        self.reply = reply
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._open: list[socket.socket] = []

    def _serve(self) -> None:
        self._socket.settimeout(0.05)
        while not self._done.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            self._open.append(connection)
            if self.reply is not None:
                connection.recv(65536)
                connection.sendall(self.reply)
                connection.close()

    def __enter__(self) -> StallingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        for connection in self._open:
            connection.close()
        self._socket.close()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (bound, never listening: connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


async def echo_app(scope, receive, send) -> None:
    """Echoes what reached it: method, raw path, query bytes, headers and body, as JSON."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    import orjson

    echoed = orjson.dumps(
        {
            "method": scope["method"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in scope["headers"]],
            "body": body.decode("latin-1"),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"x-upstream", b"echo")],
        }
    )
    await send({"type": "http.response.body", "body": echoed})
