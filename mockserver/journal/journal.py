"""The request journal: what the mock was asked and what it answered, newest last.

Bounded (a ring buffer), so a long-running mock never grows without limit.
Recording stays cheap because it runs per request: an entry is stored as the raw
tuple of what the request brought (query string bytes, ASGI header list...), and is
decoded and masked into an :class:`Entry` only when the journal is read.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qs

from mockserver.journal.masking import Masker

DEFAULT_SIZE = 1000

#: What :meth:`Journal.record` stores: (id, time, api, operation, method, path, query string,
#: status, ms, raw headers) - plain values and references, nothing decoded or copied.
Raw = tuple[
    int, float, "str | None", "str | None", str, str, bytes, int, float, list[tuple[bytes, bytes]]
]


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry as readers see it: decoded, secrets masked."""

    id: int
    time: float
    api: str | None
    operation: str | None
    method: str
    path: str
    query: str
    status: int
    ms: float
    headers: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``GET /__mockserver/requests``: the fields, then the parsed query."""
        data = {name: getattr(self, name) for name in FIELDS}
        data["headers"] = dict(self.headers)
        data["params"] = parse_qs(self.query, keep_blank_values=True)
        return data

    def matches(self, path: str | None, method: str | None, api: str | None) -> bool:
        return matches(self.path, self.method, self.api, path, method, api)


FIELDS = tuple(field.name for field in fields(Entry))


def matches(
    entry_path: str,
    entry_method: str,
    entry_api: str | None,
    path: str | None,
    method: str | None,
    api: str | None,
) -> bool:
    """The journal's filter: exact method and API, the path exactly or as a ``*`` pattern."""
    if method is not None and entry_method != method.upper():
        return False
    if api is not None and entry_api != api:
        return False
    if path is None:
        return True
    return fnmatch.fnmatchcase(entry_path, path) if "*" in path else entry_path == path


class Journal:
    """Thread-safe ring buffer of raw requests; the live server and tests share it.

    ``masker`` hides secrets (headers, query parameters) when entries are read.
    """

    def __init__(self, size: int = DEFAULT_SIZE, masker: Masker | None = None) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self.masker = masker or Masker()
        self._entries: deque[Raw] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(
        self,
        api: str | None,
        operation: str | None,
        method: str,
        path: str,
        query_string: bytes,
        status: int,
        ms: float,
        raw_headers: list[tuple[bytes, bytes]],
    ) -> None:
        """Store one request as it came (ASGI values, kept by reference); runs per request."""
        with self._lock:
            self._entries.append(
                (
                    next(self._ids),
                    time.time(),
                    api,
                    operation,
                    method,
                    path,
                    query_string,
                    status,
                    ms,
                    raw_headers,
                )
            )

    def entries(
        self,
        path: str | None = None,
        method: str | None = None,
        api: str | None = None,
        *,
        since: int = 0,
        limit: int | None = None,
    ) -> list[Entry]:
        """The entries (oldest first) matching the filters, decoded and masked.

        ``since``: only entries with a greater id (a poller's cursor); ``limit``: only the
        newest ``limit`` of those. Both are applied before decoding, so a poll stays cheap.
        """
        with self._lock:
            snapshot = list(self._entries)
        chosen = [
            raw
            for raw in snapshot
            if raw[0] > since and matches(raw[5], raw[4], raw[2], path, method, api)
        ]
        if limit is not None:
            chosen = chosen[-limit:] if limit > 0 else []
        return [self._entry(raw) for raw in chosen]

    def _entry(self, raw: Raw) -> Entry:
        id_, when, api, operation, method, path, query_string, status, ms, raw_headers = raw
        masker = self.masker
        return Entry(
            id_,
            when,
            api,
            operation,
            method,
            path,
            masker.query(query_string.decode("latin-1")),
            status,
            round(ms, 3),
            masker.header_items(raw_headers),
        )

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count

    def __len__(self) -> int:
        return len(self._entries)
