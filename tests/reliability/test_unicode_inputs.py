"""A request can never produce a 5xx from its own content (issue 11, reproduction 8): arbitrary
Unicode - superscript digits, other scripts' digits, surrogates' neighbours, controls - in every
header, query parameter, path segment and control-plane input, sent as a server would pass it
(UTF-8 bytes, raw or percent-encoded) straight to the ASGI app."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.app import MockApp
from mockserver.control import actions
from tests.harness import mock_app

pytestmark = pytest.mark.slow

KEY = b"Bearer SG." + b"a" * 22 + b"." + b"b" * 43
SEGMENT = "7f433ae9-d033-4c42-adaf-5569478b97b6"
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
#: Digits the strict number reader must refuse: superscripts, Arabic-Indic, fullwidth...
DIGITS = st.sampled_from(
    ["\u00b2\u00b2\u00b2", "\u0663", "\u0660.\u0665", "\uff11\uff12", "5\u0660\u0660",
     "1_000", " 5", "1e3", "nan", "\u221e"]
)  # fmt: skip
ODD = st.one_of(TEXT, DIGITS)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def default_app() -> MockApp:
    return mock_app()


@pytest.fixture(scope="module")
def tokened_app() -> MockApp:
    return mock_app(apis=("sendgrid",), control_token="s3cret")


def header_value(text: str) -> bytes:
    """What an HTTP server hands on: the bytes as sent (no CR, LF or NUL: it refuses those)."""
    return text.encode("utf-8").replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")


def status_of(
    app: MockApp,
    method: str,
    path: str,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> int:
    """One request straight into the ASGI app; its status."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogatepass"),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:4010"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 4010),
    }

    async def go() -> int:
        statuses: list[int] = []
        done = asyncio.Event()
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            elif not message.get("more_body"):
                done.set()

        await app(scope, receive, send)
        return statuses[0]

    return asyncio.run(go())


OPERATIONS = [
    ("/segments", [(b"program-id", b"demo")]),
    ("/segment", [(b"program-id", b"demo")]),
    ("/v3/marketing/segments", [(b"authorization", KEY)]),
    (f"/v3/marketing/segments/{SEGMENT}", [(b"authorization", KEY)]),
]
HEADER_NAMES = ["prefer", "program-id", "authorization", "x-mockserver-token", "origin", "cookie"]


@SETTINGS
@given(
    operation=st.sampled_from(OPERATIONS),
    name=st.sampled_from(HEADER_NAMES),
    value=ODD,
    prefer=st.one_of(ODD, ODD.map(lambda text: f"code={text}"), ODD.map(lambda t: f"example={t}")),
)
def test_any_header_value_is_answered_below_500(default_app, operation, name, value, prefer):
    path, headers = operation
    extra = [(name.encode(), header_value(value)), (b"prefer", header_value(prefer))]
    assert status_of(default_app, "GET", path, headers=[*headers, *extra]) < 500


@SETTINGS
@given(operation=st.sampled_from(OPERATIONS), name=ODD, value=ODD, encode=st.booleans())
def test_any_query_parameter_is_answered_below_500(default_app, operation, name, value, encode):
    path, headers = operation
    for known in ("page", "size", "min_weight", "ids", "query_json", "labels", name):
        pair = f"{quote(known)}={quote(value)}" if encode else f"{known}={value}"
        query = pair.encode("utf-8", "surrogatepass")
        assert status_of(default_app, "GET", path, query, headers) < 500


@SETTINGS
@given(segment=ODD)
def test_any_path_segment_is_answered_below_500(default_app, segment):
    for prefix in ("/v3/marketing/segments/", "/__mockserver/scenarios/sendgrid/"):
        assert (
            status_of(default_app, "GET", prefix + segment, headers=[(b"authorization", KEY)]) < 500
        )


def json_text(value: Any) -> bytes:
    """JSON as any client may send it (integers of any size included)."""
    return json.dumps(value).encode()


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ODD),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(ODD, inner, max_size=3)),
    max_leaves=6,
)


@SETTINGS
@given(
    code=JSONISH,
    times=JSONISH,
    latency=JSONISH,
    rate=JSONISH,
    extra=st.dictionaries(ODD, JSONISH, max_size=2),
)
def test_any_control_body_is_answered_below_500(default_app, code, times, latency, rate, extra):
    typed = [(b"content-type", b"application/json")]
    scenario = json_text({"code": code, "times": times, **extra})
    fault = json_text({"latency": latency, "error_rate": rate})
    try:
        for path, body in (
            ("/__mockserver/scenarios/sendgrid/ListSegment", scenario),
            ("/__mockserver/faults", fault),
            ("/__mockserver/faults/sendgrid/GetSegment", fault),
        ):
            assert status_of(default_app, "PUT", path, headers=typed, body=body) < 500
    finally:
        actions.clear_state(default_app.control)


@SETTINGS
@given(since=ODD, limit=ODD, path=ODD, method=ODD, api=ODD, token=ODD)
def test_any_control_query_is_answered_below_500(
    default_app, tokened_app, since, limit, path, method, api, token
):
    query = "&".join(
        f"{key}={quote(value)}"
        for key, value in (
            ("since", since),
            ("limit", limit),
            ("path", path),
            ("method", method),
            ("api", api),
        )
    ).encode()
    assert status_of(default_app, "GET", "/__mockserver/requests", query) < 500
    raw_token = b"token=" + token.encode("utf-8")
    assert status_of(tokened_app, "GET", "/__mockserver/requests", raw_token) < 500
    assert (
        status_of(tokened_app, "GET", "/__mockserver/requests", b"token=" + quote(token).encode())
        < 500
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=st.one_of(ODD, JSONISH.map(lambda value: json_text(value).decode())))
def test_any_data_document_is_answered_below_500(default_app, document):
    for media in (b"application/yaml", b"application/json"):
        headers = [(b"content-type", media)]
        body = document.encode("utf-8")
        assert (
            status_of(default_app, "PUT", "/__mockserver/data/sendgrid", headers=headers, body=body)
            < 500
        )
