"""Who may use the control plane: loopback callers, or anyone holding the control token."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any
from urllib.parse import parse_qs

from mockserver.serialize import json_bytes

TOKEN_HEADER = b"x-mockserver-token"


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


class ControlGuard:
    """With a token set every caller must present it (header or ``?token=``); else loopback only."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (reason := self.refusal(scope)) is not None:
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

    def refusal(self, scope: dict[str, Any]) -> str | None:
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
