"""Same seed -> the same SendGrid bytes in separate processes (hash seeds differ too)."""

from __future__ import annotations

import functools

import pytest

from tests.processes import run_snippet

#: Slow (two processes): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

SCRIPT = r"""
import asyncio, hashlib, sys
import httpx
from mockserver.app import build_app
from mockserver.config import ServeConfig

AUTH = {"Authorization": "Bearer SG." + "d" * 22 + "." + "e" * 43}
SEGMENTS = "/v3/marketing/segments"

async def main(seed):
    app = build_app(ServeConfig(apis=("sendgrid",), seed=seed))
    digest = hashlib.sha256()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        listed = await client.get(SEGMENTS, headers=AUTH)
        paths = [SEGMENTS, SEGMENTS + "?no_parent_list_id=true"]
        for segment in listed.json()["results"]:
            paths.append(f"{SEGMENTS}/{segment['id']}")
            paths.append(f"{SEGMENTS}/{segment['id']}?query_json=true")
        for path in paths:
            response = await client.get(path, headers=AUTH)
            digest.update(f"{response.status_code} {path}\n".encode() + response.content)
    print(len(paths), digest.hexdigest())

asyncio.run(main(int(sys.argv[1])))
"""


@functools.cache
def digest(seed: int, hash_seed: str) -> str:
    return run_snippet(SCRIPT, seed, hash_seed=hash_seed)


def test_same_seed_same_bytes_in_two_processes():
    first, second = digest(7, "1"), digest(7, "2")
    assert first == second
    assert int(first.split()[0]) > 50


def test_another_seed_gives_another_world():
    assert digest(7, "1") != digest(8, "1")
