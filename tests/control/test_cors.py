"""CORS for browser prototypes: on by default, restrictable, preflights echo the asked headers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.middleware.cors import CORSMiddleware

from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.cors import ApiCors, has_origin
from mockserver.serialize.reply import send_reply
from tests.conftest import AUTH
from tests.control.conftest import asgi_request

SEGMENTS = "/v3/marketing/segments"
LOCAL = ("127.0.0.1", 5000)
PREFLIGHT = {
    "Origin": "http://localhost:5173",
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization, program-id, prefer",
}


def test_preflight_allows_any_origin_and_the_requested_headers(http):
    response = http.options(SEGMENTS, headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-headers"] == "authorization, program-id, prefer"
    assert "GET" in response.headers["access-control-allow-methods"]


def test_simple_request_exposes_the_rate_limit_headers(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Origin": "http://localhost:5173"})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-ratelimit-remaining" in exposed


def test_cors_origin_restricts_the_allowed_origins():
    app = build_app(ServeConfig(apis=("sendgrid",), cors_origins=("http://app.test",)))
    allowed = asgi_request(
        app, "OPTIONS", SEGMENTS, LOCAL, headers={**PREFLIGHT, "Origin": "http://app.test"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://app.test"
    refused = asgi_request(app, "OPTIONS", SEGMENTS, LOCAL, headers=PREFLIGHT)
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    other = asgi_request(
        app, "GET", SEGMENTS, LOCAL, headers={**AUTH, "Origin": "http://evil.test"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_default_any_origin_allows_no_credentials(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Origin": "http://localhost:5173"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("listed", ["http://app.test", "http://app.test/"])
def test_listed_origins_are_echoed_with_credentials(listed):
    """A page fetching with ``credentials: "include"`` passes CORS only with its own origin
    echoed and ``Allow-Credentials: true`` (a browser refuses ``*`` for it)."""
    app = build_app(ServeConfig(apis=("sendgrid",), cors_origins=(listed, "http://other.test")))
    origin = {"Origin": "http://app.test"}
    simple = asgi_request(app, "GET", SEGMENTS, LOCAL, headers={**AUTH, **origin})
    preflight = asgi_request(app, "OPTIONS", SEGMENTS, LOCAL, headers={**PREFLIGHT, **origin})
    for response in (simple, preflight):
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "http://app.test"
        assert response.headers["access-control-allow-credentials"] == "true"
        assert "Origin" in response.headers["vary"]
    assert preflight.headers["access-control-allow-headers"] == "authorization, program-id, prefer"
    other = asgi_request(app, "GET", SEGMENTS, LOCAL, headers={**AUTH, "Origin": "http://x.test"})
    assert "access-control-allow-origin" not in other.headers  # so the browser refuses it


def test_cors_can_be_turned_off():
    app = build_app(ServeConfig(apis=("sendgrid",), cors_origins=()))
    response = asgi_request(
        app, "GET", SEGMENTS, LOCAL, headers={**AUTH, "Origin": "http://x.test"}
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_answers_without_origin_still_vary_on_origin(http):
    assert http.get(SEGMENTS, headers=AUTH).headers.get_list("vary") == ["Origin"]


def inner_app(vary: bytes | None):
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/plain")] + ([(b"vary", vary)] if vary else [])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def stepped(cors: ApiCors, vary: bytes | None):
    """The inner app's answer with ApiCors as the mock's request path applies it."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        preflight = cors.preflight(scope)
        if preflight is not None:
            await send_reply(send, preflight)
            return

        async def step(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and has_origin(scope):
                await cors.on_origin(scope, message)
            elif message["type"] == "http.response.start":
                cors.vary(message)
            await send(message)

        await inner_app(vary)(scope, receive, step)

    return app


def answer(app: Any, method: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, list, bytes]:
    """Status, headers (in any order) and body of the app's answer."""
    sent: list[dict] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/", "headers": headers}
    asyncio.run(app(scope, receive, send))
    start, body = sent
    return start["status"], sorted(start["headers"]), body["body"]


@pytest.mark.parametrize("vary", [None, b"Accept"])
@pytest.mark.parametrize("origins", [["*"], ["http://app.test"]])
@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", []),
        ("GET", [(b"origin", b"http://app.test")]),
        ("GET", [(b"origin", b"http://evil.test")]),
        ("OPTIONS", [(b"origin", b"http://app.test"), (b"access-control-request-method", b"GET")]),
    ],
)
def test_the_cors_step_answers_exactly_as_starlettes_middleware(vary, origins, method, headers):
    ours = answer(stepped(ApiCors(origins, ["x-a"]), vary), method, headers)
    options = {
        "allow_origins": origins,
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": ["x-a"],
        "allow_private_network": True,
        "allow_credentials": "*" not in origins,  # a listed origin is echoed, with credentials
    }
    starlettes = answer(CORSMiddleware(inner_app(vary), **options), method, headers)
    assert ours == starlettes
