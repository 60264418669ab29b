"""Hand the memory a big build freed back to the OS: glibc keeps freed heap pages otherwise, so
the resident size of a process stays at its build-time peak."""

from __future__ import annotations

import functools
from collections.abc import Callable

#: Below this many bytes freed, trimming is not worth importing ctypes for (start-up).
WORTH_IT = 64 * 2**20


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes  # here: only big builds need it

    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's, through the process's own symbols
    except (OSError, AttributeError):
        return None  # not glibc: nothing to do


def release_freed_memory(freed_bytes: int) -> None:
    if freed_bytes < WORTH_IT:
        return
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
