"""Issue 14's "done when": two ``mockserver serve`` processes on different ports with one
``--state``, and one server with ``--workers 4 --state``, are one mock."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
import yaml

from mockserver.resources import bundled_dir
from tests.processes import MockProcess
from tests.state.redis_server import RedisServer
from tests.state.replicas import SG_SEGMENTS, Mock, sendgrid_auth, wait_until

#: Subprocesses and a redis-server: left out of `make test-fast`.
pytestmark = pytest.mark.slow

LIMIT = 6
WORLD = yaml.safe_load((bundled_dir("fixtures") / "sendgrid" / "world.yaml").read_text())


@pytest.fixture(scope="module", params=["two processes", "four workers"])
def mock_processes(request: pytest.FixtureRequest, redis_server: RedisServer) -> Iterator[Mock]:
    prefix = request.param.replace(" ", "-")
    flags = ("--state", redis_server.url, "--state-prefix", prefix, "--rate-limit", str(LIMIT))
    if request.param == "two processes":
        a, b = MockProcess(*flags), MockProcess(*flags)
        with a, b:
            yield Mock([a.url, b.url], replicas=2)
            assert a.terminate() == 0 and b.terminate() == 0
    else:
        with MockProcess(*flags, workers=4) as server:
            yield Mock([server.url, server.url], replicas=4)
            assert server.terminate() == 0


@pytest.fixture()
def shared(mock_processes: Mock) -> Mock:
    wait_until(
        lambda: len(mock_processes.health()["state"]["replicas"]) == mock_processes.replicas,
        "replicas up",
    )
    mock_processes.reset()
    return mock_processes


def test_a_scenario_set_through_one_answers_through_the_other(shared):
    put = shared.control(
        0, "PUT", "/scenarios/actionhub/get_segments_segments_get", json={"code": 503}
    )
    assert put.status_code == 200
    shared.steadily(lambda: shared.segments(1).status_code == 503, "the scenario answers on B")
    assert shared.control(1, "DELETE", "/scenarios").status_code == 200
    shared.steadily(lambda: shared.segments(0).status_code == 200, "cleared everywhere")


def test_a_counted_scenario_counts_requests_of_every_replica(shared):
    body = {"code": 500, "times": 4}
    assert (
        shared.control(
            0, "PUT", "/scenarios/actionhub/get_segments_segments_get", json=body
        ).status_code
        == 200
    )
    answered = []
    wait_until(
        lambda: answered.append(shared.segments(1).status_code) or answered.count(500) == 4,
        "four forced answers through B",
    )
    assert [shared.segments(i % 2).status_code for i in range(6)] == [200] * 6
    assert shared.control(0, "GET", "/scenarios").json() == {"scenarios": {}}


def test_a_data_load_through_one_is_served_by_every_replica(shared):
    renamed = copy.deepcopy(WORLD)
    renamed["segments"][0]["name"] = "Loaded through A"
    loaded = shared.control(0, "PUT", "/data/sendgrid", json=renamed)
    assert loaded.status_code == 200
    version = loaded.json()["version"]
    wait_until(lambda: shared.all_replicas_at("sendgrid", version), "every replica built it")
    for i in range(3 * shared.replicas):
        names = [
            s["name"]
            for s in shared.call(1, "GET", SG_SEGMENTS, headers=sendgrid_auth(f"load{i}")).json()[
                "results"
            ]
        ]
        assert "Loaded through A" in names, f"request {i} through B answered the old data"


def test_the_journal_read_through_either_shows_all_traffic_in_order(shared):
    sent = []
    for page in range(1, 9):
        assert shared.segments(page % 2, page=page).status_code == 200
        sent.append(f"segment_basis=labels&page={page}")
    for which in (0, 1):
        entries = shared.control(which, "GET", "/requests").json()["requests"]
        # Stored in batches after the answers: each replica's in the order it answered, the
        # whole by the time each answer was given (a lagging replica's batch may land later).
        assert [e["query"] for e in sorted(entries, key=lambda e: e["time"])] == sent
        ids = [e["id"] for e in entries]
        assert ids == sorted(ids)
        since = shared.control(1 - which, "GET", "/requests", params={"since": ids[3]}).json()
        assert since["requests"] == entries[4:]


def test_a_request_is_in_the_journal_read_at_once_through_either(shared):
    """Answers leave before their records are stored (issue 25): a read asks every replica to
    store what it holds first, so it shows the request just answered, wherever it is read."""
    for page in range(1, 21):
        assert shared.segments(page % 2, page=page).status_code == 200
        newest = shared.control(page // 2 % 2, "GET", "/requests", params={"limit": 1}).json()
        assert [e["query"] for e in newest["requests"]] == [f"segment_basis=labels&page={page}"]


def test_reset_through_one_resets_the_other(shared):
    renamed = copy.deepcopy(WORLD)
    renamed["segments"][0]["name"] = "Before the reset"
    assert shared.control(0, "PUT", "/data/sendgrid", json=renamed).status_code == 200
    assert (
        shared.control(0, "PUT", "/scenarios/sendgrid/GetSegment", json={"code": 404}).status_code
        == 200
    )
    assert shared.control(0, "PUT", "/faults", json={"latency": 1}).status_code == 200
    seen = shared.segments(0)
    assert seen.status_code == 200
    shared.reset()  # through B
    assert shared.control(0, "GET", "/scenarios").json() == {"scenarios": {}}
    assert shared.control(0, "GET", "/faults").json()["global"]["latency_ms"] is None
    assert shared.control(0, "GET", "/requests").json()["count"] == 0
    for i in range(3 * shared.replicas):
        names = [
            s["name"]
            for s in shared.call(0, "GET", SG_SEGMENTS, headers=sendgrid_auth(f"reset{i}")).json()[
                "results"
            ]
        ]
        assert "Before the reset" not in names


def test_rate_limit_windows_are_shared(shared):
    for attempt in range(4):  # a minute boundary inside the run restarts the count: try again
        auth = sendgrid_auth(f"limit{attempt}")
        answers = [shared.call(i % 2, "GET", SG_SEGMENTS, headers=auth) for i in range(LIMIT + 2)]
        windows = {a.headers["x-ratelimit-reset"] for a in answers}
        if len(windows) == 1:
            break
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * LIMIT + [429, 429], statuses
    remaining = [int(a.headers["x-ratelimit-remaining"]) for a in answers]
    assert remaining == [LIMIT - 1 - i for i in range(LIMIT)] + [0, 0]
