"""Issue 11, reproductions 1 and 2: data loads that used to run away, and loads that outlived
their request. Each against ``mockserver serve`` (a subprocess), each while a concurrent client
measures its answers (p99 < 100 ms) and with the data answering byte for byte as before.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from mockserver.resources import bundled_dir
from tests.conftest import JSON
from tests.processes import MockProcess
from tests.reliability.attack import TRIPLE_JOIN, ConcurrentClient, canonical_of
from tests.reliability.conftest import RawClient, snapshot

pytestmark = pytest.mark.slow

LOAD_TIMEOUT = 3.0
DATA = "/__mockserver/data/{}"
YAML = {"content-type": "application/yaml"}


def bundled(api: str) -> dict[str, Any]:
    path = {"sendgrid": "sendgrid/world.yaml", "actionhub": "actionhub/demo.yaml"}[api]
    return yaml.safe_load((bundled_dir("fixtures") / path).read_text())


def alias_bomb() -> bytes:
    """Nine levels of nine aliases: ~350 bytes that expand to 9^9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def mock_process() -> Iterator[MockProcess]:
    with MockProcess("--load-timeout", str(LOAD_TIMEOUT)) as server:
        yield server


@pytest.fixture()
def before(mock_process: MockProcess) -> Iterator[tuple[list, dict]]:
    """The canonical answers before the test; after it they must be byte-identical."""
    requests, answers = canonical_of(mock_process.url)
    yield requests, answers
    assert snapshot(mock_process.url, requests) == answers


