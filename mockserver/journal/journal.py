"""The request journal: what the mock was asked and what it answered, newest last.

Bounded (a ring buffer), so a long-running mock never grows without limit.
Entries are stored as tuples-in-dataclasses and turned into dicts only when read.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs

DEFAULT_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Entry:
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
        data = asdict(self)
        data["params"] = parse_qs(self.query, keep_blank_values=True)
        return data

    def matches(self, path: str | None, method: str | None, api: str | None) -> bool:
        if method is not None and self.method != method.upper():
            return False
        if api is not None and self.api != api:
            return False
        if path is None:
            return True
        return fnmatch.fnmatchcase(self.path, path) if "*" in path else self.path == path


class Journal:
    """Thread-safe ring buffer of :class:`Entry`; the live server and tests share it."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self._entries: deque[Entry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(
        self,
        *,
        api: str | None,
        operation: str | None,
        method: str,
        path: str,
        query: str,
        status: int,
        ms: float,
        headers: dict[str, str],
    ) -> Entry:
        with self._lock:
            entry = Entry(
                next(self._ids),
                time.time(),
                api,
                operation,
                method,
                path,
                query,
                status,
                round(ms, 3),
                headers,
            )
            self._entries.append(entry)
        return entry

    def entries(
        self, path: str | None = None, method: str | None = None, api: str | None = None
    ) -> list[Entry]:
        with self._lock:
            snapshot = list(self._entries)
        return [entry for entry in snapshot if entry.matches(path, method, api)]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count

    def __len__(self) -> int:
        return len(self._entries)
