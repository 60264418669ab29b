"""ActionHub benchmark: world build times, /segment and /segments latency, resident memory.

    .venv/bin/python bench/actionhub_bench.py [--users 100000] [--per-user 20] [--requests 200]

Requests go through the whole app in-process (httpx.ASGITransport): routing, parameter
decoding, behaviour, serialization. "uncached" requests send force_refresh=true, which
recomputes the answer; "cached" ones repeat a request already answered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import time
from pathlib import Path

import httpx

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.vendors.actionhub.model import Volume
from mockserver.vendors.actionhub.programs import Program
from mockserver.vendors.actionhub.world import generated_world

PROGRAM = "bench-shop"


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def default_world_seconds(runs: int = 7) -> float:
    times = []
    for n in range(runs):
        start = time.perf_counter()
        Program.of(generated_world(0, f"default-{n}", Volume()))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1000
    p95 = ordered[int(len(ordered) * 0.95)] * 1000
    return f"{p50:.2f} ms (p95 {p95:.2f} ms)"


async def timed(client: httpx.AsyncClient, urls: list[str]) -> list[float]:
    headers = {"program-id": PROGRAM}
    samples = []
    for url in urls:
        start = time.perf_counter()
        response = await client.get(url, headers=headers)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
    return samples


def segment_urls(catalog, rng: random.Random, count: int) -> list[str]:
    urls = []
    for _ in range(count):
        basis = rng.choice(["asset_ids", "labels"])
        ids = catalog.asset_ids if basis == "asset_ids" else catalog.label_ids
        picks = ",".join(rng.sample(ids, rng.randint(1, 3)))
        actions = rng.choice(["", "&action_types=view", "&action_types=purchase,add_to_cart"])
        urls.append(
            f"/segment?{basis}={picks}{actions}&match_type={rng.choice(['any', 'all'])}"
            f"&segment_type={rng.choice(['growth', 'base', 'discovery'])}"
            f"&min_weight={rng.choice([0.2, 0.5, 0.7, 0.9])}"
        )
    return urls


def segments_urls(rng: random.Random, count: int) -> list[str]:
    return [
        f"/segments?segment_basis={rng.choice(['labels', 'assets'])}"
        f"&segment_type={rng.choice(['growth', 'base', 'discovery'])}"
        f"&min_weight={rng.choice([0.2, 0.5, 0.7, 0.9])}"
        for _ in range(count)
    ]


async def latencies(mock: MockApp, catalog, requests: int) -> dict[str, str]:
    rng = random.Random(0)
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        one = segment_urls(catalog, rng, requests)
        many = segments_urls(rng, requests)
        return {
            "/segment uncached": percentiles(
                await timed(client, [f"{u}&force_refresh=true" for u in one])
            ),
            "/segment cached": percentiles(await timed(client, one)),
            "/segments first page uncached": percentiles(
                await timed(client, [f"{u}&force_refresh=true" for u in many])
            ),
            "/segments first page cached": percentiles(await timed(client, many)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--per-user", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    rows = {"default world (1,000 users x 20) built": f"{default_world_seconds() * 1000:.0f} ms"}
    volume = {"users": args.users, "recommendations_per_user": args.per_user}
    mock = build_app(ServeConfig(apis=("actionhub",), vendor_options={"actionhub": volume}))
    programs = mock.runtimes["actionhub"].backend.programs
    start, cpu = time.perf_counter(), time.process_time()
    program = programs.get(PROGRAM)
    label = f"world of {args.users:,} users x {args.per_user}"
    rows[f"{label} built"] = (
        f"{time.perf_counter() - start:.2f} s (CPU {time.process_time() - cpu:.2f} s, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    asset_lists = [program.index.postings("asset", t) for t in ("base", "discovery")]
    recommendations = sum(int(p.bounds[-1]) for p in asset_lists)  # type: ignore[union-attr]
    rows[f"{label}: recommendations"] = f"{recommendations:,}"
    rows["resident memory after the build"] = f"{rss_mb():.0f} MB"
    rows.update(asyncio.run(latencies(mock, program.world.catalog, args.requests)))
    rows["resident memory after the requests"] = f"{rss_mb():.0f} MB"
    rows["peak resident memory (incl. build)"] = f"{peak_mb():.0f} MB"
    print("| measure | value |\n| --- | --- |")
    for name, value in rows.items():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
