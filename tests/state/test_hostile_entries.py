"""Issue 22, item 3: one bad value in Redis must not split the replicas. Everything read from
the store is checked; a bad entry is skipped (logged once), no background loop dies, health
says when one stopped, and journal ids go on when their counter is lost."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis

from mockserver.config import ServeConfig
from mockserver.journal.masking import Masker
from mockserver.journal.record import Record
from mockserver.state.redis import RedisState, redis_state
from mockserver.state.values import Preference, Scenario
from tests.conftest import PROGRAM
from tests.harness import live_server
from tests.state.redis_server import RedisServer
from tests.state.replicas import wait_until

KEY = ("sendgrid", "ListSegment")
SEGMENTS_OPERATION = "actionhub/get_segments_segments_get"


@dataclass
class Runtime:
    """A served API as the replica sees it (``state.base.Replicable``): builds are documents."""

    version: int = 0
    seed_backend: Any = "start-up"
    installed: list[Any] = field(default_factory=list)

    def build(self, document: Any) -> Any:
        return document

    def install(self, backend: Any, version: int | None = None) -> bool:
        self.installed.append(backend)
        self.version = version or 0
        return True


@pytest.fixture()
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A plain client: what anyone with access to the store can write."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture()
def pair(redis_server: RedisServer, prefix: str) -> Iterator[tuple[RedisState, RedisState]]:
    """Two processes' states on one prefix; the second follows two APIs."""
    states = [redis_state(redis_server.url, prefix=prefix, journal_size=5) for _ in range(2)]
    runtimes = {"actionhub": Runtime(), "sendgrid": Runtime()}
    states[0].attach({}, Masker())
    states[1].attach(runtimes, Masker())
    for state in states:
        state.start()
    yield states[0], states[1]
    for state in states:
        state.close()


def poke(raw: redis.Redis, prefix: str) -> bool:
    """Publish an event (again, until heard: a listener may not have subscribed yet)."""
    raw.publish(f"{prefix}:events", b"overrides")
    return True


def plant(raw: redis.Redis, prefix: str, kind: str, name: str, value: bytes, event: bytes) -> None:
    raw.hset(f"{prefix}:{kind}", name, value)
    raw.publish(f"{prefix}:events", event)


def test_a_non_json_scenario_is_skipped_and_the_listener_goes_on(pair, raw, prefix, caplog):
    a, b = pair
    plant(raw, prefix, "scenarios", "actionhub/broken", b"|{not json", b"overrides")
    a.overrides.set_scenario(KEY, Scenario(Preference(code=503)))
    wait_until(lambda: b.overrides.take(KEY) == Preference(code=503), "b follows a")
    for _ in range(3):  # every control read reloads
        assert b.overrides.scenarios() == {KEY: Scenario(Preference(code=503))}
    assert a.problems() == b.problems() == []
    skipped = [r for r in caplog.records if "skipped scenario b'actionhub/broken'" in r.message]
    assert len(skipped) == 2, "a bad entry is logged once per process, not at every reload"


@pytest.mark.parametrize(
    "value",
    [
        b'{"code": "abc"}',
        b'{"code": true}',
        b'{"code": 99}',
        b'{"example": 5}',
        b'{"dynamic": "yes"}',
        b"{}",
        b"[503]",
        b"\xff\xfe",
    ],
)
def test_a_scenario_the_store_holds_badly_is_not_served(pair, raw, prefix, value):
    plant(raw, prefix, "scenarios", "sendgrid/ListSegment", b"|" + value, b"overrides")
    for state in pair:
        assert state.overrides.scenarios() == {}
        assert state.overrides.take(KEY) is None


def test_a_bad_count_of_a_counted_scenario_is_skipped(pair, raw, prefix):
    _, b = pair
    for value in (b'many|{"code": 503}', b'0|{"code": 503}', b'{"code": 503}'):
        plant(raw, prefix, "scenarios", "sendgrid/ListSegment", value, b"overrides")
        assert b.overrides.scenarios() == {}
        assert b.overrides.take(KEY) is None


