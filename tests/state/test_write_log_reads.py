"""Issue 25: a read of the write log shares its round trip with the requests of its loop turn
(``Ledger.settle``) and still sees every write acknowledged before it arrived, through any
replica.

A read that is in flight when a request arrives may have been sent before a write that request
must see: the request waits for the next read. The logs here hold a read after it has read, so
a request that joined it instead would miss the write every time, not now and then.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.state.ledger import Ledger, MemoryWriteLog
from mockserver.state.redis import RedisState, redis_state
from mockserver.state.redis.journal import RedisJournal
from mockserver.state.redis.link import Link
from mockserver.state.redis.overrides import RedisOverrides
from mockserver.state.redis.stores import RedisData, RedisWindows
from mockserver.state.redis.writes import RedisWriteLog
from tests.harness import live_asgi, live_server
from tests.sendgrid.conftest import bearer, sg_key
from tests.state.redis_server import RedisServer

LISTS = "/v3/marketing/lists"
AUTH = bearer(sg_key("w"))
#: Waits on another thread end here (they take milliseconds).
DEADLINE = 30.0


class SharedLog(MemoryWriteLog):
    """One in-memory log that several ledgers (replicas) share: reads are counted, and the
    next asynchronous read can be held after it has read (``hold_next``)."""

    shared = True

    def __init__(self) -> None:
        super().__init__()
        self.blocking_reads = self.async_reads = 0
        self.fail_next = False
        self._hold: asyncio.Event | None = None
        self.holding = asyncio.Event()

    def hold_next(self) -> asyncio.Event:
        """Hold the next asynchronous read once it has read, until the event returned is set."""
        self._hold = asyncio.Event()
        return self._hold

    def read(self, since: int) -> tuple[int, list[bytes]]:
        self.blocking_reads += 1
        return super().read(since)

    async def read_async(self, since: int) -> tuple[int, list[bytes]]:
        self.async_reads += 1
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("a read that fails")
        found = super().read(since)
        hold, self._hold = self._hold, None
        if hold is not None:
            self.holding.set()
            await hold.wait()
        return found


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_request_arriving_while_a_read_is_in_flight_waits_for_the_next_one():
    async def scenario() -> None:
        log = SharedLog()
        a, b = Ledger(log), Ledger(log)
        b.sync()
        release = log.hold_next()
        early = asyncio.create_task(b.settle())  # its read finds nothing, then is held
        await log.holding.wait()
        assert a.write({"op": "x"}) == 1  # acknowledged on A while B's read is in flight
        arrived = time.perf_counter()
        late = asyncio.create_task(b.settle())
        await asyncio.sleep(0)  # the late request is waiting
        release.set()
        await early
        await late
        assert b.position == 1, "the late request was answered by a read sent before it"
        reads = log.blocking_reads
        with b.answering(arrived):
            b.sync()
        assert log.blocking_reads == reads, "its handler read again"
        assert log.async_reads == 2

    run(scenario())


def test_the_requests_of_one_loop_turn_share_one_read():
    async def scenario() -> None:
        log = SharedLog()
        a, b = Ledger(log), Ledger(log)
        a.write({"op": "x"})
        arrived = time.perf_counter()
        await asyncio.gather(*(b.settle() for _ in range(20)))
        assert log.async_reads == 1 and b.position == 1
        with b.answering(arrived):
            b.sync()
        assert log.blocking_reads == 1  # A's own, before its append

    run(scenario())


def test_a_handler_whose_request_arrived_after_the_last_read_reads_for_itself():
    async def scenario() -> None:
        log = SharedLog()
        a, b = Ledger(log), Ledger(log)
        await b.settle()
        a.write({"op": "x"})
        with b.answering(time.perf_counter()):  # no settle since it arrived
            b.sync()
        assert b.position == 1
        b.sync()  # outside a request: always a read
        assert log.blocking_reads == 3  # A's, and B's two

    run(scenario())


def test_an_append_that_finds_the_copy_behind_reads_before_it_tries_again():
    async def scenario() -> None:
        log = SharedLog()
        a, b = Ledger(log), Ledger(log)
        arrived = time.perf_counter()
        await b.settle()
        a.write({"op": "first"})
        with b.answering(arrived):
            assert b.append({"op": "second"}) is None  # A appended since B's read
            assert b.write({"op": "second"}) == 2
        assert [e["op"] for e in b.entries] == ["first", "second"]

    run(scenario())


def test_a_settle_takes_a_reset_in_and_a_clear_always_reads():
    async def scenario() -> None:
        log = SharedLog()
        a, b = Ledger(log), Ledger(log)
        a.write({"op": "clock", "at": 0.0, "set": 1000.0})
        await b.settle()
        assert b.position == 1
        a.clear()
        a.write({"op": "after"})
        arrived = time.perf_counter()
        await b.settle()
        assert b.generation == a.generation and [e["op"] for e in b.entries] == ["after"]
        with b.answering(arrived):
            b.clear()  # covered or not, a reset reads what it made
        assert b.entries == [] and b.generation == a.generation + 1

    run(scenario())


class OwnLog(MemoryWriteLog):
    """A log of one process (not shared), its reads counted."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read(self, since: int) -> tuple[int, list[bytes]]:
        self.reads += 1
        return super().read(since)


