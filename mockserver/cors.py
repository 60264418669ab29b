"""CORS, the mock's one module for it: the vendor APIs answer browser apps of any origin (or of
the ``--cors-origin`` list, with credentials), paid for only by requests that carry ``Origin``;
the control plane answers none unless ``--control-origin`` lists them.

The vendor APIs' CORS must not reach the control plane - a page on any site could then read the
journal or wipe the state - so the app routes ``/__mockserver`` around it
(``control.mount.ControlRouter``) and the control plane has its own (:func:`control_cors`).
"""

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


#: What a listed origin's page may send the control plane: its methods, JSON bodies, the token.
CONTROL_METHODS = ["GET", "PUT", "POST", "DELETE"]
CONTROL_HEADERS = ["content-type", "x-mockserver-token"]


def api_cors(app: ASGIApp, origins: Sequence[str], expose: Sequence[str]) -> OriginCORS:
    """The vendor APIs' CORS: any method and request header, the specs' response headers
    readable, and private-network preflights allowed (a page on the web calling a local mock).

    ``*`` (the default) answers ``Access-Control-Allow-Origin: *``, which a browser never
    accepts for a request with credentials; an explicit list echoes the page's origin (with
    ``Vary: Origin``) and allows credentials, so ``fetch(url, {credentials: "include"})`` from
    a listed app works as it would against the vendor."""
    listed = "*" not in origins
    return OriginCORS(
        app,
        allow_origins=[origin.rstrip("/") for origin in origins] if listed else ["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=listed,
        expose_headers=list(expose),
        allow_private_network=True,
        max_age=600,
    )


def control_cors(app: ASGIApp, origins: Sequence[str]) -> ASGIApp:
    """The control plane's CORS: exactly ``origins`` (``--control-origin``); none (no CORS
    headers, no preflight answers) when the list is empty."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=[origin.rstrip("/") for origin in origins],
        allow_methods=CONTROL_METHODS,
        allow_headers=CONTROL_HEADERS,
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
