"""A default-mode live server per module, its canonical answers, and a raw-socket client."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bench.workload import BenchRequest, Workload
from mockserver.testing import LiveServer
from tests.harness import live_server

#: No case may take longer than this to be answered: a hang fails the test, never blocks it.
TIMEOUT = 10.0
#: Headers that vary with the clock by nature (SendGrid's reset is the end of the current minute).
VOLATILE = {"date", "server", "x-ratelimit-reset"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def snapshot(url: str, requests: list[BenchRequest]) -> dict[str, tuple]:
    """Status, stable headers and body bytes of each request."""
    found = {}
    with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
        for req in requests:
            reply = http.request(req.method, req.target, headers=dict(req.headers))
            headers = sorted((k, v) for k, v in reply.headers.items() if k not in VOLATILE)
            found[req.target] = (reply.status_code, headers, reply.content)
    return found


class RawClient:
    """Speaks bytes to the server; parses the answer with the stdlib's HTTP parser."""

    def __init__(self, port: int) -> None:
        self.port = port

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)

    def read(self, sock: socket.socket, method: str = "GET") -> Answer:
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers, response.read())

    def exchange(self, raw: bytes, method: str = "GET") -> Answer:
        with self.connect() as sock:
            sock.sendall(raw)
            return self.read(sock, method)


def request_bytes(
    method: str, target: bytes, *headers: bytes, body: bytes = b"", host: bool = True
) -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1"]
    lines += [b"Host: 127.0.0.1"] if host else []
    lines += list(headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """The default mode, as ``mockserver serve`` runs it."""
    with live_server() as live:
        yield live


@pytest.fixture(scope="module")
def canonical_requests(server: LiveServer) -> list[BenchRequest]:
    """One valid request per operation of every spec (bench/workload.py's table)."""
    return Workload(server.url).requests()


@pytest.fixture(scope="module")
def canonical(server: LiveServer, canonical_requests: list[BenchRequest]) -> dict[str, tuple]:
    return snapshot(server.url, canonical_requests)


@pytest.fixture()
def raw(server: LiveServer) -> RawClient:
    return RawClient(int(server.url.rsplit(":", 1)[1]))
