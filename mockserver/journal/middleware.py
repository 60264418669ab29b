"""ASGI middleware: one journal entry and one log line per request, secrets masked.

It wraps the whole app, so 404/405 answers and CORS preflights are recorded too;
calls to the control API are logged but never journaled (they are not traffic).
Per request it only stores raw values: decoding and masking wait until the journal
is read, and the log line is built only when INFO is enabled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from mockserver.journal.journal import Journal

access_log = logging.getLogger("mockserver.access")

#: Scope key the operation endpoint fills with ``(api, operationId)``.
OPERATION_KEY = "mockserver.operation"


class JournalMiddleware:
    def __init__(
        self,
        app: Any,
        journal: Journal,
        owner: Callable[[str], str | None],
        control_prefix: str = "/__mockserver",
    ) -> None:
        self.app = app
        self.journal = journal
        self.owner = owner
        self.control_prefix = control_prefix
        self._control_dir = control_prefix + "/"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        done = False

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status, done
            if message["type"] == "http.response.start":
                status = message["status"]
            elif not done and not message.get("more_body", False):
                # Recorded before the last byte leaves: a client that has its answer finds it
                # in the journal.
                done = True
                self._after(scope, status, started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if not done:
                self._after(scope, status, started)

    def _after(self, scope: dict[str, Any], status: int, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        path: str = scope["path"]
        method: str = scope["method"]
        query_string: bytes = scope.get("query_string", b"")
        if access_log.isEnabledFor(logging.INFO):
            query = self.journal.masker.query(query_string.decode("latin-1"))
            target = f"{path}?{query}" if query else path
            access_log.info("%s %s %d %.1fms", method, target, status, ms)
        if path.startswith(self.control_prefix) and (
            path == self.control_prefix or path.startswith(self._control_dir)
        ):
            return
        api, operation = scope.get(OPERATION_KEY) or (self.owner(path), None)
        self.journal.record(
            api, operation, method, path, query_string, status, ms, scope.get("headers", [])
        )
