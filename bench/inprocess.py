"""The mock against bare Starlette through uvicorn's HTTP protocol, in process: CPU per request
with no socket, no kernel and no neighbour.

bench/load.py measures served CPU per request, where the kernel's copies and the loop's polling
count and a loaded machine moves a cell by 10-20 %. Here each request is fed to the protocol
(the mock: ``GuardedHttpTools`` with its settings; the baseline: ``HttpToolsProtocol`` with
bench/baseline_app.py on the bytes captured from the mock) through a stub transport whose write
does nothing, one keep-alive connection on uvloop, and the thread's CPU time is taken per
request: the two servers' own work - uvicorn's parser and ASGI cycle, the app. Rounds alternate
the two; a cell is the best round (still moved ~1 µs by neighbours sharing the core's caches).

``--writes``: the rows of bench/writes.py instead (the baseline parses the same JSON body), the
mock reset and its fixture made again before each of its rounds; a pair's delete names the id
its create answered.

Usage: .venv/bin/python bench/inprocess.py [--only GetSegment ListSegment] [--requests 5000]
       .venv/bin/python bench/inprocess.py --writes [--only UpdateList] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from asgi import StubTransport
from baseline_app import build_app as build_baseline
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState
from workload import BenchRequest, Workload
from writes import HEADERS, ID, ROWS, Fixture, Send, WriteRow, make_fixture
from writes import capture as capture_writes
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
    return raw(req.method, req.target, req.headers)


def constant(request: bytes) -> Callable[[Fed], bytes]:
    return lambda fed: request


def raw(method: str, target: str, headers: Any, body: bytes = b"") -> bytes:
    head = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1:4010", "User-Agent: bench"]
    head += [f"{name}: {value}" for name, value in headers]
    if body:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


CREATED_ID = re.compile(rb'"id":"([^"]+)"')


def write_requests(row: WriteRow, fixture: Fixture, sink: Sink) -> Iterator[bytes]:
    """``row``'s requests, endlessly: a pair alternates a create (a name of its own) and the
    delete of the id that create answered (the last answer ``sink`` saw)."""
    sends = row.sends(fixture)
    if row.kind != "pair":
        yield from itertools.repeat(_raw_send(sends[0]))
    create, delete = sends
    for n in itertools.count(1):
        yield raw(create.method, create.target, HEADERS, create.payload(n))
        found = CREATED_ID.search(sink.last)
        made = found.group(1).decode() if found else "00000000-0000-4000-8000-000000000000"
        yield raw(delete.method, delete.target.replace(ID, made), HEADERS)


def _raw_send(send: Send) -> bytes:
    return raw(send.method, send.target, HEADERS, send.payload())


class Sink(StubTransport):
    """Forgets what is written but the last write and the statuses answered: a run writes
    megabytes of answers."""

    def __init__(self) -> None:
        super().__init__()
        self.last = b""
        self.statuses: set[int] = set()

    def write(self, data: bytes) -> None:
        self.last = data
        if data.startswith(b"HTTP/1.1 "):
            self.statuses.add(int(data[9:12]))


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
        self.sink = Sink()
        self.protocol.connection_made(self.sink)

    def cpu_us(self, request: bytes | Iterator[bytes], count: int) -> float:
        """Thread CPU µs per request over ``count`` requests (after 200 to warm up)."""
        requests = itertools.repeat(request) if isinstance(request, bytes) else request
        self.loop.run_until_complete(self.serve(requests, 200))
        started = time.thread_time()
        self.loop.run_until_complete(self.serve(requests, count))
        return (time.thread_time() - started) / count * 1e6

    async def serve(self, requests: Iterator[bytes], count: int) -> None:
        """``count`` requests one after the other, as a keep-alive client sends them: each fed
        once the previous one's task is done (the loop turned meanwhile, as when served)."""
        for request in itertools.islice(requests, count):
            self.protocol.data_received(request)
            while self.state.tasks:
                await asyncio.sleep(0)


def interleaved(
    cells: list[tuple[str, Callable[[Fed], bytes | Iterator[bytes]]]],
    mock: Fed,
    base: Fed,
    count: int,
    rounds: int,
    before_mock: Callable[[], None] = lambda: None,
    after: Callable[[str, Fed], None] = lambda name, fed: None,
) -> None:
    """Each cell's ``rounds`` rounds, the two servers alternating first (``before_mock`` runs
    before each of the mock's, ``after`` after each); print the best."""
    print(f"{'operation':34} {'mock µs':>8} {'bare µs':>8} {'bare / mock':>11}")
    for name, requests in cells:
        found: dict[str, list[float]] = {"mock": [], "base": []}
        for round_ in range(rounds):
            order = (("mock", mock), ("base", base))
            for side, fed in order if round_ % 2 == 0 else order[::-1]:
                if fed is mock:
                    before_mock()
                found[side].append(fed.cpu_us(requests(fed), count))
                after(name, fed)
        m, b = min(found["mock"]), min(found["base"])
        print(f"{name:34} {m:8.2f} {b:8.2f} {b / m:10.2f}x", flush=True)


def baseline_of(entries: list[dict]) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        captured = Path(folder) / "captured.json"
        captured.write_text(json.dumps(entries))
        return build_baseline(captured)


def fed_pair(config: ServeConfig, app: Any, entries: list[dict]) -> tuple[Fed, Fed]:
    settings = uvicorn_settings(config)
    mock = Fed(app, settings.pop("http"), settings)
    return mock, Fed(baseline_of(entries), HttpToolsProtocol, {"proxy_headers": False})


def writes(args: argparse.Namespace) -> None:
    """The write rows: the mock reset and its fixture made before each of its rounds."""
    config = ServeConfig()
    rows = [r for r in ROWS if not args.only or r.name in args.only]
    with LiveServer(config) as server:
        url = server.url
        entries, captured = capture_writes(url, rows)
        mock, base = fed_pair(config, server.app, entries)
        fixtures: dict[str, Fixture] = {}

        def fresh() -> None:
            fixtures["mock"] = make_fixture(url)

        def sends(row: WriteRow) -> Callable[[Fed], Iterator[bytes]]:
            def requests(fed: Fed) -> Iterator[bytes]:
                fixture = fixtures["mock"] if fed is mock else captured
                return write_requests(row, fixture, fed.sink)

            return requests

        def checked(name: str, fed: Fed) -> None:
            """Every status of the round is one the row expects (a failed write is not the
            write measured)."""
            wrong = fed.sink.statuses - next(r.expect for r in rows if r.name == name)
            if wrong:
                raise SystemExit(f"{name}: answered {sorted(wrong)}")
            fed.sink.statuses.clear()

        cells = [(row.name, sends(row)) for row in rows]
        interleaved(cells, mock, base, args.requests, args.rounds, fresh, checked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these reads (rows)")
    parser.add_argument("--requests", type=int, help="per round (5000; 2000 with --writes)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (5)")
    parser.add_argument("--writes", action="store_true", help="the rows of bench/writes.py")
    args = parser.parse_args()
    if args.writes:
        # A round must append fewer than the write log's 20,000 entries.
        args.requests = min(args.requests or 2000, 15_000)
        return writes(args)
    config = ServeConfig()
    with LiveServer(config) as server:
        requests = Workload(server.url).requests()
        requests = [r for r in requests if not args.only or r.name in args.only]
        entries = capture(server.url, requests)
        mock_app = server.app
    mock, base = fed_pair(config, mock_app, entries)
    cells = [(req.name, constant(raw_request(req))) for req in requests]
    interleaved(cells, mock, base, args.requests or 5000, args.rounds)


if __name__ == "__main__":
    main()
