"""``mockserver proxy``: answers byte-identical to the upstream's, violations where they belong."""

from __future__ import annotations

import http.client
import logging
import time

import httpx
import orjson
import pytest

from tests.conftest import AUTH, JSON, PROGRAM, SENDGRID_KEY
from tests.harness import live_asgi
from tests.reality.conftest import (
    StallingServer,
    closed_port_url,
    echo_app,
    running_proxy,
)
from tests.reality.drift_app import SEGMENTS

#: Headers that differ between two answers of one server a moment apart.
CLOCK = {"date", "x-ratelimit-reset"}


def comparable(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in answer.headers.multi_items() if k not in CLOCK]
    return answer.status_code, headers, answer.content


@pytest.fixture(scope="module")
def live_sendgrid_proxy(live_upstream):
    with running_proxy("sendgrid", live_upstream.url) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def live_actionhub_proxy(live_upstream):
    with running_proxy("actionhub", live_upstream.url) as proxy:
        yield proxy


def journal(proxy) -> list[dict]:
    return httpx.get(proxy.url + "/__mockserver/requests").json()["requests"]


def clear(proxy) -> None:
    assert httpx.delete(proxy.url + "/__mockserver/requests", headers=JSON).status_code == 200


# -- forwarding -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("api", "target", "headers"),
    [
        ("sendgrid", SEGMENTS, AUTH),
        ("sendgrid", SEGMENTS + "?no_parent_list_id=true", AUTH),
        ("sendgrid", SEGMENTS + "?no_parent_list_id=maybe", AUTH),
        ("sendgrid", SEGMENTS, {}),
        ("sendgrid", SEGMENTS + "/00000000-0000-4000-8000-000000000000", AUTH),
        ("actionhub", "/segments?segment_basis=assets&size=3", PROGRAM),
        ("actionhub", "/segment?labels=cat-tents&min_weight=0.6", PROGRAM),
        ("actionhub", "/segments?page=0", PROGRAM),
        ("actionhub", "/nowhere", PROGRAM),
    ],
)
def test_answers_are_the_upstreams_byte_for_byte(
    live_upstream, live_sendgrid_proxy, live_actionhub_proxy, api, target, headers
):
    proxy = live_sendgrid_proxy if api == "sendgrid" else live_actionhub_proxy
    direct = httpx.get(live_upstream.url + target, headers=headers)
    proxied = httpx.get(proxy.url + target, headers=headers)
    status, proxied_headers, body = comparable(proxied)
    proxied_headers = [(k, v) for k, v in proxied_headers if k != "x-mockserver-violation"]
    assert (status, proxied_headers, body) == comparable(direct)


