"""Issue 25: a shared journal answers before its record is stored, and a reader still finds every
request answered before its read, on the replica that answered it or on another one.

The replica that answers here holds its records (its writer waits at a gate) until it is asked
to store what it holds: a read that did not ask would miss them, every time, instead of losing
a race now and then.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.control import actions
from mockserver.journal.masking import Masker
from mockserver.state.ledger import Ledger
from mockserver.state.redis import RedisState, redis_state
from mockserver.state.redis.journal import FLUSH, FLUSHED, TOKEN_BYTES, RedisJournal
from mockserver.state.redis.link import Link
from mockserver.state.redis.overrides import RedisOverrides
from mockserver.state.redis.stores import RedisData, RedisWindows
from mockserver.state.redis.writes import RedisWriteLog
from mockserver.testing import LiveServer
from tests.conftest import PROGRAM
from tests.state.redis_server import RedisServer
from tests.state.replicas import wait_until
from tests.state.test_hostile_entries import record

CONFIG = ServeConfig(apis=("actionhub",))
TARGET = "/segments?segment_basis=labels"


class GatedLink(Link):
    """A link whose asyncio calls (the journal writer's) wait until ``gate`` is set."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(url, prefix)
        self.gate = threading.Event()

    async def hot_async(
        self, call: Callable[[], Awaitable[Any]], fallback: Callable[[], Any], refused: Any = None
    ) -> Any:
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        return await super().hot_async(call, fallback, refused)


class HeldJournal(RedisJournal):
    """Stores nothing until this process is asked to store what it holds (by its own reader or
    by another replica's, through the channel)."""

    link: GatedLink

    async def settled(self) -> None:
        self.link.gate.set()
        await super().settled()


def held_state(url: str, prefix: str) -> RedisState:
    """``redis_state`` with the held journal: the state of the replica that answers."""
    link = GatedLink(url, prefix)
    return RedisState(
        HeldJournal(link, 100),
        RedisOverrides(link, 0, None),
        RedisWindows(link),
        RedisData(link),
        Ledger(RedisWriteLog(link)),
        link,
    )


def served(state: RedisState) -> LiveServer:
    server = LiveServer(CONFIG, state=state)
    state.start()  # LiveServer runs without a lifespan
    return server.start()


@pytest.fixture()
def replicas(redis_server: RedisServer, prefix: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    """A (holds its records until asked) and B, one mock through one Redis prefix."""
    a = served(held_state(redis_server.url, prefix))
    b = served(redis_state(redis_server.url, prefix=prefix, journal_size=100))
    yield a, b
    for server in (a, b):
        server.stop()
        server.app.state.close()


def ask(server: LiveServer, target: str) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get(target, headers=PROGRAM).status_code == 200


def over_http(server: LiveServer) -> list[str]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        entries = http.get("/__mockserver/requests").json()["requests"]
    return [entry["query"] for entry in entries]


def in_process(server: LiveServer) -> list[str]:
    """As the pytest fixture reads it: the control action, from the test's thread."""
    return [entry.query for entry in actions.journal(server.app.control)]


READERS = {"the console or a test over HTTP": over_http, "a fixture in process": in_process}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("where", ["same replica", "other replica"])
def test_a_read_right_after_an_answer_shows_its_request(replicas, reader, where):
    a, b = replicas
    ask(a, TARGET + "&page=1")
    assert not a.app.state.link.gate.is_set(), "the answer waited for its record to be stored"
    assert reader(a if where == "same replica" else b) == ["segment_basis=labels&page=1"]


def test_every_request_answered_before_a_read_is_in_it_in_order(replicas):
    a, b = replicas
    sent = []
    for page in range(1, 7):
        ask((a, b)[page % 2], f"{TARGET}&page={page}")
        sent.append(f"segment_basis=labels&page={page}")
        assert over_http((b, a)[page % 2]) == sent  # read through the other replica each time


def test_a_clear_forgets_requests_answered_before_it(replicas):
    a, b = replicas
    ask(a, TARGET + "&page=1")
    assert b.app.state.journal.clear() == 1
    ask(a, TARGET + "&page=2")
    assert over_http(b) == ["segment_basis=labels&page=2"]
    assert len(b.app.state.journal) == 1


# -- the answer does not wait for the store ------------------------------------------------------
def asgi_get(target: str) -> dict[str, Any]:
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in PROGRAM.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def answered(app: MockApp, target: str) -> list[dict[str, Any]]:
    """Every message the app sends for one GET, once it has returned."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(asgi_get(target), receive, send)
    return sent


def test_an_answer_leaves_before_its_record_is_stored(redis_server, prefix):
    """Before issue 25 the answer's last byte waited until its record was in Redis."""
    state = redis_state(redis_server.url, prefix=prefix)
    app = build_app(CONFIG, state=state)
    raw = redis_server.client()

    async def scenario() -> list[tuple[int, Any]]:
        sent = await answered(app, TARGET)
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        assert sent[0]["status"] == 200 and sent[1]["body"]
        assert raw.xlen(f"{prefix}:journal") == 0  # answered; the record is not stored yet
        found = await asyncio.to_thread(state.journal.records)  # a reader waits for it
        await state.journal.aclose()
        return found

    try:
        ((_, record),) = asyncio.run(scenario())
        assert (record.path, record.query) == ("/segments", b"segment_basis=labels")
    finally:
        state.close()


def test_a_flush_request_not_sent_by_a_mock_is_not_answered(redis_server, prefix):
    """Anyone who reaches the store can publish on the channel: an oversized token gets no
    answer; a well-formed one sent after it does (a listener handles messages in order)."""
    state = redis_state(redis_server.url, prefix=prefix)
    state.attach({}, Masker())
    state.start()
    channel = f"{prefix}:events"
    raw = redis_server.client()
    listener = raw.pubsub(ignore_subscribe_messages=True)
    try:
        listener.subscribe(channel)
        wait_until(lambda: raw.pubsub_numsub(channel)[0][1] == 2, "the state and this test listen")
        raw.publish(channel, FLUSH + b"x" * (TOKEN_BYTES + 1))
        raw.publish(channel, FLUSH + b"outsider.1")
        seen: list[bytes] = []

        def answered() -> bool:
            message = listener.get_message(timeout=1)
            seen.extend([message["data"]] if message else [])
            return any(data.startswith(FLUSHED) for data in seen)

        wait_until(answered, "an answer")
        assert [data for data in seen if data.startswith(FLUSHED)] == [FLUSHED + b"outsider.1"]
    finally:
        listener.close()
        state.close()


class FoundAtOnce(Link):
    """A link whose store is back as soon as it is lost: the listener's probe, on its own
    thread, finding it between a failed call and what the caller makes of the failure."""

    def lost(self, exc: BaseException) -> None:
        super().lost(exc)
        self.found()


class DroppedOnce:
    """A client whose first script call finds its connection closed by the server (a stale
    connection to a store that restarted)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.dropped = False

    def eval(self, *args: Any) -> Any:
        if not self.dropped:
            self.dropped = True
            raise redis.ConnectionError("Connection closed by server.")
        return self.client.eval(*args)


def test_records_a_lost_store_kept_are_not_given_up_when_it_is_back_at_once(redis_server, prefix):
    link = FoundAtOnce(redis_server.url, prefix)
    link.fast = DroppedOnce(link.fast)
    journal = RedisJournal(link, 100)
    journal.append(record("/kept"))  # no loop: stored at once, or kept for when it can be
    journal.append(record("/next"))
    assert link.fast.dropped
    assert [r.path for _, r in journal.records()] == ["/kept", "/next"]


class AnsweredLost:
    """A client whose first script call the store carries out but whose answer is lost (a
    timeout, or the connection dropped once the store ran it)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.lost = False

    def eval(self, *args: Any) -> Any:
        found = self.client.eval(*args)
        if not self.lost:
            self.lost = True
            raise redis.TimeoutError("Timeout reading from socket")
        return found


def test_a_call_whose_answer_was_lost_stores_its_records_once(redis_server, prefix):
    link = FoundAtOnce(redis_server.url, prefix)
    link.fast = AnsweredLost(link.fast)
    journal = RedisJournal(link, 100)
    journal.append(record("/once"))  # stored, answer lost, sent again: skipped by the store
    journal.append(record("/next"))
    assert link.fast.lost
    found = journal.records()
    assert [r.path for _, r in found] == ["/once", "/next"]
    assert [i for i, _ in found] == sorted({i for i, _ in found})
