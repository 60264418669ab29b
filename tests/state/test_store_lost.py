"""Redis killed under two serving processes: the data plane keeps answering from the last
known state, control calls answer 503 naming the store, and both recover on their own."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.processes import MockProcess
from tests.state.redis_server import RedisServer
from tests.state.replicas import Mock, wait_until

pytestmark = pytest.mark.slow

SCENARIO = "/scenarios/actionhub/get_segment_segment_get"


def forced(mock: Mock, which: int) -> httpx.Response:
    """A request of the operation ``SCENARIO`` forces."""
    return mock.call(
        which, "GET", "/segment", params={"labels": "x"}, headers={"program-id": "demo"}
    )


def test_a_lost_store_then_found_again(redis_binary_present, prefix):
    with RedisServer() as server:
        flags = ("--state", server.url, "--state-prefix", prefix)
        a, b = MockProcess(*flags), MockProcess(*flags)
        with a, b:
            mock = Mock([a.url, b.url], replicas=2)
            put = mock.control(0, "PUT", SCENARIO, json={"code": 503})
            assert put.status_code == 200
            mock.steadily(
                lambda: forced(mock, 1).status_code == 503,
                "the scenario answers on both",
            )

            server.stop()  # killed: connections drop, its data is gone
            for which in (0, 1):
                started = time.monotonic()
                answers = [mock.segments(which, page=page) for page in range(1, 6)]
                assert [r.status_code for r in answers] == [200] * 5
                assert forced(mock, which).status_code == 503, (
                    "the last known scenario still answers"
                )
                assert time.monotonic() - started < 5, "the data plane waited on the lost store"
            for which in (0, 1):
                refused = mock.control(which, "GET", "/scenarios")
                assert refused.status_code == 503
                body = refused.json()
                assert body["store"] == server.url
                assert body["error"].startswith(f"the state store {server.url} is unreachable")
                assert mock.control(which, "POST", "/reset").status_code == 503
                health = mock.health(which)
                assert health["status"] == "ok" and health["state"]["reachable"] is False
            a.wait_for("state store")  # the loss is logged once per process
            b.wait_for("state store")

            server.start()  # back (empty), same port: nobody restarts the mocks
            for which in (0, 1):
                wait_until(
                    lambda which=which: mock.control(which, "GET", "/scenarios").status_code == 200,
                    "control works again",
                )
            put = mock.control(0, "PUT", SCENARIO, json={"code": 500})
            assert put.status_code == 200
            mock.steadily(
                lambda: forced(mock, 1).status_code == 500,
                "a scenario set after recovery answers on the other process",
            )

            def kept() -> bool:
                entries = mock.control(1, "GET", "/requests").json()["requests"]
                pages = [e for e in entries if e["path"] == "/segments" and "page" in e["query"]]
                return len(pages) == 10

            # Each process stores its backlog once its listener is back (docs/SCALING.md): a read
            # asks only the replicas listening, so the other's backlog shows once it reconnects.
            wait_until(kept, "requests answered while the store was lost are journaled")
            assert a.terminate() == 0 and b.terminate() == 0
