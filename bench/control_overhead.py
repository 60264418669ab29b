"""Cost of the control plane on the request path, and of reset / data load.

Calls the ASGI app in-process (no sockets), so the figures isolate the app's own work:
- router only (no middleware) vs the full app (journal + CORS + Starlette's middleware);
- with a Prefer header, with a scenario set on another operation, with an idle fault set;
- POST /__mockserver/reset and PUT /__mockserver/data/sendgrid (seed world document).

Usage: .venv/bin/python bench/control_overhead.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import yaml
from asgi import http_scope
from starlette.applications import Starlette

from mockserver.app import MockServer
from mockserver.config import ServeConfig
from mockserver.control import actions, control_middleware
from mockserver.resources import bundled_dir
from mockserver.scenarios import Fault, Preference, Scenario

KEY = b"Bearer SG." + b"a" * 22 + b"." + b"b" * 43
PATH = "/v3/marketing/segments"


async def per_request_us(app: Any, headers: list[tuple[bytes, bytes]], count: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    status = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    for _ in range(200):  # warm caches
        await app(http_scope(PATH, headers), receive, send)
    started = time.perf_counter()
    for _ in range(count):
        await app(http_scope(PATH, headers), receive, send)
    elapsed = time.perf_counter() - started
    assert set(status) == {200}, set(status)
    return elapsed / count * 1e6


def measure(app: Any, headers: list[tuple[bytes, bytes]], count: int, runs: int = 5) -> float:
    """Best of ``runs``: the machine is shared, the minimum is the least disturbed figure."""
    return min(asyncio.run(per_request_us(app, headers, count)) for _ in range(runs))


def timed(action, runs: int = 3) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--requests", type=int, default=20000)
    count = args.parse_args().requests
    server = MockServer(ServeConfig(apis=("sendgrid",)))
    auth = [(b"authorization", KEY)]
    bare = Starlette(routes=server.app.routes)
    journal_only = Starlette(routes=server.app.routes, middleware=control_middleware(server)[:1])
    rows = [
        ("router only, no middleware", measure(server.app.router, auth, count)),
        ("Starlette app, no user middleware", measure(bare, auth, count)),
        ("Starlette app + journal middleware", measure(journal_only, auth, count)),
        ("full app: journal + CORS (default)", measure(server.app, auth, count)),
        (
            "full app, Prefer: example=documented",
            measure(server.app, [*auth, (b"prefer", b"example=documented")], count),
        ),
    ]
    server.controls.set_scenario(("sendgrid", "GetSegment"), Scenario(Preference(code=404)))
    server.controls.set_fault(("sendgrid", "GetSegment"), Fault(error_rate=0.5))
    rows.append(
        ("full app, scenario + fault on another operation", measure(server.app, auth, count))
    )
    actions.clear_controls(server)
    world = bundled_dir("fixtures") / "sendgrid" / "world.yaml"
    document = yaml.safe_load(world.read_text()) if world.is_file() else None
    print(f"{'case':52} {'us/request':>10}")
    for name, value in rows:
        print(f"{name:52} {value:10.1f}")
    how = "fresh()" if hasattr(server.seed_backends["sendgrid"], "fresh") else "rebuild"
    reset_ms = timed(lambda: actions.reset(server))
    print(f"{'POST /__mockserver/reset (' + how + ')':52} {reset_ms:8.1f} ms")
    if document is not None:
        print(
            f"{'PUT data/sendgrid (seed world)':52} "
            f"{timed(lambda: actions.load_data(server, 'sendgrid', document)):8.0f} ms"
        )
    print(f"journal entries kept: {len(server.journal)} (bounded at {server.journal.size})")


if __name__ == "__main__":
    main()
