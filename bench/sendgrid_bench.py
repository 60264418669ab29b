"""SendGrid segments: build times, membership computed once, throughput vs a bare Starlette app.

Measures
1. the default world built (fixtures loaded, 2,000 contacts generated, every membership
   computed by SQLite, every answer serialized): first build in the process and warm;
2. a world of ``--contacts`` (default 200,000) contacts built;
3. that requests never evaluate a query: SQLite runs during the build only;
4. list / get-by-id throughput of the mock app vs a bare Starlette app returning the same
   bytes and X-RateLimit-* headers, measured the same way for both: through
   ``httpx.ASGITransport`` (the target's method), and with the ASGI app called directly (no
   client at all: the strictest comparison), whole (with the control plane's journal and CORS
   middleware) and router only (the engine's pipeline and the vendor, no middleware);
5. the vendor's own share: ``authorize`` + the handler, called directly.

Usage: .venv/bin/python bench/sendgrid_bench.py [--contacts 200000] [--requests 3000] [--runs 7]
       [--build-only]    (1 and 2 only, with resident memory after the build and its peak)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from asgi import http_scope
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.resources import bundled_dir
from mockserver.state.ledger import Ledger, MemoryWriteLog
from mockserver.state.memory import MemoryWindows
from mockserver.vendors.interface import Call, VendorOptions
from mockserver.vendors.sendgrid import VENDOR
from mockserver.vendors.sendgrid.store import ContactStore

KEY = "SG." + "a" * 22 + "." + "b" * 43
SEGMENTS = "/v3/marketing/segments"


def memory_mb() -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak) of this process, in MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def build(contacts: int | None = None) -> Any:
    extra = {} if contacts is None else {"contacts": contacts}
    return VENDOR.build(
        VendorOptions(
            windows=MemoryWindows(),
            writes=Ledger(MemoryWriteLog()),
            seed=0,
            fixtures_dir=bundled_dir("fixtures"),
            extra=extra,
        )
    )


class QueryCounter:
    """Counts the segment and list queries evaluated (``ContactStore.members_of``, the only
    way the catalog runs them) and the SQLite statements that ran them (``_rows``). On a
    version without ``members_of`` (before issue 15) each ``members`` call is one of each."""

    def __init__(self) -> None:
        self.calls = 0
        self.statements = 0
        self.names = [n for n in ("members_of", "_rows") if hasattr(ContactStore, n)] or ["members"]
        self.originals = {name: getattr(ContactStore, name) for name in self.names}

    def __enter__(self) -> QueryCounter:
        def counting(name: str, original: Any) -> Any:
            def counted(store: ContactStore, argument: Any) -> Any:
                if name in ("members_of", "members"):
                    self.calls += len(argument) if name == "members_of" else 1
                if name in ("_rows", "members"):
                    self.statements += 1
                return original(store, argument)

            return counted

        for name, original in self.originals.items():
            setattr(ContactStore, name, counting(name, original))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self.originals.items():
            setattr(ContactStore, name, original)


def baseline_app(mock: MockApp) -> Starlette:
    """Bare Starlette: the mock's bytes and rate-limit headers, by path and query, prebuilt."""
    backend = mock.runtimes["sendgrid"].backend
    headers = dict(backend.limiter.headers(KEY))
    catalog = backend.catalog
    lists = {
        b"": catalog.all_bytes,
        b"no_parent_list_id=true": mock_body(mock, SEGMENTS + "?no_parent_list_id=true"),
    }
    full = {s.id: (s.full_bytes, s.full_with_query_bytes) for s in catalog.segments}

    async def list_segments(request: Request) -> Response:
        body = lists[request.scope["query_string"]]
        return Response(body, media_type="application/json", headers=headers)

    async def get_segment(request: Request) -> Response:
        plain, with_query = full[request.path_params["segment_id"]]
        body = with_query if request.scope["query_string"] else plain
        return Response(body, media_type="application/json", headers=headers)

    return Starlette(
        routes=[
            Route(SEGMENTS, list_segments),
            Route(SEGMENTS + "/{segment_id}", get_segment),
        ]
    )


