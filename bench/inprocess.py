"""The mock against bare Starlette through uvicorn's HTTP protocol, in process: CPU per request
with no socket, no kernel and no neighbour.

bench/load.py measures served CPU per request, where the kernel's copies and the loop's polling
count and a loaded machine moves a cell by 10-20 %. Here each request is fed to the protocol
(the mock: ``GuardedHttpTools`` with its settings; the baseline: ``HttpToolsProtocol`` with
bench/baseline_app.py on the bytes captured from the mock) through a stub transport whose write
does nothing, one keep-alive connection on uvloop, and the thread's CPU time is taken per
request: the two servers' own work - uvicorn's parser and ASGI cycle, the app. Rounds alternate
the two; a cell is the best round (still moved ~1 µs by neighbours sharing the core's caches).

Usage: .venv/bin/python bench/inprocess.py [--only GetSegment ListSegment] [--requests 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import uvicorn
from asgi import StubTransport
from baseline_app import build_app as build_baseline
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState
from workload import BenchRequest, Workload
from wrk import capture

from mockserver.config import ServeConfig
from mockserver.server import uvicorn_settings
from mockserver.testing import LiveServer


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's when installed, as uvicorn's ``loop="auto"`` serves on."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def raw_request(req: BenchRequest) -> bytes:
    head = [f"{req.method} {req.target} HTTP/1.1", "Host: 127.0.0.1:4010", "User-Agent: bench"]
    head += [f"{name}: {value}" for name, value in req.headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")


class Sink(StubTransport):
    """Forgets what is written: a run writes megabytes of answers."""

    def write(self, data: bytes) -> None:
        return None


class Fed:
    """One keep-alive connection of ``protocol_class`` serving ``app`` on a stub transport."""

    def __init__(self, app: Any, protocol_class: type, settings: dict[str, Any]) -> None:
        self.loop = new_event_loop()
        asyncio.set_event_loop(self.loop)
        config = uvicorn.Config(app, log_level="warning", lifespan="off", **settings)
        config.load()
        self.state = ServerState()
        self.protocol = protocol_class(
            config=config, server_state=self.state, app_state={}, _loop=self.loop
        )
        self.protocol.connection_made(Sink())

    def cpu_us(self, request: bytes, count: int) -> float:
        """Thread CPU µs per request over ``count`` requests (after 200 to warm up)."""
        self.loop.run_until_complete(self.serve(request, 200))
        started = time.thread_time()
        self.loop.run_until_complete(self.serve(request, count))
        return (time.thread_time() - started) / count * 1e6

    async def serve(self, request: bytes, count: int) -> None:
        """``count`` requests one after the other, as a keep-alive client sends them: each fed
        once the previous one's task is done (the loop turned meanwhile, as when served)."""
        for _ in range(count):
            self.protocol.data_received(request)
            while self.state.tasks:
                await asyncio.sleep(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="OPERATION_ID", help="only these reads")
    parser.add_argument("--requests", type=int, default=5000, help="per round (5000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (5)")
    args = parser.parse_args()
    config = ServeConfig()
    with LiveServer(config) as server:
        requests = Workload(server.url).requests()
        requests = [r for r in requests if not args.only or r.name in args.only]
        entries = capture(server.url, requests)
        mock_app = server.app
    with tempfile.TemporaryDirectory() as folder:
        captured = Path(folder) / "captured.json"
        captured.write_text(json.dumps(entries))
        baseline_app = build_baseline(captured)
    settings = uvicorn_settings(config)
    mock = Fed(mock_app, settings.pop("http"), settings)
    base = Fed(baseline_app, HttpToolsProtocol, {"proxy_headers": False})
    print(f"{'operation':28} {'mock µs':>8} {'bare µs':>8} {'bare / mock':>11}")
    for req in requests:
        raw = raw_request(req)
        found: dict[str, list[float]] = {"mock": [], "base": []}
        for round_ in range(args.rounds):
            order = (("mock", mock), ("base", base))
            for name, fed in order if round_ % 2 == 0 else order[::-1]:
                found[name].append(fed.cpu_us(raw, args.requests))
        m, b = min(found["mock"]), min(found["base"])
        print(f"{req.name:28} {m:8.2f} {b:8.2f} {b / m:10.2f}x", flush=True)


if __name__ == "__main__":
    main()
