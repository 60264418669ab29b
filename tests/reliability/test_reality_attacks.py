"""The reality loop under hostile input (issue 22, items 1, 4, 5, 8-12): ``verify`` keeps its
credential on its host and sends no write; cassettes are masked whole and refused when they
would frame an answer; the proxy invents no framing and passes no trailer; journal cuts land on
character boundaries; nothing shows a secret."""

from __future__ import annotations

import asyncio
import http.client
import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote_to_bytes

import httpx
import orjson
import pytest

from mockserver.errors import DataError
from mockserver.reality.cassette import parse_cassette
from mockserver.reality.options import VerifyOptions
from mockserver.reality.verify import run
from mockserver.testing import ThreadedServer
from tests.conftest import AUTH, SENDGRID_KEY
from tests.harness import live_asgi, live_server, mock_app
from tests.reality.conftest import StallingServer, closed_port_url, running_proxy

SEGMENTS = "/v3/marketing/segments"
REAL_KEY = "SG." + "r" * 22 + "." + "k" * 43
#: The headers every SendGrid answer carries (its spec requires them).
RATE_LIMITS = [
    (b"x-ratelimit-limit", b"600"),
    (b"x-ratelimit-remaining", b"599"),
    (b"x-ratelimit-reset", b"1999999999"),
]


