"""Graceful shutdown: SIGTERM lets the request in flight finish, then the process exits 0."""

from __future__ import annotations

import json
import select
import signal
import time

import pytest
import yaml

from mockserver.resources import bundled_dir
from tests.processes import MockProcess
from tests.reliability.attack import TRIPLE_JOIN
from tests.reliability.conftest import RawClient, request_bytes

#: Slow (serve subprocesses and signals): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

HEALTH = request_bytes("GET", b"/__mockserver/health")  # control plane: never delayed


def test_sigterm_finishes_the_request_in_flight_and_exits_0():
    with MockProcess("--latency", "1000") as served:
        raw = RawClient(served.port)
        with raw.connect() as slow, raw.connect() as probe:
            for sock in (slow, probe):  # both connections accepted and known to the server
                sock.sendall(HEALTH)
                assert raw.read(sock).status == 200
            slow.sendall(request_bytes("GET", b"/segments", b"program-id: demo"))
            # The server reads ready sockets in order: once `probe`, written after `slow`, is
            # answered, the request on `slow` has been read and is waiting out its latency.
            probe.sendall(HEALTH)
            assert raw.read(probe).status == 200
            assert select.select([slow], [], [], 0)[0] == [], "answered before the signal"
            served.process.send_signal(signal.SIGTERM)
            answer = raw.read(slow)  # a cut-off body would raise IncompleteRead
        assert answer.status == 200
        assert int(answer.headers["content-length"]) == len(answer.body) > 0
        assert served.process.wait(timeout=served.timeout) == 0
        served.wait_for("Finished server process")


#: SIGTERM must end the process within this many seconds, whatever runs.
EXIT_WITHIN = 5.0


def runaway_load(port: int) -> bytes:
    world = yaml.safe_load((bundled_dir("fixtures") / "sendgrid" / "world.yaml").read_text())
    world["segments"] = [{"name": "Triple join", "query": TRIPLE_JOIN}]
    body = json.dumps(world).encode()
    return (
        b"PUT /__mockserver/data/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_exits_0_within_5_s_whatever_runs(workers):
    """A load stuck in a query for hours, a request in flight for a minute, idle keep-alive
    connections: SIGTERM still ends the process, with exit status 0, in under 5 s."""
    flags = ("--load-timeout", "600")
    with MockProcess(*flags, workers=workers) as served:
        raw = RawClient(served.port)
        slow_fault = request_bytes(
            "PUT",
            b"/__mockserver/faults/actionhub/get_segments_segments_get",
            b"Content-Type: application/json",
            b"Content-Length: 18",
            body=b'{"latency": 60000}',
        )
        with raw.connect() as idle, raw.connect() as stuck, raw.connect() as slow:
            idle.sendall(HEALTH)
            assert raw.read(idle).status == 200  # kept alive, idle
            stuck.sendall(runaway_load(served.port))
            served.wait_for("sendgrid data load: building version")
            if workers == 1:  # faults are per process: set where the slow request will go
                answer = raw.exchange(slow_fault, "PUT")
                assert answer.status == 200, answer
                slow.sendall(request_bytes("GET", b"/segments", b"program-id: demo"))
            started = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            code = served.process.wait(timeout=30)
            took = time.monotonic() - started
    print(f"SIGTERM with workers={workers}: exit {code} after {took:.2f} s")
    assert code == 0
    assert took < EXIT_WITHIN, took
