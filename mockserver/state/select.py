"""Which state a mock runs with: in-process (the default) or shared through a store's URL."""

from __future__ import annotations

from mockserver.errors import MockServerError
from mockserver.state.base import State
from mockserver.state.memory import memory_state
from mockserver.state.values import Fault

#: URL schemes ``--state`` accepts (all of them Redis).
SCHEMES = ("redis", "rediss", "unix")


def open_state(
    url: str | None,
    *,
    prefix: str = "mockserver",
    journal_size: int = 1000,
    seed: int = 0,
    base_fault: Fault | None = None,
) -> State:
    """In-process state without ``url``; else the Redis state at ``url`` (StateUnavailable when
    it cannot be reached, MockServerError when the ``redis`` extra is not installed)."""
    if not url:
        return memory_state(journal_size, seed, base_fault)
    try:
        from mockserver.state.redis import redis_state
    except ImportError as exc:
        if exc.name not in ("redis", "hiredis"):
            raise
        raise MockServerError(
            "--state needs the redis extra: pip install 'mockserver[redis]'"
        ) from None
    return redis_state(
        url, prefix=prefix, journal_size=journal_size, seed=seed, base_fault=base_fault
    )
