"""No page may frame the console or the control API, nor sniff their answers' types: every
answer under ``/__mockserver`` (pages, JSON, refusals, errors, preflights, the redirect, the
'control off' page) carries the CSP ``frame-ancestors 'none'``, ``X-Frame-Options: DENY`` and
``X-Content-Type-Options: nosniff``. The vendor APIs' answers are left as the vendors send them."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH
from tests.harness import asgi_request, mock_app

LOCAL = ("127.0.0.1", 5000)
REMOTE = ("203.0.113.9", 5000)
JSON = {"content-type": "application/json"}


def secured(response) -> bool:
    headers = response.headers
    return (
        "frame-ancestors 'none'" in headers.get("content-security-policy", "")
        and headers.get("x-frame-options") == "DENY"
        and headers.get("x-content-type-options") == "nosniff"
    )


ANSWERS = {
    "console page": ("GET", "/__mockserver/", LOCAL, {}),
    "redirect to the page": ("GET", "/__mockserver", LOCAL, {}),
    "static file": ("GET", "/__mockserver/static/console.js", LOCAL, {}),
    "health": ("GET", "/__mockserver/health", LOCAL, {}),
    "journal": ("GET", "/__mockserver/requests", LOCAL, {}),
    "reset": ("POST", "/__mockserver/reset", LOCAL, {"headers": JSON}),
    "control error": ("PUT", "/__mockserver/faults", LOCAL, {"headers": JSON, "content": b"["}),
    "unknown control path": ("GET", "/__mockserver/nothing", LOCAL, {}),
    "refused caller (API)": ("GET", "/__mockserver/requests", REMOTE, {}),
    "refused caller (page)": ("GET", "/__mockserver/", REMOTE, {}),
    "refused form post": ("POST", "/__mockserver/reset", LOCAL, {}),
}


@pytest.fixture(scope="module")
def ui_origin_app():
    return mock_app(apis=("sendgrid",), control_origins=("http://ui.test",))


@pytest.mark.parametrize("answer", ANSWERS)
def test_every_console_and_control_answer_forbids_framing(ui_origin_app, answer):
    method, path, client, options = ANSWERS[answer]
    response = asgi_request(ui_origin_app, method, path, client, **options)
    assert secured(response), (response.status_code, dict(response.headers))


def test_control_preflight_forbids_framing(ui_origin_app):
    preflight = {"Origin": "http://ui.test", "Access-Control-Request-Method": "POST"}
    response = asgi_request(
        ui_origin_app, "OPTIONS", "/__mockserver/reset", LOCAL, headers=preflight
    )
    assert response.status_code == 200 and secured(response)


def test_control_off_page_forbids_framing():
    app = mock_app(apis=("sendgrid",), control=False)
    response = asgi_request(app, "GET", "/__mockserver/", LOCAL)
    assert response.status_code == 404 and secured(response)


def test_api_answers_are_left_as_the_vendor_sends_them(ui_origin_app):
    response = asgi_request(ui_origin_app, "GET", "/v3/marketing/segments", LOCAL, headers=AUTH)
    assert response.status_code == 200
    assert "x-frame-options" not in response.headers
    assert "content-security-policy" not in response.headers
