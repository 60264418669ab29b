"""CORS, the mock's one module for it: the vendor APIs' (:class:`ApiCors`) is never the control
plane's - a page on any site could then read the journal or wipe the state; the control plane
has its own (:func:`control_cors`), off unless ``--control-origin`` lists origins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Scope

from mockserver.params.unknown import WARNING_HEADER
from mockserver.spec.model import ApiSpec
from mockserver.vendors.interface import Reply

VARY_ORIGIN = (b"vary", b"Origin")


def exposed_headers(specs: Iterable[ApiSpec]) -> list[str]:
    """Response headers the specs declare and the mock's own warnings, readable by scripts."""
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


def _preflight(scope: Scope) -> Headers | None:
    """The request's headers when it is a CORS preflight."""
    if scope["method"] != "OPTIONS" or not has_origin(scope):
        return None
    headers = Headers(scope=scope)
    return headers if "access-control-request-method" in headers else None


async def _unsent(message: Message) -> None:
    """Where :class:`ApiCors` has Starlette's rules add headers to a message it keeps."""


class ApiCors:
    """The vendor APIs' CORS, a step on the reply, by Starlette's rules. ``*`` allows any origin
    without credentials (a browser refuses ``*`` with them); an explicit list echoes the page's
    origin and allows credentials, as the vendor does for ``fetch(url, {credentials:
    "include"})``."""

    def __init__(self, origins: Sequence[str], expose: Sequence[str]) -> None:
        listed = "*" not in origins
        self.policy = CORSMiddleware(
            _unsent,
            allow_origins=[origin.rstrip("/") for origin in origins] if listed else ["*"],
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials=listed,
            expose_headers=list(expose),
            allow_private_network=True,
            max_age=600,
        )

    def preflight(self, scope: Scope) -> Reply | None:
        """The answer to a CORS preflight, or ``None`` when the request is not one."""
        headers = _preflight(scope)
        if headers is None:
            return None
        response = self.policy.preflight_response(request_headers=headers)
        own = tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.raw_headers
            if name not in (b"content-length", b"content-type")
        )
        return Reply(response.status_code, bytes(response.body), response.media_type, own)

    async def on_origin(self, scope: Scope, start: Message) -> None:
        """Starlette's CORS headers on the start message answering a request with ``Origin``
        (a preflight's answer has its own)."""
        if scope["method"] != "OPTIONS" or _preflight(scope) is None:
            await self.policy.send(start, _unsent, Headers(scope=scope))

    @staticmethod
    def vary(start: Message) -> None:
        """``Vary: Origin`` on the start message answering a request without ``Origin``, so
        caches keep both apart."""
        headers = start["headers"]
        for name, _ in headers:
            if name == b"vary":
                merged = MutableHeaders(scope=start)  # as CORSMiddleware merges it
                merged["Vary"] = ", ".join([*merged.getlist("Vary"), "Origin"])
                return
        headers.append(VARY_ORIGIN)
