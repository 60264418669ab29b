"""The answer memo is consulted before security and parameters: its key holds everything they
read, so a repeat is answered exactly as the whole pipeline answered it - another credential is
judged anew, the warnings come back, an epoch change (SendGrid's rate-limit window) empties it,
and a memoized answer's prepared header list is never changed by what sends it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.serialize.reply import prepared, reply_headers, send_reply
from mockserver.testing import LiveServer
from mockserver.vendors.interface import Reply
from tests.conftest import JSON, Clock
from tests.sendgrid.conftest import SEGMENTS, bearer, sg_key


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(1_700_000_010.0)


@pytest.fixture(scope="module")
def served(clock: Clock) -> Iterator[LiveServer]:
    config = ServeConfig(apis=("sendgrid",))
    with LiveServer(config, clock=clock) as server:
        yield server


@pytest.fixture(scope="module")
def keyed() -> Iterator[LiveServer]:
    """Only two keys accepted: one with the scope the segment calls need, one without."""
    config = ServeConfig(
        apis=("sendgrid",),
        vendor_options={"sendgrid": {"keys": [sg_key("r"), f"{sg_key('w')}:mail.send"]}},
    )
    with LiveServer(config) as server:
        yield server


def test_another_credential_is_judged_anew_not_answered_from_the_memo(keyed):
    with httpx.Client(base_url=keyed.url) as http:
        for _ in range(2):  # the second answer comes from the memo
            assert http.get(SEGMENTS, headers=bearer(sg_key("r"))).status_code == 200
        assert http.get(SEGMENTS, headers=bearer(sg_key("w"))).status_code == 403
        assert http.get(SEGMENTS, headers=bearer(sg_key("x"))).status_code == 401
        assert http.get(SEGMENTS).status_code == 401
        assert http.get(SEGMENTS, headers=bearer(sg_key("r"))).status_code == 200


def test_an_epoch_change_empties_the_memo(served, clock):
    """X-RateLimit-Reset names the window: a repeat in the next window says the next end."""
    with httpx.Client(base_url=served.url, headers=bearer(sg_key("a"))) as http:
        first = [http.get(SEGMENTS).headers["x-ratelimit-reset"] for _ in range(2)]
        clock.now += 60
        later = [http.get(SEGMENTS).headers["x-ratelimit-reset"] for _ in range(2)]
    assert first == ["1700000040"] * 2
    assert later == ["1700000100"] * 2


def test_a_memoized_answer_keeps_its_warnings(served):
    pipeline = served.app.table.exact[SEGMENTS].pipelines["GET"]
    with httpx.Client(base_url=served.url, headers=bearer(sg_key("a"))) as http:
        http.delete("/__mockserver/requests", headers=JSON)
        answers = [http.get(SEGMENTS, params={"colour": "red"}) for _ in range(3)]
        journal = http.get("/__mockserver/requests").json()
    assert len(pipeline._answers) > 0
    assert all(a.headers.get_list("x-mockserver-warning") for a in answers)
    assert len({a.headers["x-mockserver-warning"] for a in answers}) == 1
    warned = [entry for entry in journal["requests"] if entry["path"] == SEGMENTS]
    assert len(warned) == 3 and all(entry["warnings"] for entry in warned)


def test_sending_a_memoized_answer_never_changes_it():
    """A sender may add to the header list it is handed (middleware does): a copy, never the
    prepared list the memo keeps."""
    ready = prepared(Reply(200, b"{}", headers=(("X-Kept", "1"),)))
    sent: list[list[tuple[bytes, bytes]]] = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            message["headers"].append((b"x-added", b"by a sender"))
            sent.append(list(message["headers"]))

    for _ in range(3):
        asyncio.run(send_reply(send, ready))
    assert [names.count((b"x-added", b"by a sender")) for names in sent] == [1, 1, 1]
    assert ready.wire == reply_headers(ready) and ready == Reply(200, b"{}", headers=ready.headers)


def test_with_a_rate_limit_nothing_is_memoized():
    config = ServeConfig(apis=("sendgrid",), vendor_options={"sendgrid": {"rate_limit": 5}})
    with LiveServer(config, clock=Clock(1_700_000_010.0)) as server:
        with httpx.Client(base_url=server.url, headers=bearer(sg_key("a"))) as http:
            remaining = [http.get(SEGMENTS).headers["x-ratelimit-remaining"] for _ in range(5)]
        assert remaining == ["4", "3", "2", "1", "0"]
        pipeline = server.app.table.exact[SEGMENTS].pipelines["GET"]
        assert len(pipeline._answers) == 0
