"""A "real deployment" that drifts on purpose: the bundled mock with planted differences.

Every answer is the mock's own (seed 0, so the bundled mock a test compares with answers the
same values) except where a :class:`Drift` rewrites it:

- ``renamed``: GetSegment of one segment renames the required ``query_dsl`` to ``query``;
- ``echo``: GetSegment of another segment puts the caller's ``Authorization`` header into
  ``contacts_count`` (a breaking type change whose violation message quotes the credential);
- ``echo_name``: GetSegment of a fourth segment puts it into ``name`` (conforming: recorded);
- ``crash``: GetSegment of a third segment answers 500 in SendGrid's (declared) error shape;
- ``error_body``: a 400 of ListSegment answers ``{"error": ...}`` instead of ``errors[]``;
- ``extra``: ListSegment with ``no_parent_list_id=true`` adds an ``archived`` property the spec
  does not declare to each result (additive);
- ``score``: ActionHub's ``/segments`` adds an undeclared ``score`` to each item (additive;
  ``SegmentCount`` forbids additional properties, so the tolerant validator warns).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SEGMENTS = "/v3/marketing/segments"

Rewrite = Callable[[int, Any, Scope], tuple[int, Any]]


@dataclass(frozen=True)
class Drift:
    name: str
    path: str
    applies: Callable[[Scope], bool]
    rewrite: Rewrite


def _query(scope: Scope) -> str:
    return scope["query_string"].decode("latin-1")


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for n, v in scope["headers"] if n == name), "")


def sendgrid_drifts(renamed: str, echo: str, crash: str, named: str = "") -> list[Drift]:
    """The planted SendGrid drifts; the ids are segments of the seed-0 world."""

    def rename(status, body, scope):
        body["query"] = body.pop("query_dsl")
        return status, body

    def echo_key(status, body, scope):
        body["contacts_count"] = _header(scope, b"authorization")
        return status, body

    def echo_in_name(status, body, scope):
        body["name"] = _header(scope, b"authorization")[:100]
        return status, body

    def crash_500(status, body, scope):
        return 500, {"errors": [{"field": None, "message": "internal server error"}]}

    def error_body(status, body, scope):
        return status, {"error": "bad request"}

    def archived(status, body, scope):
        for result in body["results"]:
            result["archived"] = False
        return status, body

    return [
        Drift("renamed", f"{SEGMENTS}/{renamed}", lambda s: True, rename),
        Drift("echo", f"{SEGMENTS}/{echo}", lambda s: True, echo_key),
        Drift("echo_name", f"{SEGMENTS}/{named}", lambda s: True, echo_in_name),
        Drift("crash", f"{SEGMENTS}/{crash}", lambda s: True, crash_500),
        Drift("error_body", SEGMENTS, lambda s: "no_parent_list_id=maybe" in _query(s), error_body),
        Drift("extra", SEGMENTS, lambda s: _query(s) == "no_parent_list_id=true", archived),
    ]


def actionhub_drifts() -> list[Drift]:
    def score(status, body, scope):
        for item in body.get("items", []):
            item["score"] = 0.5
        return status, body

    return [Drift("score", "/segments", lambda s: True, score)]


class DriftingApp:
    """``app`` (an ASGI app answering JSON) with ``drifts`` applied to its answers."""

    def __init__(self, app: ASGIApp, drifts: list[Drift]) -> None:
        self.app = app
        self.drifts = drifts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        drift = None
        if scope["type"] == "http":
            drift = next(
                (d for d in self.drifts if d.path == scope["path"] and d.applies(scope)), None
            )
        if drift is None:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start = messages[0]
        body = b"".join(m.get("body", b"") for m in messages[1:])
        status, document = drift.rewrite(start["status"], orjson.loads(body), scope)
        out = orjson.dumps(document)
        headers = [(n, v) for n, v in start["headers"] if n != b"content-length"]
        headers.append((b"content-length", str(len(out)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})
