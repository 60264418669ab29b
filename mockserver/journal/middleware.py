"""ASGI middleware: one journal entry and one log line per request, secrets masked.

It wraps the whole app, so 404/405 answers and CORS preflights are recorded too;
calls to the control API are logged but never journaled (they are not traffic).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from mockserver.journal.journal import Journal
from mockserver.journal.masking import Masker

access_log = logging.getLogger("mockserver.access")

#: Scope key the operation endpoint fills with ``(api, operationId)``.
OPERATION_KEY = "mockserver.operation"


class JournalMiddleware:
    def __init__(
        self,
        app: Any,
        journal: Journal,
        masker: Masker,
        owner: Callable[[str], str | None],
        control_prefix: str = "/__mockserver",
    ) -> None:
        self.app = app
        self.journal = journal
        self.masker = masker
        self.owner = owner
        self.control_prefix = control_prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._after(scope, status, (time.perf_counter() - started) * 1000)

    def _after(self, scope: dict[str, Any], status: int, ms: float) -> None:
        path = scope.get("path", "")
        query = self.masker.query(scope.get("query_string", b"").decode("latin-1"))
        method = scope.get("method", "")
        if access_log.isEnabledFor(logging.INFO):
            target = f"{path}?{query}" if query else path
            access_log.info("%s %s %d %.1fms", method, target, status, ms)
        if path == self.control_prefix or path.startswith(self.control_prefix + "/"):
            return
        api, operation = scope.get(OPERATION_KEY) or (self.owner(path), None)
        self.journal.record(
            api=api,
            operation=operation,
            method=method,
            path=path,
            query=query,
            status=status,
            ms=ms,
            headers=self.masker.header_items(scope.get("headers", ())),
        )