def test_a_bad_data_version_leaves_the_builder_running(pair, raw, prefix):
    a, b = pair
    actionhub, sendgrid = b.replica.runtimes["actionhub"], b.replica.runtimes["sendgrid"]
    plant(raw, prefix, "data:sendgrid", "version", b"abc", b"data")
    version = a.data.begin("actionhub")
    assert a.data.commit("actionhub", version, {"loaded": 1})
    wait_until(lambda: actionhub.version == version, "b builds the next version")
    later = a.data.begin("actionhub")
    assert a.data.commit("actionhub", later, {"loaded": 2})
    wait_until(lambda: actionhub.version == later, "b builds the one after")
    assert actionhub.installed == [{"loaded": 1}, {"loaded": 2}]
    assert sendgrid.installed == [] and b.problems() == []


def test_an_unreadable_document_is_not_built_and_the_builder_goes_on(pair, raw, prefix):
    a, b = pair
    actionhub = b.replica.runtimes["actionhub"]
    raw.hset(f"{prefix}:data:actionhub", mapping={"version": b"5", "document": b"j{nope"})
    raw.set(f"{prefix}:data:actionhub:begun", b"5")
    raw.publish(f"{prefix}:events", b"data")
    version = a.data.begin("actionhub")
    assert version == 6
    assert a.data.commit("actionhub", version, {"loaded": 6})
    wait_until(lambda: actionhub.version == version, "b builds the next good version")
    assert actionhub.installed == [{"loaded": 6}]


def test_a_counter_holding_anything_counts_as_lost(pair, raw, prefix):
    a, b = pair
    raw.set(f"{prefix}:overrides", b"x")
    a.overrides.set_scenario(KEY, Scenario(Preference(code=503), times=2))
    wait_until(lambda: b.overrides.take(KEY) == Preference(code=503), "b follows a")
    assert a.overrides.scenarios() == {KEY: Scenario(Preference(code=503), times=1)}
    raw.set(f"{prefix}:data:actionhub:begun", b"x")
    assert a.data.begin("actionhub") >= 1
    raw.set(f"{prefix}:journal:ids", b"x")
    a.journal.append(record("/after-garbage"))
    asyncio.run(a.journal.settled())
    assert [r.path for _, r in a.journal.records()] == ["/after-garbage"]


def record(path: str) -> Record:
    return Record(time.time(), "sendgrid", "ListSegment", "GET", path, b"", 200, 0.1, [])


def test_journal_ids_go_on_when_their_counter_is_evicted(pair, raw, prefix):
    a, b = pair
    for i in range(3):
        a.journal.append(record(f"/before{i}"))
    asyncio.run(a.journal.settled())
    raw.delete(f"{prefix}:journal:ids")  # evicted (maxmemory-policy allkeys-lru)
    b.journal.append(record("/after"))  # a process that stored nothing yet
    asyncio.run(b.journal.settled())
    found = a.journal.records()
    assert [r.path for _, r in found] == ["/before0", "/before1", "/before2", "/after"]
    ids = [id_ for id_, _ in found]
    assert ids == sorted(set(ids))


@pytest.mark.parametrize(
    "fields",
    [
        {b"r": b"not json"},
        {b"r": b'{"a": 1}'},
        {b"r": b"[1, 2]"},
        {b"r": b'["t", null, null, "GET", "/", "", 200, 0.1, [], [], [], "mock"]'},
        {b"r": b'[1.0, null, null, "GET", "/", "", 200, 0.1, [[1, 2]], [], [], "mock"]'},
        {b"r": b'[1.0, null, null, "GET", "/", "", 200, 0.1, [["a"]], [], [], "mock"]'},
        {b"other": b"field"},
    ],
)
def test_a_journal_entry_the_store_holds_badly_is_skipped(pair, raw, prefix, fields, caplog):
    a, _ = pair
    a.journal.append(record("/before"))
    asyncio.run(a.journal.settled())
    raw.xadd(f"{prefix}:journal", fields)  # anyone with access can write the stream
    a.journal.append(record("/after"))
    asyncio.run(a.journal.settled())
    assert [r.path for _, r in a.journal.records()] == ["/before", "/after"]
    assert "skipped journal entry" in caplog.text


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_stopped_loop_is_a_problem_health_reports(pair, raw, prefix):
    _, b = pair

    def dies(data: bytes) -> None:
        raise SystemExit  # what no ``except Exception`` catches: the thread ends

    b.replica.handle = dies  # type: ignore[method-assign]
    wait_until(lambda: poke(raw, prefix) and b.problems(), "the listener stopped")
    assert b.problems() == ["state-listener stopped"]