class Scripted:
    """An upstream answering every request with ``(status, headers, body)`` and noting
    ``(method, path)`` of each."""

    def __init__(self, status: int = 200, body: bytes = b'{"results": []}', **headers: str):
        self.status, self.body = status, body
        self.headers = [(b"content-type", b"application/json"), *RATE_LIMITS] + [
            (name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()
        ]
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope, receive, send) -> None:
        assert scope["type"] == "http"
        self.seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def verify(base_url: str, **options) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    chosen = VerifyOptions(api="sendgrid", base_url=base_url, rate_limit="off", **options)
    code = run(chosen, {"SENDGRID_API_KEY": REAL_KEY}, out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def journal_export(tmp_path: Path, *entries: tuple[str, str]) -> Path:
    path = tmp_path / "requests.json"
    requests = [
        {"method": method, "path": path_, "query": "", "headers": {"authorization": "Bearer ***"}}
        for method, path_ in entries
    ]
    path.write_bytes(orjson.dumps({"count": len(requests), "requests": requests}))
    return path


# -- item 1: verify keeps its credential on the base URL's host, and replays no write ------------
def test_verify_sends_no_credential_to_another_host(tmp_path):
    catcher, deployment = Scripted(), Scripted()
    with live_asgi(catcher) as other, live_asgi(deployment) as real:
        elsewhere = other.url.removeprefix("http://")
        export = journal_export(
            tmp_path,
            ("GET", f"@{elsewhere}{SEGMENTS}"),
            ("GET", f"//{elsewhere}{SEGMENTS}"),
            ("GET", f"{elsewhere.rpartition(':')[2]}{SEGMENTS}"),
            ("GET", SEGMENTS),
        )
        code, output = verify(real.url, requests=export)
    assert catcher.seen == []
    assert deployment.seen == [("GET", SEGMENTS)]
    assert output.count("REFUSED") == 3 and "does not start with a single /" in output
    assert "Traceback" not in output and code in (0, 1)


@pytest.mark.parametrize(
    ("base", "path"),
    [
        ("http://127.0.0.1:48", "40/v3/marketing/segments"),
        ("https://api.sendgrid.com", ".evil.example/v3/marketing/segments"),
        ("https://api.sendgrid.com", "@evil.example/v3"),
        ("https://api.sendgrid.com", "//evil.example/v3"),
    ],
)
def test_a_recorded_path_cannot_change_the_host(base, path):
    from mockserver.reality.verify import target

    assert isinstance(target(base, "GET", path, "", writes=False), str)
    assert str(target(base, "GET", "/v3/x", "a=1", writes=False)) == f"{base}/v3/x?a=1"


def test_verify_replays_writes_only_when_allowed(tmp_path):
    deployment = Scripted()
    export = journal_export(
        tmp_path, ("DELETE", f"{SEGMENTS}/x"), ("POST", SEGMENTS), ("GET", SEGMENTS)
    )
    with live_asgi(deployment) as real:
        _, output = verify(real.url, requests=export)
        assert deployment.seen == [("GET", SEGMENTS)]
        assert "REFUSED  DELETE" in output and "--allow-writes" in output
        verify(real.url, requests=export, allow_writes=True)
    assert sorted(method for method, _ in deployment.seen) == ["DELETE", "GET", "GET", "POST"]


def test_the_allow_writes_flag():
    from mockserver.cli import parser
    from mockserver.cli.flags import options

    argv = ["verify", "--api", "sendgrid", "--base-url", "http://x", "--requests", "f"]
    assert options(parser().parse_args(argv), VerifyOptions).allow_writes is False
    assert (
        options(parser().parse_args([*argv, "--allow-writes"]), VerifyOptions).allow_writes is True
    )


# -- item 11: a journal read is bounded in size and in time ---------------------------------------
async def endless(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for _ in range(4096):  # 256 MiB at most: past the cap, well before the end
        await send({"type": "http.response.body", "body": b" " * 65536, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def trickle(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for _ in range(100):  # 20 s of one byte every 0.2 s: the server's pace, not a wait
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(0.2)
    await send({"type": "http.response.body", "body": b"[]"})


@pytest.mark.parametrize(
    ("app", "timeout", "why"), [(endless, 30.0, "over"), (trickle, 1.0, "longer than 1 s")]
)
def test_verify_from_journal_reads_a_bounded_answer(app, timeout, why):
    with live_asgi(app) as journal:
        started = time.monotonic()
        code, output = verify("http://127.0.0.1:9", from_journal=journal.url, timeout=timeout)
        took = time.monotonic() - started
    assert code == 2 and why in output, output
    assert took < timeout + 5  # the cap, or the deadline (plus one read at most), ended it


# -- item 4 and 12: recorded bodies masked whole, structurally -----------------------------------
@contextmanager
def recording_proxy(upstream: Scripted, cassette: Path, **options) -> Iterator[ThreadedServer]:
    with (
        live_asgi(upstream) as up,
        running_proxy("sendgrid", up.url, record=cassette, **options) as proxy,
    ):
        yield proxy


def test_cassette_bodies_are_never_cut_and_secret_properties_are_masked(tmp_path):
    body = {
        "results": [],
        "_metadata": {"next": f"https://api.sendgrid.com{SEGMENTS}?page_token=abc123"},
        "token": "upstream-session-token-1234",
        "password": "hunter2-hunter2",
    }
    cassette = tmp_path / "c.jsonl"
    with recording_proxy(Scripted(body=orjson.dumps(body)), cassette) as proxy:
        answer = httpx.get(proxy.url + SEGMENTS + "?size=1;api_key=querysecret-1234", headers=AUTH)
    assert answer.json() == body  # the client gets the upstream's answer unchanged
    (exchange,) = parse_cassette(cassette.read_bytes(), "c.jsonl")
    recorded = orjson.loads(exchange.response_body)
    assert recorded["_metadata"] == body["_metadata"]  # not cut at "page_token="
    assert recorded["token"] == recorded["password"] == "***"
    assert "querysecret-1234" not in cassette.read_text() and "api_key=***" in exchange.query
    assert SENDGRID_KEY not in cassette.read_text()


def test_redact_email_covers_alternate_emails():
    from mockserver.journal.masking import Redactor

    contact = {"email": "jane@acme.org", "alternate_emails": ["jane.doe@home.net"], "id": 1}
    out = orjson.loads(Redactor(["email"], seed=1).body(orjson.dumps(contact), "application/json"))
    assert out["id"] == 1
    assert out["email"].endswith("@example.com")
    assert [a.endswith("@example.com") for a in out["alternate_emails"]] == [True]


# -- item 5: only spec operations recorded; refusals print no raw line break ---------------------
def test_the_proxy_records_only_spec_operations(tmp_path, caplog):
    cassette = tmp_path / "c.jsonl"
    with caplog.at_level(logging.WARNING), recording_proxy(Scripted(), cassette) as proxy:
        assert httpx.get(proxy.url + "/favicon.ico").status_code == 200
        assert httpx.get(proxy.url + SEGMENTS, headers=AUTH).status_code == 200
    lines = cassette.read_bytes().splitlines()
    assert len(lines) == 1 and orjson.loads(lines[0])["request"]["path"] == SEGMENTS
    messages = [record.getMessage() for record in caplog.records]
    assert any("/favicon.ico" in m and "not recorded: no operation" in m for m in messages)
    parse_cassette(cassette.read_bytes(), "c.jsonl")  # and what was recorded loads


def test_a_refused_cassette_is_reported_without_raw_line_breaks():

    replays = mock_app(cors_origins=()).control.replays
    with pytest.raises(DataError) as refused:
        parse_cassette(cassette_line(path="/nowhere\r\nX-Forged: 1"), "cassette", replays.checks)
    text = str(refused.value)
    assert "X-Forged" in text and "\r" not in text and "\nX-Forged" not in text


# -- item 8: cassettes that would frame an answer are refused at load ----------------------------
def cassette_line(path: str = SEGMENTS, headers=(("content-type", "application/json"),)) -> bytes:
    document = {
        "version": 1,
        "api": "sendgrid",
        "operation": None,
        "request": {"method": "GET", "path": path, "query": "", "headers": {}, "body": ""},
        "response": {"status": 200, "headers": [list(h) for h in headers], "body": "{}"},
    }
    return orjson.dumps(document) + b"\n"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (("content-length", "99"), "framing"),
        (("Transfer-Encoding", "chunked"), "framing"),
        (("x-a", "1\r\nset-cookie: injected=1"), "line break"),
        (("bad name", "1"), "not a header name"),
        (("x-a", "caf\u00e9 \u20ac"), "latin-1"),
    ],
)
def test_a_cassette_header_that_would_break_the_answer_is_refused(header, reason):
    data = cassette_line() + cassette_line(headers=(("content-type", "application/json"), header))
    with pytest.raises(DataError) as refused:
        parse_cassette(data, "bad.jsonl")
    text = str(refused.value)
    assert "bad.jsonl line 2" in text and reason in text and "line 1" not in text


# -- item 9: the proxy invents no framing and passes no trailer ---------------------------------
@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
        ("GET", b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"),
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"),
    ],
)
def test_no_content_length_is_made_up_for_a_bodiless_answer(method, reply):
    with StallingServer(reply) as upstream, running_proxy("sendgrid", upstream.url) as proxy:
        connection = http.client.HTTPConnection(proxy.url.removeprefix("http://"), timeout=10)
        connection.request(method, SEGMENTS, headers=AUTH)
        answer = connection.getresponse()
        answer.read()
        connection.close()
    assert answer.getheader("content-length") is None


def test_upstream_trailers_never_become_answer_headers():
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b'Trailer: Set-Cookie\r\n\r\nf\r\n{"results": []}\r\n0\r\nSet-Cookie: injected=1\r\n\r\n'
    )
    with StallingServer(reply) as upstream, running_proxy("sendgrid", upstream.url) as proxy:
        answer = httpx.get(proxy.url + SEGMENTS, headers=AUTH)
    assert answer.json() == {"results": []} and "set-cookie" not in answer.headers


# -- item 10: journal cuts on a character boundary, marked --------------------------------------
def test_a_cut_query_ends_on_a_whole_character_marked():
    query = "q=" + "%E2%82%AC" * 200  # 1,802 bytes of euro signs, escaped
    with live_server(cors_origins=(), journal_entry_bytes=1001) as mock:
        httpx.get(f"{mock.url}/segments?{query}", headers={"program-id": "demo"})
        (entry,) = httpx.get(mock.url + "/__mockserver/requests").json()["requests"]
    kept = entry["query"]
    assert kept.endswith("...") and len(kept) < len(query)
    assert unquote_to_bytes(kept[:-3]).decode("utf-8").strip("q=€") == ""  # whole characters
    assert "\ufffd" not in "".join(entry["params"]["q"])


# -- item 12: no secret shown ----------------------------------------------------------------------
def test_a_semicolon_separated_key_is_masked_in_journal_and_log(caplog):
    with caplog.at_level(logging.INFO), live_server(cors_origins=()) as mock:
        target = "/segments?size=1;api_key=querysecret-1234"
        httpx.get(mock.url + target, headers={"program-id": "demo"})
        journal = httpx.get(mock.url + "/__mockserver/requests").text
    log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mockserver"))
    assert "api_key=***" in journal and "api_key=***" in log
    assert "querysecret-1234" not in journal and "querysecret-1234" not in log


def test_the_upstream_password_is_never_shown(caplog):
    down = closed_port_url().replace("http://", "http://user:pw-secret-1234@")
    with caplog.at_level(logging.INFO), running_proxy("sendgrid", down) as proxy:
        failed = httpx.get(proxy.url + SEGMENTS, headers=AUTH)
        console = httpx.get(proxy.url + "/__mockserver/").text
    log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mockserver"))
    assert failed.status_code == 502 and "user:***@" in log
    for text in (log, console, failed.text):
        assert "pw-secret-1234" not in text


def test_verify_with_every_request_refused_compares_nothing_and_says_so(tmp_path):
    export = journal_export(tmp_path, ("DELETE", f"{SEGMENTS}/x"), ("GET", "\r\n/x"))
    code, output = verify("http://127.0.0.1:9", requests=export)
    assert code == 2 and "NOTHING SENT" in output and "every request was refused" in output
    assert "\r" not in output and "\\x0d\\x0a/x" in output
