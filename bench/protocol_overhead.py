"""Per-request cost of the hardened server protocol, without sockets or the mock's own work.

Feeds keep-alive GET requests (eight ordinary headers) to uvicorn's httptools protocol with a
no-op app, through a stub transport, and reports microseconds per request for:
- uvicorn's defaults (``HttpToolsProtocol``, proxy headers on: ``ProxyHeadersMiddleware``),
- mockserver's settings (``GuardedHttpTools``: header-size check, head counter, journal size
  in the scope; proxy headers off unless ``--trust-proxy``).

Usage: .venv/bin/python bench/protocol_overhead.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import uvicorn
from asgi import StubTransport
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from mockserver.config import ServeConfig
from mockserver.server import uvicorn_settings

REQUEST = (
    b"GET /v3/marketing/segments HTTP/1.1\r\nHost: 127.0.0.1:4010\r\nUser-Agent: bench/1.0\r\n"
    b"Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n"
    b"Authorization: Bearer SG.aaaaaaaaaaaaaaaaaaaaaa."
    b"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"
    b"Prefer: example=default\r\nX-Request-Id: 0123456789abcdef\r\n\r\n"
)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def per_request_us(protocol_class: type, settings: dict[str, Any], count: int) -> float:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", **settings)
    config.load()
    state = ServerState()
    protocol = protocol_class(config=config, server_state=state, app_state={}, _loop=loop)
    protocol.connection_made(StubTransport())

    async def drain() -> None:
        while state.tasks:
            await asyncio.gather(*list(state.tasks))

    for _ in range(500):  # warm up
        protocol.data_received(REQUEST)
        loop.run_until_complete(drain())
    started = time.perf_counter()
    for _ in range(count):
        protocol.data_received(REQUEST)
        loop.run_until_complete(drain())
    elapsed = time.perf_counter() - started
    protocol._unset_keepalive_if_required()
    loop.close()
    return elapsed / count * 1e6


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--requests", type=int, default=20000)
    args.add_argument("--runs", type=int, default=5)
    options = args.parse_args()
    count, runs = options.requests, options.runs
    ours = uvicorn_settings(ServeConfig())
    guarded = ours.pop("http")
    proxy_on = {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
    cases = [
        ("uvicorn defaults: HttpToolsProtocol, proxy headers on", HttpToolsProtocol, {}),
        (
            "HttpToolsProtocol, proxy headers off",
            HttpToolsProtocol,
            {**ours, "proxy_headers": False},
        ),
        ("GuardedHttpTools, proxy headers on", guarded, {**ours, **proxy_on}),
        ("mockserver: GuardedHttpTools, proxy headers off", guarded, ours),
    ]
    print(f"{'case':56} {'us/request':>10}")
    for name, protocol_class, settings in cases:
        best = min(per_request_us(protocol_class, settings, count) for _ in range(runs))
        print(f"{name:56} {best:10.2f}")


if __name__ == "__main__":
    main()
