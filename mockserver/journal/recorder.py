"""One journal record and one log line per request, secrets masked in both. Per request only raw
values are stored; the log line is built only when INFO is enabled."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.exchange import Exchange
from mockserver.journal.masking import Masker, log_safe
from mockserver.journal.record import CUT_MARK, Record, cut_query
from mockserver.limits import JOURNAL_ENTRY_BYTES
from mockserver.state.base import JournalStore

access_log = logging.getLogger("mockserver.access")
#: The warnings of a journal entry cut to ``--journal-entry-bytes`` (``verify`` never resends a
#: body cut short: it finds such an entry by :data:`BODY_CUT`).
CUT = (
    "request cut to {:,} bytes in the journal: {:,} bytes of target and headers not kept "
    "(--journal-entry-bytes)"
)
BODY_CUT = "request body cut to"
BODY_CUT_TO = BODY_CUT + " {:,} bytes in the journal: {:,} bytes not kept"

#: Distinct header lists and paths a recorder shares between records. Clients repeat theirs, so
#: a record keeps the first equal copy and each request's own objects are freed at once: a copy
#: kept per request made every later request allocate cold memory (bench: 2-3.5 µs a request at
#: 32 connections, docs/PERFORMANCE.md). Bounded: past it the table starts again.
SHARED_VALUES = 512


def shared(table: dict[Any, Any], value: Any, kept_as: Callable[[Any], Any] = lambda v: v) -> Any:
    """What ``table`` keeps for ``value`` (``kept_as(value)``, made once per distinct value)."""
    kept = table.get(value)
    if kept is None:
        if len(table) >= SHARED_VALUES:
            table.clear()
        table[value] = kept = kept_as(value)
    return kept


def measured(headers: tuple[tuple[bytes, bytes], ...]) -> tuple[tuple[Any, ...], int]:
    """A header list and its bytes as the journal counts them (name, value, ``: `` and CRLF)."""
    return headers, sum(len(name) + len(value) + 4 for name, value in headers)


class Recorder:
    def __init__(
        self,
        journal: JournalStore,
        masker: Masker,
        owner: Callable[[str], str | None],
        entry_bytes: int = JOURNAL_ENTRY_BYTES,
    ) -> None:
        self.journal = journal
        self.masker = masker
        self.owner = owner
        #: Called with every record journaled (the pytest plugin's ``--mockserver-journal``
        #: keeps them all, whatever the journal's size and resets).
        self.taps: list[Callable[[Record], None]] = []
        #: Request bytes (target and headers) one entry keeps (``--journal-entry-bytes``).
        self.entry_bytes = entry_bytes
        #: Header lists kept, with their size: a repeated list is measured once.
        self._headers: dict[tuple[tuple[bytes, bytes], ...], Any] = {}
        self._paths: dict[str, str] = {}

    def record(self, exchange: Exchange, status: int) -> None:
        """Journal and log one answered request, timed from ``exchange.started``."""
        ms = self.log(exchange, status)
        scope = exchange.scope
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        warnings = exchange.warnings
        api, operation = exchange.operation or (self.owner(path), None)
        headers, size = shared(self._headers, tuple(scope["headers"]), measured)
        if len(path) + len(query) + size > self.entry_bytes:
            path, query, cut_headers, dropped = cut(path, query, headers, self.entry_bytes)
            headers = tuple(cut_headers)
            if dropped:
                warnings = (*warnings, CUT.format(self.entry_bytes, dropped))
        body = exchange.body
        if not isinstance(body, bytes):
            body = b""
        elif len(body) > self.entry_bytes:
            cut_by = len(body) - self.entry_bytes
            warnings = (*warnings, BODY_CUT_TO.format(self.entry_bytes, cut_by))
            body = body[: self.entry_bytes]
        record = Record(
            time.time(),
            api,
            operation,
            scope["method"],
            shared(self._paths, path),
            query,
            status,
            ms,
            headers,
            warnings,
            exchange.violations,
            exchange.source,
            False,  # masked when read
            body,
        )
        self.journal.append(record)
        for tap in self.taps:
            tap(record)

    def log(self, exchange: Exchange, status: int) -> float:
        """The request's access-log line (at INFO only); returns its milliseconds."""
        ms = (time.perf_counter() - exchange.started) * 1000
        if access_log.isEnabledFor(logging.INFO):
            scope = exchange.scope
            target = self.masker.target(scope)
            warnings = exchange.warnings
            notes = "".join(f"; {warning}" for warning in warnings) if warnings else ""
            method = log_safe(scope["method"], 32)
            fields = {"method": method, "path": target, "status": status, "ms": round(ms, 1)}
            fields["warnings"] = list(warnings)  # the fields of a line of --log-format json
            access_log.info("%s %s %d %.1fms%s", method, target, status, ms, notes, extra=fields)
        return ms


def cut(
    path: str, query: bytes, headers: list[tuple[bytes, bytes]], limit: int
) -> tuple[str, bytes, list[tuple[bytes, bytes]], int]:
    """The request within ``limit`` bytes (path and query each at most a quarter, then headers
    in order; a cut value ends in ``...``), and how many bytes were dropped."""
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


class ControlLog:
    """One log line per call to the control plane, which the journal never keeps."""

    def __init__(self, app: ASGIApp, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(scope, time.perf_counter())
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.recorder.log(exchange, status)
