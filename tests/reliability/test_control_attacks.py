"""Issue 11, reproductions 3 and 7: a web page driving the control plane, and what the journal
and the log give away. Against ``mockserver serve``, while a concurrent client is measured and
with the data, scenarios and journal unchanged by every refused call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import MockProcess
from tests.reliability.attack import ConcurrentClient, canonical_of
from tests.reliability.conftest import RawClient, request_bytes, snapshot

pytestmark = pytest.mark.slow

CONTROL = "/__mockserver"
EVIL = "https://evil.example"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def mock_process() -> Iterator[MockProcess]:
    with MockProcess() as server:
        yield server


def test_a_web_page_cannot_drive_or_read_the_control_plane(mock_process):
    requests, answers = canonical_of(mock_process.url)
    raw = RawClient(mock_process.port)
    host = f"127.0.0.1:{mock_process.port}".encode()
    raw.exchange(request_bytes("GET", b"/segments?marker=kept", b"program-id: demo"))
    attacks = {
        # The preflight a page's fetch() needs first: no CORS answer, no private-network grant.
        "preflight": request_bytes(
            "OPTIONS",
            b"/__mockserver/reset",
            b"Host: " + host,
            b"Origin: " + EVIL.encode(),
            b"Access-Control-Request-Method: POST",
            b"Access-Control-Request-Private-Network: true",
            host=False,
        ),
        # A cross-site form: a simple POST no preflight protects.
        "form-post": request_bytes(
            "POST",
            b"/__mockserver/reset",
            b"Host: " + host,
            b"Origin: " + EVIL.encode(),
            b"Content-Type: application/x-www-form-urlencoded",
            b"Content-Length: 3",
            body=b"a=1",
            host=False,
        ),
        # fetch(url, {method: "POST", mode: "no-cors"}) with a text body.
        "no-cors-text": request_bytes(
            "POST",
            b"/__mockserver/reset",
            b"Host: " + host,
            b"Origin: " + EVIL.encode(),
            b"Content-Type: text/plain",
            b"Content-Length: 2",
            body=b"{}",
            host=False,
        ),
        # DNS rebinding: the page's own name now resolves to 127.0.0.1; same origin to it.
        "rebinding-read": request_bytes(
            "GET",
            b"/__mockserver/requests",
            b"Host: evil.example:%d" % mock_process.port,
            host=False,
        ),
        "rebinding-reset": request_bytes(
            "POST",
            b"/__mockserver/reset",
            b"Host: evil.example:%d" % mock_process.port,
            b"Origin: http://evil.example:%d" % mock_process.port,
            b"Content-Type: application/json",
            b"Content-Length: 2",
            body=b"{}",
            host=False,
        ),
    }
    with ConcurrentClient(mock_process.url) as client:
        for name, attack in attacks.items():
            for _ in range(10):
                answer = raw.exchange(attack, "OPTIONS" if name == "preflight" else "GET")
                assert answer.status == 403, (name, answer.status, answer.body[:200])
                assert not any(key.startswith("access-control-") for key in answer.headers), name
                assert "error" in answer.body.decode()
    client.assert_served(at_least=20)
    with httpx.Client(base_url=mock_process.url, timeout=10) as http:
        marker = http.get(f"{CONTROL}/requests", params={"path": "/segments"}).json()
    assert any(entry["query"] == "marker=kept" for entry in marker["requests"])  # no reset
    assert snapshot(mock_process.url, requests) == answers


def test_listed_origins_may_call_the_control_plane_and_the_data_plane_keeps_its_cors():
    page = "http://localhost:5173"
    with (
        MockProcess("--control-origin", page) as mock_process,
        httpx.Client(base_url=mock_process.url, timeout=10) as http,
    ):
        preflight = http.options(
            f"{CONTROL}/reset",
            headers={"Origin": page, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == page
        reset = http.post(f"{CONTROL}/reset", headers={"Origin": page, **JSON})
        assert reset.status_code == 200 and reset.headers["access-control-allow-origin"] == page
        other = http.post(f"{CONTROL}/reset", headers={"Origin": EVIL, **JSON})
        assert other.status_code == 403 and "--control-origin" in other.json()["error"]
        vendor = http.get(
            "/v3/marketing/segments",
            headers={"Origin": EVIL, "Authorization": "Bearer SG." + "a" * 22 + "." + "b" * 43},
        )
        assert vendor.headers["access-control-allow-origin"] == "*"  # the vendor APIs' CORS


SECRETS = {
    "X-Auth": "xauth-secret-0001",
    "Authentication": "authn-secret-0002",
    "X-Amz-Security-Token": "amz-secret-0003",
    "X-Api-Key": "apikey-secret-0004",
}


def test_credentials_are_masked_by_name_and_log_lines_cannot_be_forged():
    token = "control-token-secret-0005"
    with MockProcess(env={"MOCKSERVER_CONTROL_TOKEN": token}) as mock_process:
        requests, answers = canonical_of(mock_process.url)
        cmdline = Path(f"/proc/{mock_process.process.pid}/cmdline").read_bytes()
        assert token.encode() not in cmdline  # not visible in ps
        raw = RawClient(mock_process.port)
        with ConcurrentClient(mock_process.url) as client:
            headers = [f"{name}: {value}".encode() for name, value in SECRETS.items()]
            target = b"/segments?api%5Fkey=query-secret-0006&Client_Secret=query-secret-0007"
            for _ in range(20):
                raw.exchange(request_bytes("GET", target, b"program-id: demo", *headers))
                # A newline in the path would start a forged line; ESC drives the terminal.
                raw.exchange(request_bytes("GET", b"/x%0aINFO%20mockserver.access:%20forged"))
                raw.exchange(request_bytes("GET", b"/y%1b[31mred"))
        client.assert_served(at_least=10)
        with httpx.Client(base_url=mock_process.url, timeout=10) as http:
            journal = http.get(
                f"{CONTROL}/requests",
                params={"path": "/segments"},
                headers={"X-Mockserver-Token": token},
            ).text
        mock_process.wait_for("/y")
        log = "".join(mock_process.lines)
        assert snapshot(mock_process.url, requests) == answers
    for secret in [*SECRETS.values(), "query-secret-0006", "query-secret-0007", token]:
        assert secret not in journal, secret
        assert secret not in log, secret
    assert not re.search(r"^INFO mockserver.access: forged", log, re.M)
    assert "/x\\x0aINFO mockserver.access: forged" in log
    assert "\x1b" not in log and "/y\\x1b[31mred" in log