def put(url: str, api: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as client:
        return client.put(DATA.format(api), **kwargs)


def refused(response: httpx.Response, status: int, limit: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert body["limit"] == limit and "nothing was changed" in body["error"], body
    return body


def test_a_runaway_query_is_stopped_at_the_load_timeout(mock_process, before):
    document = bundled("sendgrid")
    document["segments"] = [{"name": "Triple join", "query": TRIPLE_JOIN}]
    with ConcurrentClient(mock_process.url) as client:
        started = time.monotonic()
        response = put(mock_process.url, "sendgrid", json=document, headers=JSON)
        took = time.monotonic() - started
    refused(response, 408, "--load-timeout")
    # The answer comes once the build thread has given up: the work stopped, not abandoned.
    assert LOAD_TIMEOUT <= took < LOAD_TIMEOUT + 3, took
    mock_process.wait_for("sendgrid data load stopped after --load-timeout")
    client.assert_served(at_least=10)


def test_an_alias_bomb_is_refused_before_it_expands(mock_process, before):
    rss = mock_process.rss_kb()
    with ConcurrentClient(mock_process.url) as client:
        for api in ("sendgrid", "actionhub") * 10:
            refused(
                put(mock_process.url, api, content=alias_bomb(), headers=YAML), 413, "YAML aliases"
            )
    assert mock_process.rss_kb() - rss < 50_000  # not the 2.9 GB the expansion would take
    client.assert_served(at_least=10)


@pytest.mark.parametrize(
    ("api", "change", "limit"),
    [
        ("sendgrid", {"contacts": {"count": 1_000_000_000}}, "contacts.count"),
        ("sendgrid", {"engagement": {"campaigns": 1000}}, "contacts.count x engagement.campaigns"),
        (
            "actionhub",
            {"users": {"count": 1_000_000, "recommendations_per_user": 1000}},
            "recommendations",
        ),
        ("actionhub", {"users": {"count": 10**9}}, "users.count"),
    ],
)
def test_a_tiny_document_asking_for_a_huge_world_is_refused(
    mock_process, before, api, change, limit
):
    document = bundled(api)
    for key, value in change.items():
        document[key] = {**document.get(key, {}), **value}
    if limit == "contacts.count x engagement.campaigns":
        document["contacts"]["count"] = 500_000
    with ConcurrentClient(mock_process.url) as client:
        for _ in range(5):
            response = put(mock_process.url, api, json=document, headers=JSON)
            refused(response, 413, limit)
    client.assert_served(at_least=5)


def test_twenty_thousand_lists_are_refused_by_the_list_limit(mock_process, before):
    document = bundled("sendgrid")
    document["lists"] = [{"key": f"list-{i}", "name": f"List {i}"} for i in range(20_000)]
    with ConcurrentClient(mock_process.url) as client:
        started = time.monotonic()
        body = refused(put(mock_process.url, "sendgrid", json=document, headers=JSON), 413, "lists")
        assert time.monotonic() - started < LOAD_TIMEOUT  # not the quadratic check's 7 s
    assert body["reasons"] == [
        "fixtures document: lists: more than 1,000 items (docs/sendgrid-fixtures.md, Limits)"
    ]
    client.assert_served(at_least=1)


def big_yaml(size: int) -> bytes:
    """A valid YAML document of about ``size`` bytes (lots of small nodes: slow to parse)."""
    row = b"  - {key: some-list, name: A list of contacts, share: 0.5}\n"
    return b"lists:\n" + row * (size // len(row))


def test_a_large_yaml_document_is_parsed_off_the_event_loop(mock_process, before):
    document = big_yaml(3_900_000)  # under --max-load-bytes (4 MiB); libyaml takes seconds
    with ConcurrentClient(mock_process.url) as client:
        for _ in range(2):
            response = put(mock_process.url, "sendgrid", content=document, headers=YAML)
            assert response.status_code in (400, 408, 413), response.text[:300]
    client.assert_served(at_least=20)


def test_a_body_past_max_load_bytes_is_refused_without_being_read(mock_process, before):
    rss = mock_process.rss_kb()
    with ConcurrentClient(mock_process.url) as client:
        # Declared: refused from the Content-Length, before a byte of the 50 MB is read.
        raw = RawClient(mock_process.port)
        with raw.connect() as sock:
            sock.sendall(
                b"PUT /__mockserver/data/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/yaml\r\nContent-Length: 52428800\r\n\r\n" + b"a" * 1000
            )
            answer = raw.read(sock, "PUT")
        assert answer.status == 413, answer
        assert json.loads(answer.body)["limit"] == "--max-load-bytes"

        # Streamed (chunked, no length): refused once it passes the limit.
        def chunks() -> Iterator[bytes]:
            for _ in range(64):
                yield b"x" * 2**20

        response = put(mock_process.url, "sendgrid", content=chunks(), headers=YAML)
        refused(response, 413, "--max-load-bytes")
    assert mock_process.rss_kb() - rss < 50_000
    client.assert_served(at_least=5)


def slow_world() -> dict[str, Any]:
    """A valid world that takes seconds to build (many contacts), within the limits."""
    document = bundled("sendgrid")
    document["contacts"]["count"] = 400_000
    return document


def test_a_load_whose_client_disconnects_never_lands_even_after_a_reset(mock_process, before):
    body = json.dumps(slow_world()).encode()
    with ConcurrentClient(mock_process.url) as client:
        with socket.create_connection(("127.0.0.1", mock_process.port), timeout=10) as sock:
            sock.sendall(
                b"PUT /__mockserver/data/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            mock_process.wait_for("sendgrid data load: building version")
        # The client gave up: the build stops at once, and a reset after it finds nothing late.
        mock_process.wait_for("sendgrid data load stopped: the client disconnected")
        with httpx.Client(base_url=mock_process.url, timeout=10) as http:
            assert http.post("/__mockserver/reset", headers=JSON).status_code == 200
    client.assert_served(at_least=10)


def test_a_load_overtaken_by_a_newer_one_stops_and_never_lands(mock_process, before):
    slow = json.dumps(slow_world()).encode()
    with (
        ConcurrentClient(mock_process.url) as client,
        httpx.Client(base_url=mock_process.url, timeout=60) as http,
    ):
        with socket.create_connection(("127.0.0.1", mock_process.port), timeout=60) as sock:
            sock.sendall(
                b"PUT /__mockserver/data/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: " + str(len(slow)).encode() + b"\r\n\r\n" + slow
            )
            mock_process.wait_for("sendgrid data load: building version")
            newer = http.put(DATA.format("sendgrid"), json=bundled("sendgrid"), headers=JSON)
            assert newer.status_code == 200
            older = RawClient(mock_process.port).read(sock, "PUT")  # head and body may come apart
        assert older.status == 409, older
        assert b"a newer load began" in older.body
    client.assert_served(at_least=10)
    # The newer load was the seed world itself: same bytes as before (checked by `before`).
