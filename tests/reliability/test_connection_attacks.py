"""Issue 11, reproductions 4, 5 and 6: forwarded headers believed from the environment, huge
headers kept in the journal, idle sockets locking new clients out. Against ``mockserver serve``,
each while a concurrent client measures its answers and with the data unchanged afterwards.
"""

from __future__ import annotations

import json
import resource
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.processes import MockProcess
from tests.reliability.attack import ConcurrentClient, canonical_of
from tests.reliability.conftest import RawClient, request_bytes, snapshot

pytestmark = pytest.mark.slow

REQUESTS = "/__mockserver/requests"
PROG = b"program-id: demo"


@pytest.fixture(scope="module")
def mock_process() -> Iterator[MockProcess]:
    with MockProcess("--header-timeout", "1") as server:
        yield server


@pytest.fixture()
def before(mock_process: MockProcess) -> Iterator[None]:
    requests, answers = canonical_of(mock_process.url)
    yield
    assert snapshot(mock_process.url, requests) == answers


def test_ten_megabytes_of_headers_are_refused_431_before_they_are_kept(mock_process, before):
    raw = RawClient(mock_process.port)
    rss = mock_process.rss_kb()
    with ConcurrentClient(mock_process.url) as client:
        for _ in range(20):
            with raw.connect() as sock:
                sock.sendall(b"GET /segments HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
                try:
                    for _ in range(160):  # 10 MB, unless the server stops reading first
                        sock.sendall(b"a" * 65536)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                answer = raw.read(sock)
            assert answer.status == 431, answer
            assert b"--max-header-bytes" in answer.body
    assert mock_process.rss_kb() - rss < 50_000
    client.assert_served(at_least=10)


def test_ten_megabytes_of_trailers_are_refused_431_and_never_kept(mock_process, before):
    """Issue 22 item 2 served: trailer fields after a chunked body count against
    --max-header-bytes (431), are never kept as headers, and a concurrent client is unaffected."""
    raw = RawClient(mock_process.port)
    rss = mock_process.rss_kb()
    head = b"GET /segments HTTP/1.1\r\nHost: 127.0.0.1\r\nprogram-id: demo\r\n"
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
    with ConcurrentClient(mock_process.url) as client:
        for _ in range(10):
            with raw.connect() as sock:
                sock.sendall(chunked + b"X-Trailer: ")
                try:
                    for _ in range(160):  # 10 MB of one trailer, unless the server stops first
                        sock.sendall(b"t" * 65536)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                answer = raw.read(sock)
            assert answer.status in (200, 431), answer  # the answer may leave before the trailer
    assert mock_process.rss_kb() - rss < 50_000
    client.assert_served(at_least=10)
    with httpx.Client(base_url=mock_process.url, timeout=10) as http:
        entries = http.get(REQUESTS, params={"path": "/segments"}).json()["requests"]
    assert not any("x-trailer" in entry["headers"] for entry in entries)


def test_journal_entries_keep_at_most_journal_entry_bytes_marked(mock_process, before):
    raw = RawClient(mock_process.port)
    with httpx.Client(base_url=mock_process.url, timeout=10) as http:
        http.delete(REQUESTS, headers={"content-type": "application/json"})
        with ConcurrentClient(mock_process.url) as client:
            for index in range(300):  # each ~30 KB of headers, under --max-header-bytes
                headers = [b"X-Pad-%d: %s" % (n, b"p" * 3000) for n in range(10)]
                answer = raw.exchange(
                    request_bytes("GET", b"/segments?n=%d" % index, PROG, *headers)
                )
                assert answer.status == 200
        journal = http.get(REQUESTS, params={"path": "/segments"})
    entries = journal.json()["requests"]
    big = [entry for entry in entries if entry["query"].startswith("n=")]
    assert len(big) == 300
    for entry in big:
        kept = sum(len(name) + len(value) + 4 for name, value in entry["headers"].items())
        assert kept <= 8192, kept
        assert any("--journal-entry-bytes" in warning for warning in entry["warnings"])
    assert len(journal.content) < 300 * 12_000  # not the 300 x 30 KB that was sent
    client.assert_served(at_least=20)


def test_forwarded_headers_are_ignored_whatever_the_environment_says():
    forged = {"X-Forwarded-For": "203.0.113.9"}
    with (
        MockProcess(env={"FORWARDED_ALLOW_IPS": "*"}) as plain,
        httpx.Client(base_url=plain.url, timeout=10) as http,
    ):
        # The peer is loopback; the forged header does not make it remote (or local).
        assert http.get(REQUESTS, headers=forged).status_code == 200
    with (
        MockProcess("--trust-proxy", "127.0.0.1/32") as proxied,
        httpx.Client(base_url=proxied.url, timeout=10) as http,
    ):
        # Behind a trusted proxy, the proxy's word counts: that client is remote.
        refused = http.get(REQUESTS, headers=forged)
        assert refused.status_code == 403
        assert "loopback" in refused.json()["error"]
        assert http.get(REQUESTS).status_code == 200


def hold_open(port: int, count: int, stop: threading.Event, held: list[int]) -> None:
    """Keep ``count`` idle connections open, reopening those the server closes; ``held``
    records how many were open at each round."""
    sockets: dict[int, socket.socket] = {}
    poller = select.poll()
    while not stop.is_set():
        while len(sockets) < count and not stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                break
            sockets[sock.fileno()] = sock
            poller.register(sock, select.POLLIN)
        held.append(len(sockets))
        for fd, _ in poller.poll(100):  # readable while idle: the server closed it
            poller.unregister(fd)
            sockets.pop(fd).close()
    for sock in sockets.values():
        sock.close()


def test_eleven_hundred_idle_sockets_under_a_1024_descriptor_limit_lock_nobody_out():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2048:
        pytest.skip(f"this test opens 1,100 sockets itself; its descriptor limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    try:
        with MockProcess(descriptors=1024) as mock_process:
            requests, answers = canonical_of(mock_process.url)
            stop, held = threading.Event(), []
            attacker = threading.Thread(
                target=hold_open, args=(mock_process.port, 1100, stop, held)
            )
            attacker.start()
            try:
                with ConcurrentClient(mock_process.url, fresh=True) as client:
                    time.sleep(8)  # how long the attack lasts (the client measures it)
            finally:
                stop.set()
                attacker.join()
            assert max(held) == 1100  # the attack did hold its 1,100 sockets
            client.assert_served(at_least=50)
            assert snapshot(mock_process.url, requests) == answers
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_connection_without_a_complete_head_is_closed_after_the_header_timeout(mock_process):
    raw = RawClient(mock_process.port)
    with raw.connect() as idle, raw.connect() as slow:
        slow.sendall(b"GET /segments HTTP/1.1\r\nprogram-id: de")  # slowloris: never finishes
        started = time.monotonic()
        for sock in (idle, slow):
            sock.settimeout(10)
            assert sock.recv(1) == b""  # closed by the server
        assert time.monotonic() - started < 5  # --header-timeout 1, swept once a second
    # A client that answers in time is served as ever.
    answer = raw.exchange(request_bytes("GET", b"/segments", PROG))
    assert answer.status == 200
    json.loads(answer.body)