def test_a_log_of_the_process_own_is_read_once_per_generation_and_stored_as_it_was_given():
    log = OwnLog()
    ledger = Ledger(log)
    ledger.sync()
    ledger.write({"op": "x", "n": 1})
    ledger.sync()
    assert log.reads == 1 and ledger.entries == [{"op": "x", "n": 1}]
    assert log.read(0) == (0, [{"op": "x", "n": 1}])
    ledger.clear()  # a reset: read again, from nothing
    reads = log.reads
    assert reads > 2 and (ledger.generation, ledger.entries) == (1, [])
    ledger.write({"op": "y"})
    assert ledger.position == 1 and log.reads == reads


def test_a_read_that_fails_releases_its_requests_and_their_handlers_read(caplog):
    async def scenario() -> None:
        log = SharedLog()
        a, b = Ledger(log), Ledger(log)
        a.write({"op": "x"})
        log.fail_next = True
        arrived = time.perf_counter()
        await asyncio.gather(b.settle(), b.settle())
        assert b.position == 0
        with b.answering(arrived):
            b.sync()
        assert b.position == 1
        await b.settle()  # the next settle reads again
        assert log.async_reads == 2

    run(scenario())
    assert "reading the write log failed" in caplog.text


def test_a_request_cancelled_while_waiting_leaves_the_others_waiting():
    async def scenario() -> None:
        log = SharedLog()
        a, b = Ledger(log), Ledger(log)
        release = log.hold_next()
        first = asyncio.create_task(b.settle())
        await log.holding.wait()
        a.write({"op": "x"})
        gone, kept = asyncio.create_task(b.settle()), asyncio.create_task(b.settle())
        await asyncio.sleep(0)
        gone.cancel()
        release.set()
        await first
        await kept
        assert gone.cancelled() and b.position == 1

    run(scenario())


# -- two replicas on one Redis ------------------------------------------------------------------
class HeldRedisLog(RedisWriteLog):
    """B's write log: its next asynchronous read, once read, is held until ``release``;
    blocking reads are counted."""

    def __init__(self, link: Link) -> None:
        super().__init__(link)
        self.hold = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.blocking_reads = 0

    def read(self, since: int) -> tuple[int, list[bytes]]:
        self.blocking_reads += 1
        return super().read(since)

    async def read_async(self, since: int) -> tuple[int, list[bytes]]:
        found = await super().read_async(since)
        if self.hold:
            self.hold = False
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return found


class Arrivals:
    """B's app, which releases its held read when a request marked ``x-late`` arrives: that
    request is waiting for the log before the held read comes back."""

    def __init__(self, app: Any, log: HeldRedisLog) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (b"x-late", b"1") in scope["headers"]:
            self.log.release.set()
        await self.app(scope, receive, send)


@pytest.fixture()
def held_b(redis_server: RedisServer, prefix: str) -> Iterator[tuple[str, str, HeldRedisLog]]:
    """A (a plain replica) and B (its write log held on demand): their URLs and B's log."""
    config = ServeConfig(apis=("sendgrid",), state_url=redis_server.url, state_prefix=prefix)
    link = Link(redis_server.url, prefix)
    log = HeldRedisLog(link)
    state = RedisState(
        RedisJournal(link, 100),
        RedisOverrides(link, 0, None),
        RedisWindows(link),
        RedisData(link),
        Ledger(log),
        link,
    )
    with live_server(config) as a, live_asgi(Arrivals(build_app(config, state=state), log)) as b:
        yield a.url, b.url, log
    state.close()


