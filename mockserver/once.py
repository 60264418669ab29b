"""A value built on its first use, once, even when threads race for it: what a data version
computes only when a request needs it (the NumPy arrays its first answers do without)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar, cast

T = TypeVar("T")
_UNSET: object = object()


class Once(Generic[T]):
    """``get()`` builds the value on the first call and returns it on every call, once ``check``
    (settable: by default none) has seen it; a build or check that raises leaves it unbuilt
    (the next call tries again)."""

    __slots__ = ("_build", "_lock", "_value", "check")

    def __init__(self, build: Callable[[], T]) -> None:
        self._build: Callable[[], T] | None = build
        self._value: object = _UNSET
        self._lock = threading.Lock()
        self.check: Callable[[T], object] = lambda value: None

    @classmethod
    def built(cls, value: T) -> Once[T]:
        """A value there already (computed eagerly)."""
        once = cls(lambda: value)
        once.get()
        return once

    @property
    def done(self) -> bool:
        return self._value is not _UNSET

    def get(self) -> T:
        if self._value is _UNSET:
            with self._lock:
                if self._value is _UNSET:
                    assert self._build is not None
                    value = self._build()
                    self.check(value)
                    self._value = value
                    self._build = None  # what it closed over may be freed
        return cast(T, self._value)
