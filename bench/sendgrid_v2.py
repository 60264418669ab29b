"""SendGrid Segmentation v2: what a write cycle and a refresh cost, the ASGI app called directly.

Measures
1. create -> get -> delete of a v2 segment on the default world (the write log in process):
   microseconds per cycle and per request;
2. on a world of ``--contacts`` (default 200,000): the contact store v2 queries run on, built
   once per data version (in a thread once a segment is created), then a manual refresh and the
   read that evaluates it, for a contact-field query and an event join;
3. a v1 read (list, get by id) with no writes and after one v1 delete (the memo's epoch and the
   filtered answers).

Usage: .venv/bin/python bench/sendgrid_v2.py [--contacts 200000] [--cycles 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import orjson
from asgi import http_scope

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig

KEY = b"Bearer SG." + b"a" * 22 + b"." + b"b" * 43
V2 = "/v3/marketing/segments/2.0"
QUERIES = {
    "contact fields": "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'",
    "event join": (
        "SELECT c.contact_id, c.updated_at FROM contact_data AS c INNER JOIN event_data AS e"
        " ON c.contact_id = e.contact_id WHERE e.event_type = 'opened'"
        " AND e.event_timestamp >= NOW() - INTERVAL 30 DAY"
    ),
}


async def call(app: MockApp, method: str, url: str, body: Any = None) -> tuple[int, bytes]:
    """One request to the ASGI app: ``(status, body)``."""
    scope = http_scope(url, [(b"authorization", KEY), (b"content-type", b"application/json")])
    scope["method"] = method
    payload = b"" if body is None else orjson.dumps(body)
    sent = False
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        else:
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


async def cycles(app: MockApp, count: int) -> float:
    """Microseconds per create -> get -> delete cycle."""
    started = time.perf_counter()
    for i in range(count):
        created = {"name": f"bench {i}", "query_dsl": QUERIES["contact fields"]}
        status, body = await call(app, "POST", V2, created)
        assert status == 201, body
        segment = orjson.loads(body)["id"]
        status, _ = await call(app, "GET", f"{V2}/{segment}")
        assert status == 200
        status, _ = await call(app, "DELETE", f"{V2}/{segment}")
        assert status == 202
    return (time.perf_counter() - started) / count * 1e6


async def refresh(app: MockApp, name: str, query: str) -> dict[str, float]:
    status, body = await call(app, "POST", V2, {"name": name, "query_dsl": query})
    assert status == 201, body
    segment = orjson.loads(body)["id"]
    started = time.perf_counter()
    status, _ = await call(app, "POST", f"{V2}/refresh/{segment}", {"user_time_zone": "UTC"})
    assert status == 202
    accepted = time.perf_counter() - started
    started = time.perf_counter()
    status, body = await call(app, "GET", f"{V2}/{segment}")
    evaluated = time.perf_counter() - started
    found = orjson.loads(body)
    assert found["status"]["query_validation"] == "VALID", found["status"]
    return {"202 ms": accepted * 1e3, "read (evaluates) ms": evaluated * 1e3,
            "members": found["contacts_count"]}  # fmt: skip


async def v1_reads(app: MockApp, runs: int = 2000) -> dict[str, float]:
    _, body = await call(app, "GET", "/v3/marketing/segments")
    first = orjson.loads(body)["results"][0]["id"]

    async def per_request(url: str) -> float:
        started = time.perf_counter()
        for _ in range(runs):
            await call(app, "GET", url)
        return (time.perf_counter() - started) / runs * 1e6

    found = {"list µs": await per_request("/v3/marketing/segments"),
             "get µs": await per_request(f"/v3/marketing/segments/{first}")}  # fmt: skip
    second = orjson.loads(body)["results"][1]["id"]
    assert (await call(app, "DELETE", f"/v3/marketing/segments/{second}"))[0] == 202
    found["list after a delete µs"] = await per_request("/v3/marketing/segments")
    found["get after a delete µs"] = await per_request(f"/v3/marketing/segments/{first}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--cycles", type=int, default=300)
    args = parser.parse_args()

    app = build_app(ServeConfig(apis=("sendgrid",)))
    runs = [asyncio.run(cycles(app, args.cycles)) for _ in range(3)]
    print(f"default world: create -> get -> delete {statistics.median(runs):.0f} µs per cycle")
    print(
        "default world, v1 reads:", {k: round(v, 1) for k, v in asyncio.run(v1_reads(app)).items()}
    )

    started = time.perf_counter()
    big = build_app(
        ServeConfig(apis=("sendgrid",), vendor_options={"sendgrid": {"contacts": args.contacts}})
    )
    print(f"{args.contacts} contacts: world built in {time.perf_counter() - started:.1f} s")
    engine = big.runtimes["sendgrid"].backend.stateful.engine
    started = time.perf_counter()
    engine.ensure_store()  # what the thread a first create starts does
    print(
        f"{args.contacts} contacts: v2 query store built in {time.perf_counter() - started:.1f} s"
    )
    for name, query in QUERIES.items():
        print(
            f"{args.contacts} contacts, refresh ({name}):", asyncio.run(refresh(big, name, query))
        )


if __name__ == "__main__":
    main()
