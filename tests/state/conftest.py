"""A redis-server per test session (each test its own key prefix), and two SendGrid replicas
sharing it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import ServeConfig
from tests.conftest import JSON
from tests.harness import live_server
from tests.sendgrid.conftest import bearer, sg_key
from tests.state.redis_server import MISSING, RedisServer, redis_binary

_prefixes = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    if redis_binary() is None:
        pytest.skip(MISSING)
    with RedisServer() as server:
        yield server


@pytest.fixture()
def prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test's own: tests share one Redis without seeing each other."""
    name = "".join(c if c.isalnum() else "_" for c in request.node.name[:40])
    return f"t{next(_prefixes)}-{name}"


@pytest.fixture()
def redis_binary_present() -> None:
    if redis_binary() is None:
        pytest.skip(MISSING)


@pytest.fixture()
def sendgrid_replicas(redis_server: RedisServer, prefix: str) -> Iterator[list[httpx.Client]]:
    """Clients of two live SendGrid mocks on one Redis, their shared clock frozen at a known
    instant."""
    config = ServeConfig(apis=("sendgrid",), state_url=redis_server.url, state_prefix=prefix)
    with live_server(config) as a, live_server(config) as b:
        clients = [
            httpx.Client(base_url=live.url, headers=bearer(sg_key("r")), timeout=30)
            for live in (a, b)
        ]
        clock = {"now": "2026-05-01T12:00:00Z"}
        assert clients[0].put("/__mockserver/clock", json=clock, headers=JSON).status_code == 200
        yield clients
        for client in clients:
            client.close()
