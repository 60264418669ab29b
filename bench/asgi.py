"""Stand-ins for benchmarks and tests that drive an app or a server protocol directly, with no
client or socket: an ASGI HTTP scope, and a stub transport."""

from __future__ import annotations

import asyncio
from typing import Any


def http_scope(url: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The scope of ``GET url`` (path and query string) carrying ``headers`` after ``host``."""
    path, _, query = url.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 4010),
    }


class StubTransport(asyncio.Transport):
    """Keeps what is written; never blocks; closing it does not tell the protocol (a real
    transport does so a loop turn later)."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
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
