"""One journal record and one log line per request, secrets masked in both.

The fast path (a spec operation) calls :meth:`Recorder.record` itself; everything else (the
control plane, unknown paths, CORS preflights) passes :class:`JournalMiddleware`, which calls
the same method. Calls to the control API are logged but never journaled: they are not traffic.
Per request only raw values are stored; the log line is built only when INFO is enabled, and
ends with the request's warnings (e.g. an unknown query parameter), ``; ``-separated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.journal.masking import Masker, log_safe
from mockserver.journal.record import (
    BODY_KEY,
    CUT_MARK,
    HEAD_BYTES_KEY,
    OPERATION_KEY,
    SOURCE_KEY,
    VIOLATIONS_KEY,
    WARNINGS_KEY,
    Record,
    cut_query,
)
from mockserver.limits import JOURNAL_ENTRY_BYTES
from mockserver.state.base import JournalStore

access_log = logging.getLogger("mockserver.access")

#: Distinct header lists and paths a recorder shares between records. Clients repeat theirs, so
#: a record keeps the first equal copy and each request's own objects are freed at once: a copy
#: kept per request made every later request allocate cold memory (bench: 2-3.5 µs a request at
#: 32 connections, docs/PERFORMANCE.md). Bounded: past it the table starts again.
SHARED_VALUES = 512


def shared(table: dict[Any, Any], value: Any) -> Any:
    """``value``, or the equal one ``table`` already keeps."""
    kept = table.get(value)
    if kept is None:
        if len(table) >= SHARED_VALUES:
            table.clear()
        table[value] = kept = value
    return kept


class Recorder:
    def __init__(
        self,
        journal: JournalStore,
        masker: Masker,
        owner: Callable[[str], str | None],
        control_prefix: str,
        entry_bytes: int = JOURNAL_ENTRY_BYTES,
    ) -> None:
        self.journal = journal
        self.masker = masker
        self.owner = owner
        self.control_prefix = control_prefix
        self._control_dir = control_prefix + "/"
        #: Called with every record journaled (the pytest plugin's ``--mockserver-journal``
        #: keeps them all, whatever the journal's size and resets).
        self.taps: list[Callable[[Record], None]] = []
        #: Request bytes (target and headers) one entry keeps (``--journal-entry-bytes``).
        self.entry_bytes = entry_bytes
        self._headers: dict[tuple[tuple[bytes, bytes], ...], Any] = {}
        self._paths: dict[str, str] = {}

    def record(self, scope: Scope, status: int, started: float) -> None:
        """Journal (and log) one answered request; ``started`` is its ``perf_counter``."""
        ms = (time.perf_counter() - started) * 1000
        path: str = scope["path"]
        method: str = scope["method"]
        query: bytes = scope["query_string"]
        warnings: tuple[str, ...] = scope.get(WARNINGS_KEY, ())
        if access_log.isEnabledFor(logging.INFO):
            shown = self.masker.query(query.decode("latin-1"))
            target = log_safe(f"{path}?{shown}" if shown else path)
            notes = "".join(f"; {warning}" for warning in warnings) if warnings else ""
            method_shown = log_safe(method, 32)
            fields = {"method": method_shown, "path": target, "status": status, "ms": round(ms, 1)}
            fields["warnings"] = list(warnings)  # the fields of a line of --log-format json
            args = (method_shown, target, status, ms, notes)
            access_log.info("%s %s %d %.1fms%s", *args, extra=fields)
        if path == self.control_prefix or path.startswith(self._control_dir):
            return
        api, operation = scope.get(OPERATION_KEY) or (self.owner(path), None)
        headers = scope["headers"]
        if scope.get(HEAD_BYTES_KEY, 0) > self.entry_bytes:  # set by the server, per request
            path, query, headers, dropped = cut(path, query, headers, self.entry_bytes)
            if dropped:
                warnings = (*warnings, cut_warning(dropped, self.entry_bytes))
        body = scope.get(BODY_KEY)
        if not isinstance(body, bytes):
            body = b""
        elif len(body) > self.entry_bytes:
            warnings = (*warnings, body_cut_warning(len(body) - self.entry_bytes, self.entry_bytes))
            body = body[: self.entry_bytes]
        record = Record(
            time.time(),
            api,
            operation,
            method,
            shared(self._paths, path),
            query,
            status,
            ms,
            shared(self._headers, tuple(headers)),
            warnings,
            scope.get(VIOLATIONS_KEY, ()),
            scope.get(SOURCE_KEY, "mock"),
            body=body,
        )
        self.journal.append(record)
        for tap in self.taps:
            tap(record)


def cut_warning(dropped: int, limit: int) -> str:
    return (
        f"request cut to {limit:,} bytes in the journal: {dropped:,} bytes of target and headers "
        "not kept (--journal-entry-bytes)"
    )


def body_cut_warning(dropped: int, limit: int) -> str:
    return f"request body cut to {limit:,} bytes in the journal: {dropped:,} bytes not kept"


def cut(
    path: str, query: bytes, headers: list[tuple[bytes, bytes]], limit: int
) -> tuple[str, bytes, list[tuple[bytes, bytes]], int]:
    """The request within ``limit`` bytes: the target first (path, then query, each at most a
    quarter of it), then headers in order; a cut value ends in ``...``. Returns what is kept
    and how many bytes were dropped."""
    dropped = 0
    quarter = limit // 4
    if len(path) > quarter:
        dropped += len(path) - quarter
        path = path[:quarter] + CUT_MARK
    if len(query) > quarter:
        dropped += len(query) - quarter
        query = cut_query(query, quarter)
    budget = limit - len(path) - len(query)
    kept: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        cost = len(name) + len(value) + 4
        if cost <= budget:
            kept.append((name, value))
            budget -= cost
        elif budget > len(name) + 4 + len(CUT_MARK):
            room = budget - len(name) - 4 - len(CUT_MARK)
            kept.append((name, value[:room] + CUT_MARK.encode()))
            dropped += len(value) - room
            budget = 0
        else:
            dropped += cost
    return path, query, kept, dropped


class JournalMiddleware:
    """Records every answer that passes it (404/405, CORS preflights, the control plane's log)."""

    def __init__(self, app: ASGIApp, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder
        self.settle = recorder.journal.settles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        done = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, done
            if message["type"] == "http.response.start":
                status = message["status"]
            elif not done and not message.get("more_body", False):
                # Recorded before the last byte leaves: a client that has its answer finds it
                # in the journal.
                done = True
                self.recorder.record(scope, status, started)
                if self.settle:
                    await self.recorder.journal.settled()
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if not done:
                self.recorder.record(scope, status, started)
