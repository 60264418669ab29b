"""The Redis stores against a real redis-server, two states in one process standing for two
replicas: what one changes the other reads, secrets never reach Redis, counts are shared."""

from __future__ import annotations

import asyncio
import datetime
import random
import time
from collections.abc import Iterator

import pytest

from mockserver.errors import StateUnavailable
from mockserver.journal.masking import Masker
from mockserver.journal.record import Record, read
from mockserver.state.clock import iso
from mockserver.state.memory import open_state
from mockserver.state.redis import RedisState, redis_state
from mockserver.state.redis.stores import decode_document, encode_document
from mockserver.state.values import Fault, Preference, Scenario
from tests.state.redis_server import RedisServer
from tests.state.replicas import wait_until

SECRET = "SG." + "s" * 22 + "." + "t" * 43
KEY = ("sendgrid", "ListSegment")


@pytest.fixture()
def pair(redis_server: RedisServer, prefix: str) -> Iterator[tuple[RedisState, RedisState]]:
    """Two processes' states on one prefix, following each other."""
    states = [redis_state(redis_server.url, prefix=prefix, journal_size=5) for _ in range(2)]
    for state in states:
        state.attach({}, Masker())
        state.start()
    yield states[0], states[1]
    for state in states:
        state.close()


def record(path: str, query: bytes = b"", auth: str = SECRET) -> Record:
    headers = [(b"authorization", f"Bearer {auth}".encode()), (b"x-seen", b"yes")]
    return Record(time.time(), "sendgrid", "ListSegment", "GET", path, query, 200, 0.1, headers)


def settle(state: RedisState) -> None:
    asyncio.run(state.journal.settled())


# -- journal ------------------------------------------------------------------------------------
def test_journal_is_one_ordered_stream_for_every_process(pair):
    a, b = pair
    for i, state in enumerate([a, b, a, b]):
        state.journal.append(record(f"/p{i}"))
        settle(state)
    for state in pair:
        found = state.journal.records()
        assert [r.path for _, r in found] == ["/p0", "/p1", "/p2", "/p3"]
        ids = [id_ for id_, _ in found]
        assert ids == sorted(ids) and len(set(ids)) == 4
    since = a.journal.records()[1][0]
    assert [r.path for _, r in b.journal.records(since)] == ["/p2", "/p3"]


def test_secrets_are_masked_before_they_reach_redis(pair, redis_server, prefix):
    a, _ = pair
    a.journal.append(record("/masked", query=f"api_key={SECRET}&page=2".encode()))
    settle(a)
    raw = redis_server.client().xrange(f"{prefix}:journal")
    assert raw and SECRET.encode() not in repr(raw).encode()
    assert SECRET[:12].encode() not in repr(raw).encode()
    (entry,) = read(a.journal.records(), Masker())
    assert entry.headers["authorization"] == "Bearer SG.***"  # masked once, not twice
    assert entry.headers["x-seen"] == "yes"
    assert "page=2" in entry.query and SECRET not in entry.query


def test_journal_keeps_its_size_and_ids_grow_after_clear(pair):
    a, b = pair
    for i in range(8):
        a.journal.append(record(f"/r{i}"))
    settle(a)
    kept = b.journal.records()
    assert [r.path for _, r in kept] == [f"/r{i}" for i in range(3, 8)]
    assert len(b.journal) == 5
    last = kept[-1][0]
    assert b.journal.clear() >= 5
    assert a.journal.records() == []
    a.journal.append(record("/after"))
    settle(a)
    ((id_, _),) = b.journal.records()
    assert id_ > last


# -- scenarios and faults -----------------------------------------------------------------------
def test_scenario_set_in_one_process_is_seen_by_the_other(pair):
    a, b = pair
    assert not b.overrides.has_scenarios
    a.overrides.set_scenario(KEY, Scenario(Preference(code=503)))
    assert a.overrides.has_scenarios  # read your own write at once
    wait_until(lambda: b.overrides.has_scenarios, "b has the scenario")
    assert b.overrides.take(KEY) == Preference(code=503)
    assert b.overrides.take(KEY) == Preference(code=503)  # no times: until cleared
    b.overrides.clear_scenario(KEY)
    wait_until(lambda: not a.overrides.has_scenarios, "a has none")
    assert a.overrides.take(KEY) is None


def test_a_counted_scenario_counts_down_across_processes(pair):
    a, b = pair
    a.overrides.set_scenario(KEY, Scenario(Preference(code=500), times=3))
    wait_until(lambda: b.overrides.has_scenarios, "b has the scenario")
    taken = [state.overrides.take(KEY) for state in (a, b, a, b, a)]
    assert taken.count(Preference(code=500)) == 3 and taken[3:] == [None, None]
    wait_until(
        lambda: not a.overrides.has_scenarios and not b.overrides.has_scenarios, "none has any"
    )


