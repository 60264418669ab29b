"""SendGrid Contacts: what an upsert job, a search and a delete-all cost on a big world, the ASGI
app called directly (the write log in process).

Measures, on a world of ``--contacts`` (default 200,000):
1. the query store's build (once per data version; the first search pays it);
2. a PUT of 30,000 contacts (the vendor's maximum) answered 202, then the job applied: the
   first read after the mock clock passes its time applies it to the book and the store;
3. search p50 over ``--runs`` searches (a contact-field condition) after the job;
4. DELETE delete_all_contacts=true, its job applied.

Usage: cd bench && ../.venv/bin/python sendgrid_contacts.py [--contacts 200000] [--runs 21]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from sendgrid_v2 import call

from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.control import actions

CONTACTS = "/v3/marketing/contacts"


async def measure(contacts: int, runs: int) -> dict[str, float]:
    app = build_app(
        ServeConfig(apis=("sendgrid",), vendor_options={"sendgrid": {"contacts": contacts}})
    )
    actions.set_clock(app.control, {"now": "2026-03-10T15:00:00Z"})
    found: dict[str, float] = {}
    started = time.perf_counter()
    status, _ = await call(app, "POST", f"{CONTACTS}/search", {"query": "city = 'Austin'"})
    assert status == 200
    found["store build + first search (s)"] = time.perf_counter() - started
    body = {
        "contacts": [{"email": f"bulk{i}@example.com", "city": "Bulkton"} for i in range(30_000)]
    }
    started = time.perf_counter()
    status, _ = await call(app, "PUT", CONTACTS, body)
    assert status == 202
    found["PUT 30,000 contacts -> 202 (s)"] = time.perf_counter() - started
    actions.set_clock(app.control, {"advance": "PT5S"})
    started = time.perf_counter()
    status, _ = await call(app, "GET", f"{CONTACTS}/count")
    assert status == 200
    found["job applied (30,000) + count (s)"] = time.perf_counter() - started
    times = []
    for run in range(runs):  # a query of its own each run: the search memo answers repeats
        query = f"city = 'Bulkton' AND first_name != 'nobody{run}'"
        started = time.perf_counter()
        status, _ = await call(app, "POST", f"{CONTACTS}/search", {"query": query})
        times.append(time.perf_counter() - started)
        assert status == 200, status
    found["search p50 (ms)"] = statistics.median(times) * 1000
    found["RSS after the job and the searches (MB)"] = resident_mb("VmRSS")
    status, _ = await call(app, "DELETE", f"{CONTACTS}?delete_all_contacts=true")
    assert status == 202
    actions.set_clock(app.control, {"advance": "PT5S"})
    started = time.perf_counter()
    await call(app, "GET", f"{CONTACTS}/count")
    found["delete-all job applied + count (s)"] = time.perf_counter() - started
    found["peak RSS, world build included (MB)"] = resident_mb("VmHWM")
    return found


def resident_mb(field: str) -> float:
    """This process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    for name, value in asyncio.run(measure(args.contacts, args.runs)).items():
        print(f"{name:40} {value:10.3f}")


if __name__ == "__main__":
    main()
