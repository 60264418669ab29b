"""CORS for browser apps calling the mock, paid for only by requests that carry ``Origin``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.params.unknown import WARNING_HEADER
from mockserver.spec.model import ApiSpec

VARY_ORIGIN = (b"vary", b"Origin")


def exposed_headers(specs: Iterable[ApiSpec]) -> list[str]:
    """Response headers the specs declare (rate limits...), readable by browser scripts, and
    the mock's own warnings (an unknown query parameter)."""
    names = {
        header.name
        for spec in specs
        for operation in spec.operations
        for response in operation.responses.values()
        for header in response.headers
    }
    return sorted(names | {WARNING_HEADER})


def has_origin(scope: Scope) -> bool:
    for name, _ in scope["headers"]:  # noqa: SIM110 - a loop is cheaper: every request
        if name == b"origin":
            return True
    return False


def api_cors(app: ASGIApp, origins: Sequence[str], expose: Sequence[str]) -> OriginCORS:
    """The vendor APIs' CORS: any method and request header, the specs' response headers
    readable, and private-network preflights allowed (a page on the web calling a local mock)."""
    return OriginCORS(
        app,
        allow_origins=list(origins),
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=list(expose),
        allow_private_network=True,
        max_age=600,
    )


class OriginCORS:
    """Starlette's CORSMiddleware for requests with an ``Origin`` header; the others (API
    clients, load generators) skip its header parsing and get the ``Vary: Origin`` it would
    have added, so caches still keep CORS and non-CORS answers apart."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if has_origin(scope):
            await self.cors(scope, receive, send)
            return

        async def send_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if any(name == b"vary" for name, _ in headers):
                    merged = MutableHeaders(scope=message)  # as CORSMiddleware merges it
                    merged["Vary"] = ", ".join([*merged.getlist("Vary"), "Origin"])
                else:
                    message["headers"] = [*headers, VARY_ORIGIN]
            await send(message)

        await self.app(scope, receive, send_vary)