def raw_request(url: str, method: str, target: str, headers, body: bytes = b""):
    """Send exactly this request line and these headers (httpx would normalize the target)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", "proxy.test")
    for name, value in headers:
        connection.putheader(name, value)
    if body:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body or None)
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, answer.getheaders(), data


def test_the_request_reaches_the_upstream_unchanged_but_for_host_and_hop_by_hop():
    raw_query = 'ids=a%2Cb&c=1,2&d=%ZZ&e=a+b&f=%C3%A9&g&q="x"&h=<y>'
    headers = [
        ("Authorization", f"Bearer {SENDGRID_KEY}"),
        ("Content-Type", "application/json"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "dropped"),
        ("Keep-Alive", "timeout=5"),
        ("TE", "trailers"),
        ("Proxy-Authorization", "Basic eDp5"),
        ("X-Twice", "1"),
        ("X-Twice", "2"),
    ]
    with live_asgi(echo_app) as echo, running_proxy("sendgrid", echo.url) as proxy:
        target = "/v3/marketing/segments/../segments?" + raw_query
        status, answer_headers, body = raw_request(
            proxy.url, "POST", target, headers, b'{"name": "x"}'
        )
    assert status == 200 and ("x-upstream", "echo") in answer_headers
    seen = orjson.loads(body)
    assert seen["method"] == "POST"
    assert seen["raw_path"] == "/v3/marketing/segments/../segments"
    assert seen["query"] == raw_query
    assert seen["body"] == '{"name": "x"}'
    received = [(name, value) for name, value in seen["headers"]]
    names = [name for name, _ in received]
    assert received[0] == ("host", echo.url.removeprefix("http://"))
    assert names.count("host") == 1
    assert ("authorization", f"Bearer {SENDGRID_KEY}") in received
    assert ("content-type", "application/json") in received
    assert [v for n, v in received if n == "x-twice"] == ["1", "2"]
    assert ("content-length", "13") in received
    for hop in ("x-hop", "keep-alive", "te", "proxy-authorization", "connection"):
        assert hop not in names


# -- violations: journal, log, header -------------------------------------------------------------
@pytest.fixture(scope="module")
def live_drift_proxies(live_drifting):
    with (
        running_proxy("sendgrid", live_drifting.url) as sendgrid,
        running_proxy("actionhub", live_drifting.url) as actionhub,
    ):
        yield {"sendgrid": sendgrid, "actionhub": actionhub}


REQUIRED = '"{}" is a required property'

#: drift -> (api, target, status, violations, warnings); ``{renamed}`` etc. are segment ids.
DRIFTS = {
    "renamed": (
        "sendgrid",
        SEGMENTS + "/{renamed}",
        200,
        [("body", "", REQUIRED.format("query_dsl"))],
        [],
    ),
    "echo": (
        "sendgrid",
        SEGMENTS + "/{echo}",
        200,
        [("body", "/contacts_count", '"***" is not of type "integer"')],
        [],
    ),
    "crash": ("sendgrid", SEGMENTS + "/{crash}", 500, [], []),
    "error_body": (
        "sendgrid",
        SEGMENTS + "?no_parent_list_id=maybe",
        400,
        [
            (
                "request",
                "query.no_parent_list_id",
                "no_parent_list_id must be a boolean (true or false)",
            ),
            ("body", "", REQUIRED.format("errors")),
        ],
        [],
    ),
    "extra_but_allowed": ("sendgrid", SEGMENTS + "?no_parent_list_id=true", 200, [], []),
    "none": ("sendgrid", SEGMENTS + "/{plain}", 200, [], []),
    "score": (
        "actionhub",
        "/segments?size=1",
        200,
        [],
        ["additive change: body /items/0/score: undeclared property 'score'"],
    ),
}


def shown(where: str, path: str, message: str) -> str:
    return f"{f'{where} {path}'.rstrip()}: {message}"


@pytest.mark.parametrize("drift", list(DRIFTS))
def test_each_drift_gives_exactly_its_violations_in_journal_log_and_header(
    live_drift_proxies, segments, caplog, drift
):
    api, target, status, violations, warnings = DRIFTS[drift]
    proxy = live_drift_proxies[api]
    clear(proxy)
    headers = AUTH if api == "sendgrid" else PROGRAM
    with caplog.at_level(logging.INFO, logger="mockserver.proxy"):
        answer = httpx.get(proxy.url + target.format(**vars(segments)), headers=headers)
    assert answer.status_code == status
    lines = [shown(*violation) for violation in violations]
    assert answer.headers.get_list("x-mockserver-violation") == lines
    (entry,) = journal(proxy)
    assert entry["source"] == "proxy" and entry["status"] == status
    assert entry["violations"] == [
        {"where": where, "path": path, "message": message} for where, path, message in violations
    ]
    assert entry["warnings"] == warnings
    logged = [r.getMessage() for r in caplog.records if r.name == "mockserver.proxy"]
    assert [
        m.partition(" violates the ")[2].partition(": ")[2] for m in logged if "violates" in m
    ] == lines
    additive = [m for m in logged if "additive change" in m]
    assert len(additive) == len(warnings)
    assert all(
        w.removeprefix("additive change: ") in m for w, m in zip(warnings, additive, strict=True)
    )


def test_the_journal_names_the_operation(live_drift_proxies, segments):
    proxy = live_drift_proxies["sendgrid"]
    clear(proxy)
    httpx.get(proxy.url + f"{SEGMENTS}/{segments.plain}", headers=AUTH)
    httpx.get(proxy.url + "/v3/elsewhere", headers=AUTH)
    first, second = journal(proxy)
    assert (first["api"], first["operation"]) == ("sendgrid", "GetSegment")
    assert (second["api"], second["operation"]) == ("sendgrid", None)
    assert second["violations"] == [
        {
            "where": "request",
            "path": "/v3/elsewhere",
            "message": "/v3/elsewhere is not a path of the sendgrid spec",
        }
    ]


def test_the_control_plane_answers_in_proxy_mode(live_sendgrid_proxy, live_upstream):
    health = httpx.get(live_sendgrid_proxy.url + "/__mockserver/health").json()
    assert health["status"] == "ok" and health["apis"] == ["sendgrid"]
    page = httpx.get(live_sendgrid_proxy.url + "/__mockserver/")
    assert page.status_code == 200
    # the console says it is a proxy, and offers no mock's scenarios, faults or data
    assert 'id="proxy-note"' in page.text and live_upstream.url in page.text
    assert 'id="scenarios"' not in page.text and 'id="data"' not in page.text
    assert (
        httpx.post(live_sendgrid_proxy.url + "/__mockserver/reset", headers=JSON).status_code == 200
    )


def test_unknown_query_parameters_are_warned_as_the_mock_warns(live_sendgrid_proxy):
    httpx.delete(live_sendgrid_proxy.url + "/__mockserver/requests", headers=JSON)
    answer = httpx.get(live_sendgrid_proxy.url + SEGMENTS + "?ids[]=x", headers=AUTH)
    assert answer.status_code == 200
    (entry,) = httpx.get(live_sendgrid_proxy.url + "/__mockserver/requests").json()["requests"]
    assert entry["warnings"] == ['unknown query parameter "ids[]" (did you mean "ids"?)']


# -- an upstream that fails -----------------------------------------------------------------------
def test_upstream_down_is_a_502_in_each_dialect_at_once():
    down = closed_port_url()
    with running_proxy("sendgrid", down) as sendgrid, running_proxy("actionhub", down) as hub:
        started = time.monotonic()
        refused = httpx.get(sendgrid.url + SEGMENTS, headers=AUTH)
        refused_hub = httpx.get(hub.url + "/segments", headers=PROGRAM)
        elapsed = time.monotonic() - started
        entry = journal(sendgrid)[0]
    assert refused.status_code == 502 and refused_hub.status_code == 502
    (error,) = refused.json()["errors"]
    assert error["field"] is None and error["message"].startswith("upstream unreachable: ")
    assert refused_hub.json()["detail"].startswith("upstream unreachable: ")
    assert elapsed < 5
    assert entry["status"] == 502 and entry["warnings"][0].startswith("upstream unreachable")


def test_a_silent_upstream_is_a_504_within_the_timeout():
    with (
        StallingServer() as silent,
        running_proxy("actionhub", silent.url, upstream_timeout=0.3) as proxy,
    ):
        started = time.monotonic()
        answer = httpx.get(proxy.url + "/segments", headers=PROGRAM, timeout=10)
        elapsed = time.monotonic() - started
    assert answer.status_code == 504
    assert answer.json() == {"detail": "upstream timeout: no answer within 0.3 s"}
    assert 0.3 <= elapsed < 0.3 + 3  # the timeout, plus a loaded machine's scheduling


@pytest.mark.parametrize("garbage", [b"NOT HTTP AT ALL\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Le"])
def test_garbage_from_the_upstream_is_a_502(garbage):
    with StallingServer(garbage) as liar, running_proxy("sendgrid", liar.url) as proxy:
        answer = httpx.get(proxy.url + SEGMENTS, headers=AUTH)
    assert answer.status_code == 502
    assert answer.json()["errors"][0]["message"].startswith("upstream ")


def test_head_and_cors_preflights_pass_through(live_upstream, live_sendgrid_proxy):
    clear(live_sendgrid_proxy)
    direct = httpx.head(live_upstream.url + SEGMENTS, headers=AUTH)
    proxied = httpx.head(live_sendgrid_proxy.url + SEGMENTS, headers=AUTH)
    assert comparable(proxied) == comparable(direct)
    assert proxied.content == b"" and proxied.headers["content-length"] != "0"
    preflight = {"Origin": "http://app.test", "Access-Control-Request-Method": "GET"}
    direct = httpx.options(live_upstream.url + SEGMENTS, headers=preflight)
    proxied = httpx.options(live_sendgrid_proxy.url + SEGMENTS, headers=preflight)
    assert comparable(proxied) == comparable(direct)
    assert [entry["violations"] for entry in journal(live_sendgrid_proxy)] == [[], []]
