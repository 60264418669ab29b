"""Graceful shutdown: SIGTERM lets the request in flight finish, then the process exits 0."""

from __future__ import annotations

import select
import signal

import pytest

from tests.reliability.conftest import RawClient, request_bytes
from tests.reliability.serve import ServeProcess

#: Slow (serve subprocesses and signals): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

HEALTH = request_bytes("GET", b"/__mockserver/health")  # control plane: never delayed


def test_sigterm_finishes_the_request_in_flight_and_exits_0():
    with ServeProcess("--latency", "1000") as served:
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
