"""A redis-server per test session (each test its own key prefix) and a shared-state factory."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

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
