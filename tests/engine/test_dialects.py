"""Every error an API emits speaks its dialect: unknown paths, methods, crashes."""

from __future__ import annotations

import logging

import httpx
import pytest

from mockserver.vendors.interface import Backend
from tests.conftest import AUTH, PROGRAM
from tests.harness import live_server

SENDGRID_404 = {"errors": [{"field": None, "message": "resource not found"}]}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/nowhere", {"detail": "Not Found"}),
        ("/segments/extra", {"detail": "Not Found"}),
        ("/segments/", {"detail": "Not Found"}),
        ("/v3/marketing/unknown", {"errors": [{"field": None, "message": "resource not found"}]}),
        (
            "/v3/marketing/segments/a/b",
            {"errors": [{"field": None, "message": "resource not found"}]},
        ),
    ],
)
def test_unknown_paths_answer_404_in_the_owning_dialect(client, path, body):
    response = client.get(path, headers={**AUTH, **PROGRAM})
    assert (response.status_code, response.json()) == (404, body)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/segments", {"detail": "Method Not Allowed"}),
        ("/v3/marketing/segments", {"errors": [{"field": None, "message": "method not allowed"}]}),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_methods_the_path_does_not_allow_answer_405_with_allow(client, path, body, method):
    response = client.request(method, path, headers={**AUTH, **PROGRAM})
    assert (response.status_code, response.json()) == (405, body)
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_head_answers_like_get_without_a_body(client):
    get = client.get("/segments", headers=PROGRAM)
    head = client.head("/segments", headers=PROGRAM)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]


def _explode(call):
    raise RuntimeError("boom")


class Exploding(Backend):
    """The backend in service, but one operation raises."""

    def __init__(self, backend, operation_id: str) -> None:
        self.handlers = {**backend.handlers, operation_id: _explode}
        self.authorize = backend.authorize


@pytest.mark.parametrize(
    ("api", "path", "headers", "body"),
    [
        ("actionhub", "/segments", PROGRAM, {"detail": "Internal Server Error"}),
        (
            "sendgrid",
            "/v3/marketing/segments",
            AUTH,
            {"errors": [{"field": None, "message": "Internal Server Error"}]},
        ),
    ],
)
def test_a_crash_is_a_500_in_the_dialect_logged_and_the_server_keeps_serving(
    caplog, api, path, headers, body
):
    with live_server(apis=(api,)) as server, httpx.Client(base_url=server.url) as http:
        runtime = server.app.runtimes[api]
        healthy = http.get(path, headers=headers)
        operation = next(op for op in runtime.spec.operations if op.path == path)
        original = runtime.backend
        runtime.install(Exploding(original, operation.operation_id))
        with caplog.at_level(logging.ERROR, logger="mockserver"):
            crashed = http.get(path, headers=headers)
        runtime.install(original)
        again = http.get(path, headers=headers)
    assert (crashed.status_code, crashed.json()) == (500, body)
    assert "RuntimeError: boom" in caplog.text
    assert again.status_code == 200
    assert again.content == healthy.content
