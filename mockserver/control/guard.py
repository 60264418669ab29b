"""Who may use the control plane: loopback callers, or anyone holding the control token."""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import parse_qs

from starlette.routing import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.serialize import json_bytes

TOKEN_HEADER = b"x-mockserver-token"
#: Scope key: why the caller may not use the control plane, set where the console's shell is
#: served to a refused caller anyway (the page then shows the reason and asks for the token).
REFUSAL_KEY = "mockserver.control_refusal"


def is_loopback(host: str | None) -> bool:
    """A socket peer on this machine (Starlette's TestClient names its peer "testclient")."""
    if not host:
        return False
    if host == "testclient":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def is_console_shell(scope: Scope) -> bool:
    """``GET /`` and ``/static/...`` under the mount: the console page renders no state for a
    refused caller and the static files are the package's own, so anyone may load them."""
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    path = get_route_path(scope)
    return path in ("", "/") or path.startswith("/static/")


class ControlGuard:
    """With a token set every caller must present it (header or ``?token=``); else loopback only.

    A refused caller still gets the console's shell, which shows why and asks for the token.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (reason := self.refusal(scope)) is not None:
            if is_console_shell(scope):
                await self.app({**scope, REFUSAL_KEY: reason}, receive, send)
                return
            body = json_bytes({"error": reason})
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> str | None:
        if self.token is None:
            client = scope.get("client") or (None, None)
            if is_loopback(client[0]):
                return None
            return "the control API answers only on loopback; start with --control-token"
        presented = dict(scope.get("headers", ())).get(TOKEN_HEADER)
        if presented is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            presented = (query.get("token") or [""])[-1].encode("latin-1")
        if hmac.compare_digest(presented, self.token):
            return None
        return "missing or wrong control token (X-Mockserver-Token header or ?token=)"
