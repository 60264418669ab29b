"""An ActionHub deployment that drifted from the spec: the bundled mock, with one change to
every 200 answer of ``GET /segments``.

- ``additive``: the page gains ``pages`` (what a fastapi-pagination upgrade adds) and the answer
  an ``X-Request-Id`` header - changes a consumer that ignores what it does not know survives;
- ``removed``: each item loses its required ``user_count`` - a change that breaks consumers.

Everything else (validation, 422s, 405s) is the mock's own, so a contract run sees only the drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.app import build_app
from mockserver.config import ServeConfig


def add_pages(page: dict[str, Any]) -> dict[str, Any]:
    return {**page, "pages": -(-page["total"] // page["size"])}


def drop_user_count(page: dict[str, Any]) -> dict[str, Any]:
    items = [{k: v for k, v in item.items() if k != "user_count"} for item in page["items"]]
    return {**page, "items": items}


DRIFTS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], list[tuple[bytes, bytes]]]] = {
    "additive": (add_pages, [(b"x-request-id", b"5f2b7c1e")]),
    "removed": (drop_user_count, []),
}


class Drifted:
    """``app``'s answers, with ``GET /segments`` 200 bodies (and headers) changed by ``drift``."""

    def __init__(self, app: ASGIApp, drift: str) -> None:
        self.app = app
        self.change, self.headers = DRIFTS[drift]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/segments":
            await self.app(scope, receive, send)
            return
        start: Message = {}

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            body = message.get("body", b"")
            if start["status"] == 200 and body:
                body = json.dumps(self.change(json.loads(body))).encode()
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            headers += [(b"content-length", str(len(body)).encode())]
            if start["status"] == 200:
                headers += self.headers
            await send({**start, "headers": headers})
            await send({**message, "body": body})

        await self.app(scope, receive, rewrite)


def drifted_actionhub(drift: str) -> Drifted:
    return Drifted(build_app(ServeConfig(apis=("actionhub",))), drift)
