"""Hostile input over raw sockets and HTTP: a 4xx in the API's dialect (or the server's own 400
for unparseable HTTP) - never a 5xx, a hang or a dead server - and the data answers the same
afterwards (every test ends by comparing the canonical answers with their bytes from before).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import SENDGRID_KEY
from tests.reliability.conftest import TIMEOUT, Answer, RawClient, request_bytes, snapshot

PROG = b"program-id: demo"
AUTH = b"Authorization: Bearer " + SENDGRID_KEY.encode()
UUID = b"3b049926-0a54-4a91-83f0-086ace63c530"
SG = b"/v3/marketing/segments"


@pytest.fixture(autouse=True)
def data_answers_the_same_afterwards(server, canonical_requests, canonical):
    yield
    assert snapshot(server.url, canonical_requests) == canonical


def speaks(api: str, answer: Answer) -> bool:
    """Is the answer an error in ``api``'s dialect?"""
    if not answer.content_type.startswith("application/json"):
        return False
    body = json.loads(answer.body)
    if api == "actionhub":
        return isinstance(body, dict) and set(body) == {"detail"}
    errors = body.get("errors") if isinstance(body, dict) else None
    return bool(errors) and all({"field", "message"} <= set(error) for error in errors)


@dataclass(frozen=True)
class Expect:
    """``api``: the dialect of the answer (None: uvicorn's own refusal of unparseable HTTP)."""

    statuses: tuple[int, ...]
    api: str | None

    def check(self, answer: Answer) -> None:
        assert answer.status in self.statuses, (answer.status, answer.body[:300])
        if self.api is None:
            assert answer.content_type.startswith("text/plain"), answer.content_type
        elif answer.status >= 400:
            assert speaks(self.api, answer), answer.body[:300]


SERVER_400 = Expect((400,), None)
AH_422 = Expect((422,), "actionhub")
AH_ANY = Expect((200, 422), "actionhub")  # any program-id is a tenant; FastAPI takes ""
SG_400 = Expect((400,), "sendgrid")
SG_401 = Expect((401,), "sendgrid")
SG_404 = Expect((404,), "sendgrid")
AH_404 = Expect((404,), "actionhub")

