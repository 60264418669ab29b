"""Wire the control plane into the mock's app: the mount, the journal and CORS middleware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from mockserver.control.api import control_app
from mockserver.control.guard import ControlGuard
from mockserver.control.index import CONTROL_OFF_PAGE
from mockserver.journal import JournalMiddleware, Masker

if TYPE_CHECKING:
    from mockserver.app import MockServer

PREFIX = "/__mockserver"

VARY_ORIGIN = (b"vary", b"Origin")


def control_routes(server: MockServer) -> list[BaseRoute]:
    """The ``/__mockserver`` mount; with ``--no-control`` only a 404 page that says it is off."""
    if not server.config.control:

        async def control_off(request: Request) -> HTMLResponse:
            return HTMLResponse(CONTROL_OFF_PAGE, status_code=404)

        return [
            Route(path, control_off, methods=["GET", "HEAD"]) for path in (PREFIX, PREFIX + "/")
        ]

    async def to_index(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    return [
        Route(PREFIX, to_index, methods=["GET", "HEAD"]),
        Mount(PREFIX, app=ControlGuard(control_app(server), server.config.control_token)),
    ]


def masker_for(server: MockServer) -> Masker:
    """Mask the standard secret headers plus every API-key name the specs declare."""
    headers, params = [], []
    for runtime in server.runtimes.values():
        for scheme in runtime.spec.security_schemes.values():
            if scheme.get("type") == "apiKey":
                (params if scheme.get("in") == "query" else headers).append(scheme.get("name", ""))
    return Masker(headers, params)


def exposed_headers(server: MockServer) -> list[str]:
    """Response headers the specs declare (rate limits...), readable by browser scripts."""
    names = {
        header.name
        for runtime in server.runtimes.values()
        for operation in runtime.spec.operations
        for response in operation.responses.values()
        for header in response.headers
    }
    return sorted(names)


class OriginCORS:
    """Starlette's CORSMiddleware, paid for only by requests that carry an ``Origin`` header.

    The others (API clients, load generators) skip its header parsing; their answers get the
    ``Vary: Origin`` it would have added, so caches still keep CORS and non-CORS answers apart.
    """

    def __init__(self, app: Any, **options: Any) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, _ in scope["headers"]:
            if name == b"origin":
                await self.cors(scope, receive, send)
                return

        async def send_vary(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if any(name == b"vary" for name, _ in headers):
                    merged = MutableHeaders(scope=message)  # as CORSMiddleware merges it
                    merged["Vary"] = ", ".join([*merged.getlist("Vary"), "Origin"])
                else:
                    message["headers"] = [*headers, VARY_ORIGIN]
            await send(message)

        await self.app(scope, receive, send_vary)


def control_middleware(server: MockServer) -> list[Middleware]:
    """Journal outermost (it sees every answer, preflights included), then CORS."""
    config = server.config
    stack = [
        Middleware(
            JournalMiddleware,
            journal=server.journal,
            owner=lambda path: server.owner(path).name,
            control_prefix=PREFIX,
        )
    ]
    if config.cors_origins:
        stack.append(
            Middleware(
                OriginCORS,
                allow_origins=list(config.cors_origins),
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=exposed_headers(server),
                allow_private_network=True,
                max_age=600,
            )
        )
    return stack
