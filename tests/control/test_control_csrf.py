"""The control plane is no CSRF target (issue 11, reproduction 3), in-process: who may call it
(loopback peer and loopback Host, or the token), what a call must look like (a JSON or YAML body
type for a change; no foreign page), and no CORS unless the user lists an origin."""

from __future__ import annotations

import pytest

from mockserver.app import MockApp
from tests.conftest import AUTH, JSON
from tests.harness import asgi_request, mock_app

LOCAL = ("127.0.0.1", 50000)
REMOTE = ("192.0.2.7", 50000)
RESET = "/__mockserver/reset"
REQUESTS = "/__mockserver/requests"
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def sendgrid_app() -> MockApp:
    return mock_app(apis=("sendgrid",))


@pytest.fixture(scope="module")
def tokened_app() -> MockApp:
    return mock_app(apis=("sendgrid",), control_token="s3cret")


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:4010", "127.0.0.1", "127.0.0.1:4010", "127.0.0.2:80", "[::1]:4010",
     "app.localhost:4010"],
)  # fmt: skip
def test_loopback_names_may_call_without_a_token(sendgrid_app, host):
    response = asgi_request(sendgrid_app, "GET", REQUESTS, LOCAL, base_url=f"http://{host}")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:4010", "127.0.0.1.nip.io:4010", "10.0.0.1:4010"]
)
def test_another_host_name_is_refused_even_from_loopback(sendgrid_app, host):
    """DNS rebinding: the page's own name, now resolving to 127.0.0.1."""
    for method, path in (("GET", REQUESTS), ("POST", RESET)):
        response = asgi_request(
            sendgrid_app, method, path, LOCAL, base_url=f"http://{host}", headers=JSON
        )
        assert response.status_code == 403
        assert "Host" in response.json()["error"]


def test_with_a_token_any_host_name_may_call(tokened_app):
    response = asgi_request(
        tokened_app,
        "GET",
        REQUESTS,
        REMOTE,
        base_url="http://mock.internal:4010",
        headers={"X-Mockserver-Token": "s3cret"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [None, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", RESET), ("DELETE", REQUESTS), ("PUT", "/__mockserver/faults"),
     ("PUT", "/__mockserver/data/sendgrid")],
)  # fmt: skip
def test_a_change_without_a_json_or_yaml_body_type_is_refused(
    sendgrid_app, method, path, content_type
):
    headers = {"content-type": content_type} if content_type else {}
    response = asgi_request(sendgrid_app, method, path, LOCAL, headers=headers, content=b"{}")
    assert response.status_code == 403
    assert "Content-Type: application/json" in response.json()["error"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_a_change_with_a_json_body_type_is_done(sendgrid_app, content_type):
    response = asgi_request(
        sendgrid_app, "POST", RESET, LOCAL, headers={"content-type": content_type}
    )
    assert response.status_code == 200


def test_a_page_of_another_origin_is_refused_its_own_origin_served(sendgrid_app):
    foreign = asgi_request(sendgrid_app, "POST", RESET, LOCAL, headers={"Origin": EVIL, **JSON})
    assert foreign.status_code == 403 and "--control-origin" in foreign.json()["error"]
    read = asgi_request(sendgrid_app, "GET", REQUESTS, LOCAL, headers={"Origin": EVIL})
    assert read.status_code == 403
    own = asgi_request(
        sendgrid_app, "POST", RESET, LOCAL, headers={"Origin": "http://127.0.0.1:4010", **JSON}
    )
    assert own.status_code == 200  # the console, from its own origin


@pytest.mark.parametrize("cors_origins", [("*",), ("http://app.test",), ()])
def test_the_control_plane_answers_no_preflight_and_no_cors_headers(cors_origins):
    app = mock_app(apis=("sendgrid",), cors_origins=cors_origins)
    origin = cors_origins[0] if cors_origins and cors_origins[0] != "*" else EVIL
    preflight = asgi_request(
        app,
        "OPTIONS",
        RESET,
        LOCAL,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert preflight.status_code == 403
    assert not [key for key in preflight.headers if key.startswith("access-control-")]
    form = asgi_request(
        app,
        "POST",
        RESET,
        LOCAL,
        headers={"Origin": origin, "content-type": "application/x-www-form-urlencoded"},
        content=b"a=1",
    )
    assert form.status_code == 403
    assert not [key for key in form.headers if key.startswith("access-control-")]


def test_listed_control_origins_get_cors_and_vendors_keep_theirs():
    page = "http://localhost:5173"
    app = mock_app(apis=("sendgrid",), control_origins=(page,))
    preflight = asgi_request(
        app,
        "OPTIONS",
        RESET,
        LOCAL,
        headers={"Origin": page, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == page
    assert "x-mockserver-token" in preflight.headers["access-control-allow-headers"].lower()
    done = asgi_request(app, "POST", RESET, LOCAL, headers={"Origin": page, **JSON})
    assert done.status_code == 200 and done.headers["access-control-allow-origin"] == page
    vendor = asgi_request(
        app, "GET", "/v3/marketing/segments", LOCAL, headers={"Origin": EVIL, **AUTH}
    )
    assert vendor.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("token", ["%E2%82%AC", "%FF", "%C2%B2%C2%B2", "\u00b2"])
def test_an_odd_token_in_the_query_is_a_403_never_a_500(tokened_app, token):
    response = asgi_request(tokened_app, "GET", f"{REQUESTS}?token={token}", REMOTE)
    assert response.status_code == 403