RAW_CASES: dict[str, tuple[bytes, Expect]] = {
    # malformed percent-encoding
    "bad-pct-query-ah": (request_bytes("GET", b"/segments?page=%ZZ&size=%", PROG), AH_422),
    "bad-pct-query-sg": (request_bytes("GET", SG + b"?no_parent_list_id=%E0%A4%A", AUTH), SG_400),
    "bad-pct-path-sg": (request_bytes("GET", SG + b"/%ZZ", AUTH), SG_400),
    # invalid UTF-8, percent-encoded (decoded with U+FFFD) and raw (refused by the HTTP parser)
    "utf8-pct-query-ah": (request_bytes("GET", b"/segments?segment_type=%FF%FE", PROG), AH_422),
    "utf8-pct-query-sg": (request_bytes("GET", SG + b"?no_parent_list_id=%C3%28", AUTH), SG_400),
    "utf8-raw-query": (request_bytes("GET", b"/segments?segment_type=\xff\xfe", PROG), SERVER_400),
    "utf8-header-auth": (request_bytes("GET", SG, b"Authorization: Bearer \xff\xfe"), SG_401),
    "utf8-header-program-id": (request_bytes("GET", b"/segments", b"program-id: \xff\xfe"), AH_ANY),
    # empty headers
    "empty-program-id": (request_bytes("GET", b"/segments", b"program-id:"), AH_ANY),
    "bearer-without-key": (request_bytes("GET", SG, b"Authorization: Bearer "), SG_401),
    "empty-authorization": (request_bytes("GET", SG, b"Authorization:"), SG_401),
    # NUL bytes
    "nul-pct-query-ah": (request_bytes("GET", b"/segments?segment_type=%00", PROG), AH_422),
    "nul-pct-query-sg": (request_bytes("GET", SG + b"?no_parent_list_id=%00", AUTH), SG_400),
    "nul-header": (request_bytes("GET", b"/segments", b"program-id: de\x00mo"), SERVER_400),
    "nul-request-line": (request_bytes("GET", b"/segm\x00ents", PROG), SERVER_400),
    # sizes: httptools refuses URLs of 64 KB and more with its own 400
    "100kb-query": (request_bytes("GET", b"/segment?labels=" + b"a" * 100_000, PROG), SERVER_400),
    "huge-int": (request_bytes("GET", b"/segments?page=" + b"9" * 5000, PROG), AH_422),
    "huge-int-bounded": (request_bytes("GET", b"/segments?size=" + b"9" * 400, PROG), AH_422),
    # path traversal in ids
    "traversal": (request_bytes("GET", SG + b"/../../etc/passwd", AUTH), SG_404),
    "traversal-pct": (
        request_bytes("GET", SG + b"/%2e%2e%2f%2e%2e%2fetc%2fpasswd", AUTH),
        SG_404,
    ),
    "traversal-dots-id": (request_bytes("GET", SG + b"/%2e%2e", AUTH), SG_400),
    "traversal-ah": (request_bytes("GET", b"/segments/../segment", PROG), AH_404),
    # methods
    "trace": (request_bytes("TRACE", b"/segments", PROG), Expect((405,), "actionhub")),
    "patch": (request_bytes("PATCH", SG, AUTH), Expect((405,), "sendgrid")),
    "delete": (request_bytes("DELETE", SG + b"/" + UUID, AUTH), Expect((404,), "sendgrid")),
    "put": (request_bytes("PUT", SG + b"/" + UUID, AUTH), Expect((405,), "sendgrid")),
    "unknown-method": (request_bytes("FOO", b"/segments", PROG), SERVER_400),
    # garbage
    "garbage-line": (b"GARBAGE\r\n\r\n", SERVER_400),
    "tls-hello": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, SERVER_400),
    "method-only": (b"GET\r\n\r\n", SERVER_400),
    "http-9.9": (b"GET /segments HTTP/9.9\r\nprogram-id: demo\r\n\r\n", SERVER_400),
    "bad-content-length": (
        request_bytes("GET", b"/segments", PROG, b"Content-Length: abc"),
        SERVER_400,
    ),
    "negative-content-length": (
        request_bytes("GET", b"/segments", PROG, b"Content-Length: -1"),
        SERVER_400,
    ),
    "header-without-colon": (request_bytes("GET", b"/segments", PROG, b"no colon"), SERVER_400),
    "space-in-header-name": (request_bytes("GET", b"/segments", PROG, b"X Bad: 1"), SERVER_400),
}


@pytest.mark.parametrize("case", list(RAW_CASES))
def test_raw_hostile_request(raw: RawClient, case: str) -> None:
    request, expected = RAW_CASES[case]
    expected.check(raw.exchange(request))


def canonical_bytes(canonical: dict[str, tuple], target: str) -> bytes:
    return canonical[target][2]


def segments_target(canonical: dict[str, tuple]) -> str:
    return next(t for t in canonical if t.startswith("/segments"))


#: Additions that must not change the answer of the canonical ``/segments`` request at all.
HARMLESS_EXTRAS: dict[str, tuple[tuple[bytes, ...], bytes]] = {
    "16kb-header": ((b"X-Big: " + b"a" * 16_384,), b""),
    "16kb-of-headers": (tuple(b"X-H%d: %s" % (i, b"a" * 100) for i in range(160)), b""),
    "duplicated-program-id": ((b"program-id: other",), b""),
    "body-on-get": ((b"Content-Length: 11",), b"hello world"),
    "chunked-body-on-get": ((b"Transfer-Encoding: chunked",), b"5\r\nhello\r\n0\r\n\r\n"),
}


