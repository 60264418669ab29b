"""The programs of one data version: fixture programs built at start-up, others on demand.

A program-id no fixture defines gets a world generated from (seed, program-id) on its first
request. Generated programs are kept in an LRU of at most ``MAX_GENERATED`` worlds, fewer
when they are large (together at most ``GENERATED_ROW_BUDGET`` recommendations, and at least
one world); an evicted program is rebuilt - identically - when asked for again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from mockserver.budget import checkpoint
from mockserver.heap import release_freed_memory
from mockserver.lru import LruCache
from mockserver.progress import REPORTER, SILENT, Reporter, Task
from mockserver.vendors.actionhub.fixtures import ProgramFixture
from mockserver.vendors.actionhub.index import Index, build_index
from mockserver.vendors.actionhub.model import World
from mockserver.vendors.actionhub.segments import Ranked
from mockserver.vendors.actionhub.world import (
    DEFAULT_RECOMMENDATIONS_PER_USER,
    DEFAULT_USERS,
    Volume,
    generated_world,
)
from mockserver.vendors.actionhub.world import fixture_world as _fixture_world

MAX_GENERATED = 16
GENERATED_ROW_BUDGET = 8_000_000
#: Per program: cached /segment bodies (bounded by count and bytes), ranked counts, pages.
SEGMENT_CACHE_ENTRIES, SEGMENT_CACHE_BYTES = 1024, 64 * 2**20
RANKED_CACHE_ENTRIES, PAGE_CACHE_ENTRIES = 64, 4096


def _sorted_rank(ids: tuple[str, ...]) -> np.ndarray:
    """Position of each id in ascending id order."""
    rank = np.empty(len(ids), np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return rank


#: What the index build frees per user (its scratch arrays): about 100 bytes per drawn row.
SCRATCH_BYTES_PER_USER = 2048
#: Recommendations a program build draws and indexes per second: 1,000,000 users take ~10 s.
ROWS_PER_SECOND = 2_000_000


@dataclass
class Program:
    """A world with its index, id lookups and answer caches."""

    world: World
    index: Index
    positions: dict[str, dict[str, int]] = field(init=False)
    ranks: dict[str, np.ndarray] = field(init=False)
    segment_bodies: LruCache[bytes] = field(init=False)
    ranked: LruCache[Ranked] = field(init=False)
    pages: LruCache[bytes] = field(init=False)

    def __post_init__(self) -> None:
        catalog = self.world.catalog
        self.positions = {
            "asset": {v: i for i, v in enumerate(catalog.asset_ids)},
            "label": {v: i for i, v in enumerate(catalog.label_ids)},
            "action": {v: i for i, v in enumerate(catalog.action_types)},
        }
        self.ranks = {
            "asset": _sorted_rank(catalog.asset_ids),
            "label": _sorted_rank(catalog.label_ids),
            "action": _sorted_rank(catalog.action_types),
        }
        self.segment_bodies = LruCache(SEGMENT_CACHE_ENTRIES, SEGMENT_CACHE_BYTES)
        self.ranked = LruCache(RANKED_CACHE_ENTRIES)
        self.pages = LruCache(PAGE_CACHE_ENTRIES, SEGMENT_CACHE_BYTES)

    @classmethod
    def of(cls, world: World, task: Task = SILENT) -> Program:
        checkpoint()
        program = cls(world, build_index(world, task))
        release_freed_memory(len(world.users) * SCRATCH_BYTES_PER_USER)
        return program

    @classmethod
    def built(cls, world: World, what: str, volume: Volume, progress: Reporter) -> Program:
        """``of(world)``, reporting to ``progress`` if it is big."""
        rows = volume.users * volume.recommendations_per_user
        with progress.task(f"ActionHub program {what}", rows / ROWS_PER_SECOND) as task:
            program = cls.of(world, task)
            assets = len(world.catalog.asset_ids)
            task.finish(
                f"{len(world.users):,} users, {assets:,} assets, "
                f"{volume.recommendations_per_user} recommendations per user"
            )
            return program


def fixture_world(seed: int, fixture: ProgramFixture, volume: Volume) -> World:
    checkpoint()
    return _fixture_world(seed, fixture.catalog, volume, fixture.explicit)


class Programs:
    """program-id -> Program, for one data version."""

    def __init__(
        self,
        seed: int,
        fixed: dict[str, Program],
        volume: Volume,
        progress: Reporter = REPORTER,
    ) -> None:
        self.seed = seed
        self.progress = progress
        #: The fixture programs; each has the volume its file states.
        self.fixed = fixed
        #: The size of generated programs (any program-id no fixture defines).
        self.volume = volume
        rows = max(volume.users * volume.recommendations_per_user, 1)
        self.capacity = max(1, min(MAX_GENERATED, GENERATED_ROW_BUDGET // rows))
        self._generated: LruCache[Program] = LruCache(self.capacity)
        self._lock = threading.Lock()

    @classmethod
    def build(
        cls,
        seed: int,
        fixtures: dict[str, ProgramFixture],
        users: int | None = None,
        recommendations_per_user: int | None = None,
        progress: Reporter = REPORTER,
    ) -> Programs:
        """Build every fixture program now; generated ones wait for their first request."""
        volume = Volume(
            DEFAULT_USERS if users is None else users,
            DEFAULT_RECOMMENDATIONS_PER_USER
            if recommendations_per_user is None
            else recommendations_per_user,
        )
        fixed = {
            name: Program.built(
                fixture_world(seed, fixture, fixture.volume), repr(name), fixture.volume, progress
            )
            for name, fixture in fixtures.items()
        }
        return cls(seed, fixed, volume, progress)

    def describe(self) -> str:
        """The fixture programs with their sizes, and the size of generated ones."""
        fixed = ", ".join(
            f"{name} ({len(program.world.users):,} users)" for name, program in self.fixed.items()
        )
        volume = self.volume
        generated = (
            f"any other program-id generated: {volume.users:,} users x "
            f"{volume.recommendations_per_user} recommendations"
        )
        return f"programs {fixed}; {generated}" if fixed else generated

    def get(self, program_id: str) -> Program:
        program = self.fixed.get(program_id) or self._generated.get(program_id)
        if program is not None:
            return program
        with self._lock:  # build each world once, even if requests race for it
            program = self._generated.get(program_id)
            if program is None:
                world = generated_world(self.seed, program_id, self.volume)
                built = Program.built(world, repr(program_id), self.volume, self.progress)
                program = self._generated.put(program_id, built)
        return program
