"""The programs of one data version: fixture programs built at start-up, others on demand.

A program-id no fixture defines gets a world generated from (seed, program-id) on its first
request. Generated programs are kept in an LRU of at most ``MAX_GENERATED`` worlds, fewer
when they are large (together at most ``GENERATED_ROW_BUDGET`` recommendations, and at least
one world); an evicted program is rebuilt - identically - when asked for again.
"""

from __future__ import annotations

import threading

import numpy as np

from mockserver.budget import checkpoint
from mockserver.heap import release_freed_memory
from mockserver.lru import LruCache
from mockserver.progress import REPORTER, SILENT, Reporter, Task
from mockserver.vendors.actionhub.fixtures import ProgramFixture
from mockserver.vendors.actionhub.index import Index, Ranked, build_index
from mockserver.vendors.actionhub.model import World
from mockserver.vendors.actionhub.world import Volume, build_world, generated_world

MAX_GENERATED = 16
GENERATED_ROW_BUDGET = 8_000_000
#: Per program: cached /segment bodies (bounded by count and bytes), ranked counts, pages.
SEGMENT_CACHE_ENTRIES, SEGMENT_CACHE_BYTES = 1024, 64 * 2**20
RANKED_CACHE_ENTRIES, PAGE_CACHE_ENTRIES = 64, 4096
#: What the index build frees per user (its scratch arrays): about 100 bytes per drawn row.
SCRATCH_BYTES_PER_USER = 2048
#: Recommendations a program build draws and indexes per second: 1,000,000 users take ~10 s.
ROWS_PER_SECOND = 2_000_000


class Program:
    """A world with its index, id lookups and answer caches."""

    def __init__(self, world: World, index: Index) -> None:
        self.world = world
        self.index = index
        #: Per kind (asset, label, action): id -> index, and each index's rank in id order.
        self.positions: dict[str, dict[str, int]] = {}
        self.ranks: dict[str, np.ndarray] = {}
        for kind, ids in (
            ("asset", world.catalog.asset_ids),
            ("label", world.catalog.label_ids),
            ("action", world.catalog.action_types),
        ):
            self.positions[kind] = {v: i for i, v in enumerate(ids)}
            self.ranks[kind] = np.empty(len(ids), np.int64)
            self.ranks[kind][sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        self.segment_bodies: LruCache[bytes] = LruCache(SEGMENT_CACHE_ENTRIES, SEGMENT_CACHE_BYTES)
        self.ranked: LruCache[Ranked] = LruCache(RANKED_CACHE_ENTRIES)
        self.pages: LruCache[bytes] = LruCache(PAGE_CACHE_ENTRIES, SEGMENT_CACHE_BYTES)

    @classmethod
    def of(cls, world: World, task: Task = SILENT) -> Program:
        checkpoint()
        program = cls(world, build_index(world, task))
        release_freed_memory(len(world.users) * SCRATCH_BYTES_PER_USER)
        return program


class Programs:
    """program-id -> Program, for one data version: fixture programs are built now (each at
    the volume its file states), generated ones on their first request."""

    def __init__(
        self,
        seed: int,
        fixtures: dict[str, ProgramFixture],
        volume: Volume,
        progress: Reporter = REPORTER,
    ) -> None:
        self.seed = seed
        self.progress = progress
        #: The size of generated programs (any program-id no fixture defines).
        self.volume = volume
        rows = max(volume.users * volume.recommendations_per_user, 1)
        self.capacity = max(1, min(MAX_GENERATED, GENERATED_ROW_BUDGET // rows))
        self._generated: LruCache[Program] = LruCache(self.capacity)
        self._lock = threading.Lock()
        self.fixed: dict[str, Program] = {}
        for name, fixture in fixtures.items():
            checkpoint()
            world = build_world(seed, fixture.catalog, fixture.volume, fixture.explicit)
            self.fixed[name] = self._built(world, repr(name), fixture.volume)

    def _built(self, world: World, what: str, volume: Volume) -> Program:
        """``Program.of(world)``, reporting to ``progress`` if it is big."""
        rows = volume.users * volume.recommendations_per_user
        with self.progress.task(f"ActionHub program {what}", rows / ROWS_PER_SECOND) as task:
            program = Program.of(world, task)
            task.finish(
                f"{len(world.users):,} users, {len(world.catalog.asset_ids):,} assets, "
                f"{volume.recommendations_per_user} recommendations per user"
            )
            return program

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
                built = self._built(world, repr(program_id), self.volume)
                program = self._generated.put(program_id, built)
        return program
