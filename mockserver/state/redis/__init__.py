"""State shared by every process and replica of one mock, in Redis (``serve --state URL``; what
is shared and how: docs/SCALING.md). Anyone who can reach the store can write under the prefix:
every value read back is checked, and a bad one is skipped and logged once (``Link.checked``)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.state.base import State
from mockserver.state.ledger import Ledger
from mockserver.state.redis.journal import Packer, RedisJournal
from mockserver.state.redis.link import Link
from mockserver.state.redis.overrides import RedisOverrides
from mockserver.state.redis.replica import Replica
from mockserver.state.redis.stores import RedisData, RedisWindows
from mockserver.state.redis.writes import RedisWriteLog
from mockserver.state.values import Fault

if TYPE_CHECKING:
    from mockserver.journal.masking import Masker
    from mockserver.state.base import Replicable

__all__ = ["RedisState", "redis_state"]


@dataclass(frozen=True)
class RedisState(State):
    journal: RedisJournal
    overrides: RedisOverrides
    windows: RedisWindows
    data: RedisData
    link: Link

    @functools.cached_property
    def replica(self) -> Replica:
        """Made by the first call, ``attach`` in the thread that builds the app."""
        return Replica(
            self.link, self.journal, self.overrides, self.windows, self.data, self.writes
        )

    def attach(self, runtimes: Mapping[str, Replicable], masker: Masker) -> None:
        self.journal.packer = Packer(masker)
        self.replica.join(runtimes)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        self.start()
        try:
            yield
        finally:
            await self.journal.aclose()
            self.close()

    def start(self) -> None:
        """Follow the other processes (the server's lifespan does this)."""
        self.replica.start()

    def describe(self) -> dict[str, Any]:
        return {
            "store": "redis",
            "url": self.link.store,
            "prefix": self.link.prefix,
            "reachable": self.link.up,
            "replica": self.replica.id,
            "replicas": self.replica.replicas(),
        }

    def problems(self) -> list[str]:
        return self.replica.problems()

    def close(self) -> None:
        self.replica.stop()
        self.journal.close()
        self.link.close()


def redis_state(
    url: str,
    *,
    prefix: str = "mockserver",
    journal_size: int = 1000,
    seed: int = 0,
    base_fault: Fault | None = None,
) -> RedisState:
    """The state of one process of a mock shared through ``url``; raises StateUnavailable
    (the CLI prints one line and exits 2) when the store cannot be reached."""
    link = Link(url, prefix)
    link.control(lambda r: r.ping())
    return RedisState(
        RedisJournal(link, journal_size),
        RedisOverrides(link, seed, base_fault),
        RedisWindows(link),
        RedisData(link),
        Ledger(RedisWriteLog(link)),
        link,
    )