# -- through the served app ------------------------------------------------------------------------
@dataclass
class LiveOnRedis:
    url: str
    state: RedisState


@contextlib.contextmanager
def serving(url: str, prefix: str) -> Iterator[LiveOnRedis]:
    """The mock on a free port, over a shared state this test holds too."""
    config = ServeConfig(state_url=url, state_prefix=prefix)
    state = redis_state(url, prefix=prefix)
    with live_server(config, state=state, lifespan="on") as server:
        yield LiveOnRedis(server.url, state)


@pytest.fixture()
def live_on_redis(redis_server: RedisServer, prefix: str) -> Iterator[LiveOnRedis]:
    with serving(redis_server.url, prefix) as server:
        yield server


def test_a_scenario_without_a_status_leaves_requests_answered(redis_server, raw, prefix):
    plant(raw, prefix, "scenarios", SEGMENTS_OPERATION, b'{"code": "abc"}', b"overrides")
    with (
        serving(redis_server.url, prefix) as live,
        httpx.Client(base_url=live.url, timeout=5) as http,
    ):
        answer = http.get("/segments", params={"segment_basis": "labels"}, headers=PROGRAM)
        assert answer.status_code == 200
        listed = http.get("/__mockserver/scenarios").json()
    assert listed == {"scenarios": {}}


def test_garbage_replica_entries_leave_health_answering(live_on_redis, raw, prefix):
    raw.hset(f"{prefix}:replicas", "evil", b"garbage")
    raw.hset(f"{prefix}:replicas", "evil:2", b'{"seen": "now", "data_versions": {}}')
    raw.hset(f"{prefix}:replicas", "evil:3", b'{"seen": 1e300, "data_versions": {"x": "1"}}')
    raw.hset(f"{prefix}:replicas", b"\xff", b"[]")
    with httpx.Client(base_url=live_on_redis.url, timeout=5) as http:
        health = http.get("/__mockserver/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert not any(name.startswith("evil") for name in health.json()["state"]["replicas"])


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_health_answers_503_while_a_loop_is_stopped(live_on_redis, raw, prefix):
    replica = live_on_redis.state.replica

    def dies(data: bytes) -> None:
        raise SystemExit

    replica.handle = dies  # type: ignore[method-assign]
    wait_until(lambda: poke(raw, prefix) and replica.problems(), "the listener stopped")
    with httpx.Client(base_url=live_on_redis.url, timeout=5) as http:
        health = http.get("/__mockserver/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy"
    assert health.json()["problems"] == ["state-listener stopped"]


@pytest.mark.parametrize(
    "value", [b'{"example": "nope"}', b'{"code": 418}', b'{"code": 404, "example": "nope"}']
)
def test_a_stored_scenario_the_operation_cannot_answer_is_ignored(redis_server, raw, prefix, value):
    """Well formed, but naming what the operation does not declare (the control plane refuses
    it; the store holds whatever anyone wrote)."""
    plant(raw, prefix, "scenarios", SEGMENTS_OPERATION, value, b"overrides")
    with (
        serving(redis_server.url, prefix) as live,
        httpx.Client(base_url=live.url, timeout=5) as http,
    ):
        for _ in range(2):
            answer = http.get("/segments", params={"segment_basis": "labels"}, headers=PROGRAM)
            assert answer.status_code == 200
