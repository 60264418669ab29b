"""The one bounded cache (every memo is one, so hostile input never grows one without bound).
Reads take no lock (``OrderedDict`` operations are atomic under the GIL); writes do, as data
loads fill caches from worker threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    """``max_bytes`` bounds the summed ``sizeof`` of the values (default: the ``len()`` of bytes
    values; other values count 0)."""

    def __init__(
        self,
        max_entries: int,
        max_bytes: int | None = None,
        sizeof: Callable[[V], int] | None = None,
    ) -> None:
        if max_entries < 1:
            raise ValueError("an LruCache holds at least one entry")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size: Callable[[Any], int] = sizeof or _size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            try:  # noqa: SIM105 - the hot path: no context manager per hit
                self._entries.move_to_end(key)
            except KeyError:  # evicted by a writer in between: still a valid answer
                pass
        return value

    def put(self, key: Hashable, value: V) -> V:
        """Keep ``value`` (unless it alone exceeds ``max_bytes``) and return it."""
        size = self._size(value)
        if self.max_bytes is not None and size > self.max_bytes:
            return value  # too big to keep: answered, not cached
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= self._size(old)
            self._entries[key] = value
            self._bytes += size
            while len(self._entries) > self.max_entries or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= self._size(evicted)
        return value

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        value = self.get(key)
        return value if value is not None else self.put(key, build())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def _size(value: object) -> int:
    return len(value) if isinstance(value, bytes) else 0