@pytest.mark.parametrize("case", list(HARMLESS_EXTRAS))
def test_harmless_extras_change_nothing(raw: RawClient, canonical, case: str) -> None:
    target = segments_target(canonical)
    extra_headers, body = HARMLESS_EXTRAS[case]
    request = request_bytes("GET", target.encode(), PROG, *extra_headers, body=body)
    with raw.connect() as sock:
        sock.sendall(request)
        first = raw.read(sock)
        sock.sendall(request_bytes("GET", target.encode(), PROG))  # keep-alive survives them
        second = raw.read(sock)
    assert first.status == second.status == 200
    assert first.body == second.body == canonical_bytes(canonical, target)


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(digits[number // 36**k % 36] for k in (2, 1, 0))


def test_10000_unknown_parameters_are_ignored(raw: RawClient, canonical) -> None:
    target = segments_target(canonical)
    noise = b"&".join(base36(i).encode() + b"=" for i in range(10_000))  # URL under 64 KB
    answer = raw.exchange(request_bytes("GET", target.encode() + b"&" + noise, PROG))
    assert answer.status == 200
    assert answer.body == canonical_bytes(canonical, target)


def test_10000_array_items(raw: RawClient) -> None:
    ids = b"&".join([b"ids=x"] * 10_000)  # URL under 64 KB
    answer = raw.exchange(request_bytes("GET", SG + b"?" + ids, AUTH))
    assert answer.status < 500
    assert answer.status == 200 or speaks("sendgrid", answer)


def test_integer_beyond_4300_digits_is_pydantics_int_parsing_size(raw: RawClient) -> None:
    answer = raw.exchange(request_bytes("GET", b"/segments?page=" + b"9" * 5000, PROG))
    (error,) = json.loads(answer.body)["detail"]
    assert (answer.status, error["type"], error["loc"]) == (
        422,
        "int_parsing_size",
        ["query", "page"],
    )
    assert error["msg"] == "Unable to parse input string as an integer, exceeded maximum size"


def test_head_is_get_without_body(raw: RawClient, canonical) -> None:
    target = segments_target(canonical)
    head = raw.exchange(request_bytes("HEAD", target.encode(), PROG), method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["content-length"]) == len(canonical_bytes(canonical, target))


def test_half_sent_request_blocks_no_one(raw: RawClient, server, canonical_requests, canonical):
    with raw.connect() as stuck:
        stuck.sendall(b"GET /segments HTTP/1.1\r\nprogram-id: de")
        assert snapshot(server.url, canonical_requests) == canonical
    with raw.connect() as abandoned:
        abandoned.sendall(b"GET /segments?page=1 HTTP/1.1\r\nHost: x\r\n")


# --- well-formed HTTP, hostile values (httpx) -------------------------------------------------

HTTP_CASES: dict[str, tuple[str, str, list[tuple[str, str]], Expect]] = {
    "nan": ("GET", "/segments?min_weight=NaN", [("program-id", "demo")], AH_422),
    "infinity": ("GET", "/segments?min_weight=Infinity", [("program-id", "demo")], AH_422),
    "minus-inf": ("GET", "/segments?min_weight=-inf", [("program-id", "demo")], AH_422),
    "1e999": ("GET", "/segments?min_weight=1e999", [("program-id", "demo")], AH_422),
    "huge-negative-int": ("GET", "/segments?page=-" + "9" * 300, [("program-id", "demo")], AH_422),
    "missing-program-id": ("GET", "/segments", [], AH_422),
    "empty-authorization": (
        "GET",
        "/v3/marketing/segments",
        [("Authorization", "")],
        Expect((401,), "sendgrid"),
    ),
    "trace": ("TRACE", "/v3/marketing/segments", [], Expect((405,), "sendgrid")),
    "patch": ("PATCH", "/segments", [("program-id", "demo")], Expect((405,), "actionhub")),
}


@pytest.mark.parametrize("case", list(HTTP_CASES))
def test_http_hostile_request(server, case: str) -> None:
    method, target, headers, expected = HTTP_CASES[case]
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        reply = http.request(method, target, headers=headers)
    expected.check(Answer(reply.status_code, dict(reply.headers), reply.content))


def test_duplicated_authorization_first_wins(server, canonical) -> None:
    target = next(t for t in canonical if t.startswith("/v3/marketing/segments"))
    headers = [("Authorization", f"Bearer {SENDGRID_KEY}"), ("Authorization", "Bearer nope")]
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        reply = http.get(target, headers=headers)
    assert (reply.status_code, reply.content) == (canonical[target][0], canonical[target][2])


def test_405_names_the_allowed_methods(server) -> None:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        reply = http.request("PATCH", "/v3/marketing/segments", headers={"Authorization": ""})
    assert reply.status_code == 405
    assert "GET" in reply.headers["allow"]