def mock_body(mock: MockApp, url: str) -> bytes:
    async def fetch() -> bytes:
        transport = httpx.ASGITransport(app=mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            response = await client.get(url, headers={"Authorization": f"Bearer {KEY}"})
            assert response.status_code == 200, response.text
            return response.content

    return asyncio.run(fetch())


async def raw_asgi_us(app: Any, urls: list[str], count: int) -> float:
    """Microseconds per request, calling the ASGI app directly (no client, no sockets)."""
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scopes = [http_scope(url, [(b"authorization", f"Bearer {KEY}".encode())]) for url in urls]
    for item in scopes:
        await app(dict(item), receive, send)
    started = time.perf_counter()
    for i in range(count):
        await app(dict(scopes[i % len(scopes)]), receive, send)
    elapsed = time.perf_counter() - started
    assert set(statuses) == {200}, set(statuses)
    return elapsed / count * 1e6


async def httpx_us(app: Any, urls: list[str], count: int) -> float:
    """Microseconds per request through ``httpx.ASGITransport`` (client cost included)."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for url in urls:
            assert (await client.get(url, headers=headers)).status_code == 200
        started = time.perf_counter()
        for i in range(count):
            await client.get(urls[i % len(urls)], headers=headers)
        return (time.perf_counter() - started) / count * 1e6


def paired(
    measure: Callable[..., Any], mock: Any, bare: Any, urls: list[str], count: int, runs: int
) -> tuple[float, float]:
    """Best of ``runs`` for each app, measured alternately so both see the same machine load
    (it is shared: the minimum is the least disturbed figure)."""
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(asyncio.run(measure(mock, urls, count)))
        theirs.append(asyncio.run(measure(bare, urls, count)))
    return min(mine), min(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--build-only", action="store_true", help="world builds and memory only")
    args = parser.parse_args()

    first, _ = timed(build)
    warm = statistics.median(timed(build)[0] for _ in range(5))
    print(f"default world built: first in process {first * 1000:.0f} ms, warm {warm * 1000:.0f} ms")

    gc.collect()
    before, cpu = memory_mb()["VmRSS"], time.process_time()
    with QueryCounter() as counter:
        seconds, big = timed(lambda: build(args.contacts))
    cpu = time.process_time() - cpu
    catalog = big.catalog
    members = sum(len(s.members) for s in catalog.segments)
    after = memory_mb()
    print(
        f"{len(catalog.contacts):,} contacts built in {seconds:.2f} s (CPU {cpu:.2f} s, load "
        f"average {os.getloadavg()[0]:.1f}; {counter.calls} queries in {counter.statements} SQLite "
        f"statements, {members:,} memberships)"
    )
    print(
        f"resident memory: {before:.0f} MB before the build, {after['VmRSS']:.0f} MB after it; "
        f"peak {after['VmHWM']:.0f} MB"
    )
    if args.build_only:
        return
    del big, catalog
    gc.collect()

    mock = build_app(ServeConfig(apis=("sendgrid",)))
    segments = mock.runtimes["sendgrid"].backend.catalog.segments
    cases = {
        "list, no filter": [SEGMENTS],
        "list, no_parent_list_id=true": [SEGMENTS + "?no_parent_list_id=true"],
        "get by id": [f"{SEGMENTS}/{s.id}" for s in segments],
        "get by id, query_json=true": [f"{SEGMENTS}/{s.id}?query_json=true" for s in segments],
    }
    bare = baseline_app(mock)
    for url in (SEGMENTS, cases["get by id"][0], cases["get by id, query_json=true"][0]):
        assert mock_body(mock, url) == mock_body_of(bare, url), url
    with QueryCounter() as counter:
        print("\n| case | method | mock µs | bare Starlette µs | ratio |")
        print("| --- | --- | ---: | ---: | ---: |")
        methods = (
            ("httpx.ASGITransport", httpx_us, mock, bare, args.requests // 5),
            ("raw ASGI, whole app", raw_asgi_us, mock, bare, args.requests),
        )
        for name, urls in cases.items():
            for method, measure, mine_app, bare_app, count in methods:
                mine, theirs = paired(measure, mine_app, bare_app, urls, count, args.runs)
                print(f"| {name} | {method} | {mine:.1f} | {theirs:.1f} | {mine / theirs:.2f} |")
    print(
        f"\nqueries evaluated while answering those requests: {counter.calls} "
        f"({counter.statements} SQLite statements)"
    )
    print("\nthe vendor's own share (authorize + handler, called directly):")
    for name, call in vendor_calls(mock, segments[0].id).items():
        print(f"  {name}: {vendor_us(mock, call, args.requests * 10):.2f} µs")


def vendor_calls(mock: MockApp, segment_id: str) -> dict[str, Call]:
    spec = mock.runtimes["sendgrid"].spec
    listing, getting = spec.operation("ListSegment"), spec.operation("GetSegment")
    no_filter = {"ids": None, "parent_list_ids": None, "no_parent_list_id": False}
    return {
        "list, no filter": Call(listing, no_filter, {}, KEY),
        "list, no_parent_list_id=true": Call(
            listing, {**no_filter, "no_parent_list_id": True}, {}, KEY
        ),
        "get by id": Call(getting, {"segment_id": segment_id, "query_json": False}, {}, KEY),
    }


def vendor_us(mock: MockApp, call: Call, count: int) -> float:
    backend = mock.runtimes["sendgrid"].backend
    handler = backend.handlers[call.operation.operation_id]
    started = time.perf_counter()
    for _ in range(count):
        backend.authorize(call.operation, KEY)
        handler(call)
    return (time.perf_counter() - started) / count * 1e6


def mock_body_of(app: Starlette, url: str) -> bytes:
    async def fetch() -> bytes:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            return (await client.get(url)).content

    return asyncio.run(fetch())


if __name__ == "__main__":
    main()
