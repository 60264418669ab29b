"""Cost of the control plane on the request path, and of reset / data load.

Calls the ASGI app in-process (no sockets), so the figures isolate the app's own work:
- the fast path (a spec operation, journal on) vs the slow path a request with ``Origin`` takes
  (journal and CORS middleware);
- with a Prefer header, with a scenario and a fault set on another operation;
- with a query parameter the operation does not declare (answered with a warning header);
- POST /__mockserver/reset and PUT /__mockserver/data/sendgrid (seed world document).

Usage: .venv/bin/python bench/control_overhead.py [--requests 20000] [--cpu]

``--cpu`` measures the thread's CPU time instead of the wall clock: on a shared machine it leaves
out the time the process waits for a core, so two versions compare within ~0.1 us.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import yaml
from asgi import http_scope

from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.control import actions
from mockserver.resources import bundled_dir

KEY = b"Bearer SG." + b"a" * 22 + b"." + b"b" * 43
PATH = "/v3/marketing/segments"
#: The clock per-request figures are taken with (``--cpu``: ``time.thread_time``).
CLOCK = {"clock": time.perf_counter}


async def per_request_us(
    app: Any, headers: list[tuple[bytes, bytes]], count: int, url: str = PATH
) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    status = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    for _ in range(200):  # warm caches
        await app(http_scope(url, headers), receive, send)
    clock = CLOCK["clock"]
    started = clock()
    for _ in range(count):
        await app(http_scope(url, headers), receive, send)
    elapsed = clock() - started
    assert set(status) == {200}, set(status)
    return elapsed / count * 1e6


def measure(
    app: Any, headers: list[tuple[bytes, bytes]], count: int, runs: int = 5, url: str = PATH
) -> float:
    """Best of ``runs``: the machine is shared, the minimum is the least disturbed figure."""
    return min(asyncio.run(per_request_us(app, headers, count, url)) for _ in range(runs))


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
    args.add_argument("--cpu", action="store_true", help="thread CPU time, not the wall clock")
    parsed = args.parse_args()
    count = parsed.requests
    if parsed.cpu:
        CLOCK["clock"] = time.thread_time
    app = build_app(ServeConfig(apis=("sendgrid",)))
    target = app.control
    auth = [(b"authorization", KEY)]
    rows = [
        ("fast path: journal on, CORS configured, no Origin", measure(app, auth, count)),
        (
            "slow path: Origin header (journal + CORS middleware)",
            measure(app, [*auth, (b"origin", b"http://app.test")], count),
        ),
        (
            "fast path, Prefer: example=empty",
            measure(app, [*auth, (b"prefer", b"example=empty")], count),
        ),
        (
            "fast path, unknown query parameter (ids[]=, warned)",
            measure(app, auth, count, url=f"{PATH}?ids[]=x"),
        ),
    ]
    actions.set_scenario(target, "sendgrid", "GetSegment", {"code": 404})
    actions.set_fault(target, {"error_rate": 0.5}, "sendgrid", "GetSegment")
    rows.append(("fast path, scenario + fault on another operation", measure(app, auth, count)))
    actions.clear_state(target)
    world = bundled_dir("fixtures") / "sendgrid" / "world.yaml"
    document = yaml.safe_load(world.read_text()) if world.is_file() else None
    print(f"{'case':56} {'us/request':>10}")
    for name, value in rows:
        print(f"{name:56} {value:10.1f}")
    print(
        f"{'POST /__mockserver/reset (swap the start-up version)':56} "
        f"{timed(lambda: actions.reset(target)):8.1f} ms"
    )
    if document is not None:
        print(
            f"{'PUT data/sendgrid (seed world)':56} "
            f"{timed(lambda: actions.load_data(target, 'sendgrid', document)):8.0f} ms"
        )
    journal = app.state.journal
    print(f"journal entries kept: {len(journal)} (bounded at {journal.size})")


if __name__ == "__main__":
    main()