def test_faults_are_shared_and_reset_restores_the_command_line_fault(pair):
    a, b = pair
    a.overrides.set_fault(None, Fault(error_rate=1.0))
    a.overrides.set_fault(KEY, Fault(latency=(5.0, 5.0)))
    wait_until(lambda: b.overrides.faulty, "b has the fault")
    assert b.overrides.fault_for(KEY) == Fault((5.0, 5.0), 1.0)
    delay, status = b.overrides.draw(KEY, (500,))
    assert (delay, status) == (0.005, 500)
    assert b.overrides.clear_fault(KEY) and not b.overrides.clear_fault(KEY)
    b.overrides.reset()
    wait_until(lambda: not a.overrides.faulty, "a has none")
    assert a.overrides.global_fault() == Fault() and a.overrides.operation_faults() == {}


# -- rate-limit windows and data versions -------------------------------------------------------
def test_rate_limit_windows_count_every_process(pair):
    a, b = pair
    counts = [state.windows.hit("key", 7) for state in (a, b, a, b)]
    assert counts == [1, 2, 3, 4]
    assert b.windows.count("key", 7) == 4 and a.windows.count("other", 7) == 0
    assert a.windows.hit("key", 8) == 1  # a new window starts from zero
    b.windows.clear()
    assert a.windows.hit("key", 7) == 1


def test_data_versions_are_ordered_across_processes(pair):
    a, b = pair
    first, second = a.data.begin("sendgrid"), b.data.begin("sendgrid")
    assert second > first
    assert not a.data.commit("sendgrid", first, {"old": True})  # overtaken: never lands
    assert b.data.commit("sendgrid", second, {"new": [1, 2.5, "x", None]})
    assert a.data.current("sendgrid") == (second, {"new": [1, 2.5, "x", None]})
    reset = a.data.begin("sendgrid")
    assert a.data.commit("sendgrid", reset, None)
    assert b.data.current("sendgrid") == (reset, None)


@pytest.mark.parametrize(
    "document",
    [
        {"segments": [{"id": "a", "created": datetime.datetime(2024, 1, 2, 3, 4, 5)}]},
        {"day": datetime.date(2024, 1, 2), 7: "an int key"},
        {"plain": ["json", 1, 2.5, True, None]},
    ],
)
def test_documents_keep_every_value_through_redis(document):
    assert decode_document(encode_document(document)) == document


# -- the store lost and found --------------------------------------------------------------------
def test_unreachable_store_is_one_clear_error():
    with pytest.raises(StateUnavailable) as refused:
        open_state("redis://127.0.0.1:9/0")  # the discard port: nothing listens
    message = str(refused.value)
    assert message.startswith("the state store redis://127.0.0.1:9/0 is unreachable:")
    assert "\n" not in message


def test_a_lost_store_leaves_the_request_path_answering(prefix):
    with RedisServer() as server:
        state = redis_state(server.url, prefix=prefix)
        state.attach({}, Masker())
        state.start()
        state.overrides.set_scenario(KEY, Scenario(Preference(code=404), times=5))
        state.windows.hit("key", 1)
        server.stop()
        started = time.monotonic()
        assert state.overrides.take(KEY) == Preference(code=404)  # the local copy counts down
        assert state.windows.hit("key", 1) >= 1
        state.journal.append(record("/while-lost"))
        settle(state)  # does not wait for a store that is gone
        assert time.monotonic() - started < 2
        assert not state.link.up
        with pytest.raises(StateUnavailable):
            state.overrides.scenarios()
        with pytest.raises(StateUnavailable):
            state.journal.records()
        server.start()  # same port, empty
        wait_until(lambda: state.link.up, "the store is back")
        wait_until(
            lambda: [r.path for _, r in state.journal.records()] == ["/while-lost"], "the backlog"
        )
        assert state.overrides.scenarios() == {}  # the store's truth (it restarted empty)
        state.close()


def test_journal_ids_go_on_after_the_store_restarts_empty(prefix):
    """A reader's ``since`` cursor keeps working: the restarted store's ids continue."""
    with RedisServer() as server:
        state = redis_state(server.url, prefix=prefix)
        state.attach({}, Masker())
        state.start()
        for i in range(3):
            state.journal.append(record(f"/before{i}"))
        settle(state)
        last = state.journal.records()[-1][0]
        server.stop()
        state.journal.append(record("/while-lost"))
        server.start()  # same port, empty
        wait_until(
            lambda: [r.path for _, r in state.journal.records()] == ["/while-lost"], "the backlog"
        )
        ((id_, _),) = state.journal.records()
        assert id_ > last
        state.close()


def test_iso_spells_every_instant_as_datetime_does():
    """The clock's spelling, memoized per second, against ``datetime``'s at the edges where a
    microsecond rounds into the next second or a millisecond is cut."""
    draw = random.Random(25)
    edges = [1765000000 + k / 1e6 for k in range(-3, 4)] + [1765000000.9995, 1765000000.9999996]
    instants = edges + [-0.0000004, -1.9999996] + [draw.uniform(-1e9, 4e9) for _ in range(5000)]
    for seconds in instants:
        when = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
        expected = when.isoformat(timespec="milliseconds")
        assert iso(seconds) == expected[:-6] + "Z", seconds