def names(response: httpx.Response) -> set[str]:
    assert response.status_code == 200
    return {found["name"] for found in response.json()["result"]}


def test_a_read_through_b_sees_a_write_acknowledged_through_a_while_b_was_reading(held_b):
    a_url, b_url, log = held_b
    with (
        httpx.Client(base_url=a_url, headers=AUTH, timeout=DEADLINE) as a,
        httpx.Client(base_url=b_url, headers=AUTH, timeout=DEADLINE) as b,
        concurrent.futures.ThreadPoolExecutor(2) as pool,
    ):
        assert "Fresh" not in names(b.get(LISTS))
        log.hold = True
        early = pool.submit(b.get, LISTS)  # B reads the log, and that read is held
        assert log.holding.wait(DEADLINE)
        assert a.post(LISTS, json={"name": "Fresh"}).status_code == 201
        reads = log.blocking_reads
        late = pool.submit(b.get, LISTS, headers={"x-late": "1"})
        assert "Fresh" in names(late.result(DEADLINE)), "B answered from a read sent before"
        assert log.blocking_reads == reads, "the late request read the log for itself"
        names(early.result(DEADLINE))


def test_each_read_through_b_sees_the_write_before_it_while_others_read(
    redis_server: RedisServer, prefix: str
):
    config = ServeConfig(apis=("sendgrid",), state_url=redis_server.url, state_prefix=prefix)
    stop = threading.Event()
    with live_server(config) as a_server, live_server(config) as b_server:
        a = httpx.Client(base_url=a_server.url, headers=AUTH, timeout=DEADLINE)
        b = httpx.Client(base_url=b_server.url, headers=AUTH, timeout=DEADLINE)

        def keep_reading() -> None:
            with httpx.Client(base_url=b_server.url, headers=AUTH, timeout=DEADLINE) as other:
                while not stop.is_set():
                    names(other.get(LISTS))

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            readers = [pool.submit(keep_reading) for _ in range(3)]
            try:
                for i in range(25):
                    assert a.post(LISTS, json={"name": f"list {i}"}).status_code == 201
                    assert f"list {i}" in names(b.get(LISTS)), f"write {i} missed"
            finally:
                stop.set()
            for reader in readers:
                reader.result(DEADLINE)
        a.close()
        b.close()


def settling(app: Any) -> dict[str, bool]:
    """operationId -> whether its requests settle the write log first."""
    endpoints = [*app.table.exact.values(), *(e for _, e in app.table.templated)]
    return {p.operation.operation_id: p.settles for e in endpoints for p in e.pipelines.values()}


def test_a_shared_state_settles_only_the_operations_that_read_the_writes(
    redis_server: RedisServer, prefix: str
):
    state = redis_state(redis_server.url, prefix=prefix)
    try:
        shared = settling(build_app(ServeConfig(), state=state))
    finally:
        state.close()
    assert shared["ListLists"] and shared["CreateSegmentV2"] and shared["GetContact"]
    assert not shared["ListSegment"] and not shared["GetSegment"]  # they may lag (memoized)
    assert not shared["ListFieldDefinitions"]  # reads nothing requests write
    assert not any(v for op, v in shared.items() if not op[0].isupper())  # ActionHub's
    assert not any(settling(build_app(ServeConfig())).values())  # an in-process log is current


def test_the_field_definitions_read_no_log_while_nothing_is_written(held_b):
    """Their answer is the data version's (no write changes it): the engine memo serves them
    with a shared log too, so once warm, reads through B read no log."""
    _, b_url, log = held_b
    with httpx.Client(base_url=b_url, headers=AUTH, timeout=DEADLINE) as b:
        answers = [b.get("/v3/marketing/field_definitions") for _ in range(3)]
        warmed = log.blocking_reads  # the misses that sync the log, storing the memo
        answers += [b.get("/v3/marketing/field_definitions") for _ in range(5)]
    assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
    assert log.blocking_reads == warmed
