"""The answers that render contacts, called in process: the app's thread CPU per request.

Each renders contacts with their ``segment_ids`` (docs/PERFORMANCE.md, *Writes*): a search
(50 contacts), a lookup by email and by id (one), a contact's GET, a v2 segment's GET once
evaluated (its 50-contact sample) and a v1 segment's through the v2 API (its sample's
``segment_ids`` name v2 segments, and not the v1 segment deleted first). No server, no
socket: what the mock's own code costs.

Usage: .venv/bin/python bench/contact_reads.py [--requests 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import orjson
from sendgrid_v2 import V2, call

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig

CONTACTS = "/v3/marketing/contacts"
V1 = "/v3/marketing/segments"


async def requests(app: MockApp) -> dict[str, tuple[str, str, Any]]:
    """One request per row, on ids the mock's own lists give (a v2 segment created and
    evaluated, a v1 segment deleted first)."""
    _, body = await call(app, "POST", f"{CONTACTS}/search", {"query": "city = 'Austin'"})
    first = orjson.loads(body)["result"][0]
    query = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'"
    status, body = await call(app, "POST", V2, {"name": "bench", "query_dsl": query})
    assert status == 201, body
    created = orjson.loads(body)["id"]
    refresh = await call(app, "POST", f"{V2}/refresh/{created}", {"user_time_zone": "UTC"})
    assert refresh[0] == 202, refresh
    _, body = await call(app, "GET", V1)
    segments = [s["id"] for s in orjson.loads(body)["results"]]
    assert (await call(app, "DELETE", f"{V1}/{segments[1]}"))[0] == 202
    return {
        "SearchContacts": ("POST", f"{CONTACTS}/search", {"query": "city = 'Austin'"}),
        "SearchContactsByEmails": (
            "POST",
            f"{CONTACTS}/search/emails",
            {"emails": [first["email"]]},
        ),
        "GetContactsBatch": ("POST", f"{CONTACTS}/batch", {"ids": [first["id"]]}),
        "GetContact": ("GET", f"{CONTACTS}/{first['id']}", None),
        "GetSegmentV2": ("GET", f"{V2}/{created}", None),
        "GetSegmentV2 of a v1 segment": ("GET", f"{V2}/{segments[0]}", None),
    }


async def measure(app: MockApp, count: int, rounds: int) -> dict[str, float]:
    found = {}
    for name, (method, url, body) in (await requests(app)).items():
        status, answer = await call(app, method, url, body)
        assert status == 200, (name, answer[:200])
        best = float("inf")
        for _ in range(rounds):
            started = time.thread_time()
            for _ in range(count):
                await call(app, method, url, body)
            best = min(best, (time.thread_time() - started) / count * 1e6)
        found[name] = best
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per round (300)")
    parser.add_argument("--rounds", type=int, default=5, help="the best of (5)")
    args = parser.parse_args()
    app = build_app(ServeConfig(apis=("sendgrid",)))
    for name, micros in asyncio.run(measure(app, args.requests, args.rounds)).items():
        print(f"{name:32} {micros:8.1f} µs a request (thread CPU, best of {args.rounds})")


if __name__ == "__main__":
    main()
