"""The console's shell answers a refused caller (locked, no state); the control API does not."""

from __future__ import annotations

import pytest

from mockserver.app import MockApp
from tests.harness import asgi_request, mock_app

CONSOLE = "/__mockserver/"
REMOTE = ("192.0.2.7", 4000)
LOCAL = ("127.0.0.1", 4000)
TOKEN = {"X-Mockserver-Token": "s3cret"}


@pytest.fixture(scope="module")
def tokened_app() -> MockApp:
    return mock_app(apis=("sendgrid",), control_token="s3cret")


@pytest.fixture(scope="module")
def loopback_only_app() -> MockApp:
    return mock_app(apis=("sendgrid",))


def test_without_the_token_the_page_is_locked_and_shows_no_state(tokened_app):
    segment = tokened_app.runtimes["sendgrid"].backend.inventory()["segments"][0]
    for peer in (REMOTE, LOCAL):
        page = asgi_request(tokened_app, "GET", CONSOLE, peer)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert 'data-locked="token"' in html and 'id="unlock"' in html
        assert "missing or wrong control token" in html
        assert segment not in html and "Seed" not in html and "data-call" not in html
        assert 'src="/__mockserver/static/console.js"' in html


def test_with_the_token_the_page_is_the_console(tokened_app):
    page = asgi_request(tokened_app, "GET", CONSOLE, REMOTE, headers=TOKEN).text
    assert "data-locked" not in page and 'data-call="POST /reset"' in page


def test_static_files_answer_anyone_and_nothing_else_does(tokened_app):
    assert (
        asgi_request(tokened_app, "GET", f"{CONSOLE}static/console.js", REMOTE).status_code == 200
    )
    assert asgi_request(tokened_app, "HEAD", CONSOLE, REMOTE).status_code == 200
    for method, path in (
        ("GET", "requests"),
        ("GET", "health"),
        ("POST", ""),
        ("POST", "reset"),
        ("PUT", "faults"),
        ("GET", "specs/sendgrid.yaml"),
        ("GET", "static/../requests"),
        ("GET", "static/%2e%2e/requests"),
    ):
        response = asgi_request(tokened_app, method, CONSOLE + path, REMOTE)
        assert response.status_code in (403, 404), (method, path)
        assert "requests" not in response.text or "error" in response.json()
    assert tokened_app.state.overrides.scenarios() == {}


def test_a_remote_caller_without_a_configured_token_is_told_how(loopback_only_app):
    page = asgi_request(loopback_only_app, "GET", CONSOLE, REMOTE).text
    assert 'data-locked="loopback"' in page and "--control-token" in page
    assert 'id="unlock"' not in page and "data-call" not in page
    local = asgi_request(loopback_only_app, "GET", CONSOLE, LOCAL).text
    assert "data-locked" not in local and "data-call" in local
