"""Who may use the control plane: loopback callers, or anyone holding the control token - and
never a web page the user happens to visit (docs/SECURITY.md says how and why).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.exchange import first_values
from mockserver.serialize import json_bytes

TOKEN_HEADER = b"x-mockserver-token"
#: The console's page for a refused caller: it shows why and asks for the token.
RefusedPage = Callable[[Request, str], Awaitable[Response]]
#: Methods that change the mock's state.
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
#: Body types a browser only sends after a CORS preflight (which the control plane refuses).
CONTROL_MEDIA = frozenset(
    {"application/json", "application/x-ndjson", "application/jsonl", *YAML_TYPES}
)

LOOPBACK_ONLY = "the control API answers only on loopback; start with --control-token"
LOOPBACK_HOST = (
    "the control API answers only requests addressed to localhost, 127.0.0.1 or [::1] (the Host "
    "header); start with --control-token to call it by another name"
)
WRONG_TOKEN = "missing or wrong control token (X-Mockserver-Token header or ?token=)"
NEEDS_TYPE = (
    "a control call that changes something needs Content-Type: application/json "
    "(application/yaml for data, application/x-ndjson for cassettes): browser forms cannot "
    "send it across sites"
)


#: Headers of every console and control answer: no framing by any page (CSP's frame-ancestors,
#: and X-Frame-Options for older browsers), no type sniffing, and the page's own scripts, styles
#: and calls only (the console has no inline script or style).
SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
        b"object-src 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
)


class NoFraming:
    """Adds :data:`SECURITY_HEADERS` to every answer of ``app`` (replacing any it set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._names = frozenset(name for name, _ in SECURITY_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", ()) if h[0].lower() not in self._names]
                message["headers"] = [*kept, *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_secured)


def host_name(value: str) -> str:
    """``Host`` without its port, lower-cased: ``[::1]:4010`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    name, sep, port = value.rpartition(":")
    return name if sep and port.isascii() and port.isdigit() else value


def is_loopback(name: str) -> bool:
    """``localhost`` (or ``*.localhost``), ``127.x.y.z`` or ``::1``: names only this machine
    answers to, which a rebinding DNS name never is."""
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def same_origin(origin: str, scope: Scope, host: str | None) -> bool:
    """Does the page's ``Origin`` name this server as the request reached it (scheme, Host)?"""
    parts = urlsplit(origin)
    scheme = scope.get("scheme", "http")
    return host is not None and parts.scheme == scheme and parts.netloc.lower() == host.lower()


def console_shell(scope: Scope) -> str | None:
    """``"page"`` (``GET /``) or ``"static"``: the page renders no state for a refused caller and
    the static files are the package's own, so anyone may load them."""
    if scope.get("method") not in ("GET", "HEAD"):
        return None
    path = get_route_path(scope)
    return "page" if path in ("", "/") else "static" if path.startswith("/static/") else None


class ControlGuard:
    """Refuses callers and requests a web page could abuse; a refused caller still gets the
    console's shell, which shows why and asks for the token."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        origins: Iterable[str] = (),
        *,
        refused_page: RefusedPage,
    ) -> None:
        self.app = app
        self.refused_page = refused_page
        self.token = token.encode() if token else None
        self.origins = frozenset(origin.rstrip("/").lower() for origin in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (reason := self.refusal(scope)) is not None:
            shell = console_shell(scope)
            if shell == "page":
                page = await self.refused_page(Request(scope, receive), reason)
                await page(scope, receive, send)
                return
            if shell != "static":
                body = json_bytes({"error": reason})
                await Response(body, 403, media_type="application/json")(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> str | None:
        headers = first_values(scope.get("headers", ()))
        return self.caller_refusal(scope, headers) or self.request_refusal(scope, headers)

    def caller_refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """Who is calling: loopback by peer and by name, or a holder of the token."""
        if self.token is None:
            peer = (scope.get("client") or ("",))[0] or ""
            if peer == "testclient":  # Starlette's TestClient
                return None
            if not is_loopback(peer):
                return LOOPBACK_ONLY
            if not is_loopback(host_name(headers.get("host", ""))):
                return LOOPBACK_HOST
            return None
        presented = dict(scope.get("headers", ())).get(TOKEN_HEADER)
        if presented is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            presented = (query.get("token") or [""])[-1].encode("utf-8", "replace")
        return None if hmac.compare_digest(presented, self.token) else WRONG_TOKEN

    def request_refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """What is asked: nothing a page of another site could have sent on its own."""
        origin = headers.get("origin")
        if (
            origin is not None
            and origin.rstrip("/").lower() not in self.origins
            and not same_origin(origin, scope, headers.get("host"))
        ):
            return (
                f"a page of another origin ({origin[:100]!r}) may not call the control API; "
                "list it with --control-origin"
            )
        if scope.get("method") in MUTATING:
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media not in CONTROL_MEDIA and not media.endswith("+json"):
                return NEEDS_TYPE
        return None
