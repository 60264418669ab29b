"""Same seed -> byte-identical responses, in separate processes."""

from __future__ import annotations

import pytest

from tests.processes import run_snippet

#: Slow (two processes): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

SCRIPT = r"""
import asyncio, hashlib, sys
import httpx
from mockserver.app import build_app
from mockserver.config import ServeConfig

AUTH = {"Authorization": "Bearer SG." + "a" * 22 + "." + "b" * 43}
REQUESTS = [
    ("/segments", {"program-id": "demo"}),
    ("/segments?segment_basis=assets&size=7&page=2", {"program-id": "demo"}),
    ("/segments", {"program-id": "some-other-program"}),
    ("/segment?labels=a,b&min_weight=0.2", {"program-id": "demo"}),
    ("/v3/marketing/segments", AUTH),
    ("/v3/marketing/segments/3b049926-0a54-4a91-83f0-086ace63c530?query_json=true", AUTH),
    ("/v3/marketing/segments?ids=nope", AUTH),
]

async def main(seed):
    app = build_app(ServeConfig(seed=seed))
    digest = hashlib.sha256()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        for path, headers in REQUESTS:
            response = await client.get(path, headers=headers)
            digest.update(f"{response.status_code} {path}\n".encode() + response.content)
    print(digest.hexdigest())

asyncio.run(main(int(sys.argv[1])))
"""


def digest(seed: int, hash_seed: str) -> str:
    return run_snippet(SCRIPT, seed, hash_seed=hash_seed)


def test_same_seed_gives_the_same_bytes_in_two_processes():
    assert digest(11, "1") == digest(11, "2")


def test_another_seed_gives_other_bytes():
    assert digest(11, "1") != digest(12, "1")
