"""A short soak (bench/soak.py is the 30 s one): 64 connections of mixed operations for a few
seconds against a served subprocess - zero errors, RSS growth under 10 %, same bytes after.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest

from bench.workload import BenchRequest, Workload
from tests.processes import MockProcess
from tests.reliability.conftest import TIMEOUT, snapshot

#: Slow (a soak run): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

CONNECTIONS = 64
WARMUP_SECONDS = 1.0
SOAK_SECONDS = 3.0


async def hammer(url: str, mix: list[BenchRequest], seconds: float) -> tuple[int, list[str]]:
    """Send the mix round-robin over CONNECTIONS keep-alive connections for ``seconds``."""
    requests = itertools.cycle(mix)
    errors: list[str] = []
    answered = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal answered
        while time.monotonic() < deadline:
            req = next(requests)
            try:
                reply = await http.request(req.method, req.target, headers=dict(req.headers))
                if not 200 <= reply.status_code < 300:
                    errors.append(f"{req.target}: {reply.status_code}")
                answered += 1
            except httpx.HTTPError as exc:
                errors.append(f"{req.target}: {exc!r}")

    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(CONNECTIONS)))
    return answered, errors


def test_short_soak_has_no_errors_and_no_memory_growth():
    with MockProcess() as served:
        workload = Workload(served.url)
        canonical = workload.requests()
        mix = workload.mix()
        before = snapshot(served.url, canonical)
        _, warmup_errors = asyncio.run(hammer(served.url, mix, WARMUP_SECONDS))
        rss_before = served.rss_kb()
        answered, errors = asyncio.run(hammer(served.url, mix, SOAK_SECONDS))
        rss_after = served.rss_kb()
        assert warmup_errors == errors == []
        assert answered > len(mix)  # the whole mix went round at least once
        assert rss_after < rss_before * 1.10, (rss_before, rss_after)
        assert snapshot(served.url, canonical) == before
        assert served.terminate() == 0
