"""The journal: an answer is in the journal by the time its client has it."""

from __future__ import annotations

import asyncio
from typing import Any

from mockserver.control import actions
from tests.conftest import AUTH
from tests.harness import mock_app

SEGMENTS = "/v3/marketing/segments"


def test_entry_is_recorded_before_the_last_byte_is_sent():
    app = mock_app(apis=("sendgrid",))
    seen: list[tuple[str, int]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        seen.append((message["type"], len(app.state.journal)))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": SEGMENTS,
        "raw_path": SEGMENTS.encode(),
        "root_path": "",
        "query_string": b"api_key=topsecret",
        "headers": [(b"host", b"mock"), (b"authorization", AUTH["Authorization"].encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert seen[-1] == ("http.response.body", 1)
    (entry,) = actions.journal(app.control)
    assert (entry.status, entry.query) == (200, "api_key=***")
    assert entry.headers["authorization"] == "Bearer SG.***"
