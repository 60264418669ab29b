"""The programs of one data version: fixture programs from the start, others on demand.

A program's catalog and answer caches exist as soon as it does; its world and index - NumPy
arrays - are built when an answer first needs them, once. With the default data, the fixture
programs' rankings at the spec's default ``min_weight`` come computed ahead of time
(``rankings.py``): their first ``/segments`` pages are served without NumPy; other fixture
data is built at start-up.

A program-id no fixture defines gets a world generated from (seed, program-id) on its first
request. Generated programs are kept in an LRU of at most ``MAX_GENERATED`` worlds, fewer
when they are large (together at most ``GENERATED_ROW_BUDGET`` recommendations, and at least
one world); an evicted program is rebuilt - identically - when asked for again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from mockserver.budget import checkpoint
from mockserver.heap import release_freed_memory
from mockserver.lru import LruCache
from mockserver.once import Once
from mockserver.progress import REPORTER, SILENT, Reporter, Task
from mockserver.vendors.actionhub.fixtures import ProgramFixture
from mockserver.vendors.actionhub.model import Catalog, Ranked, Volume

if TYPE_CHECKING:
    import numpy as np

    from mockserver.vendors.actionhub.index import Index
    from mockserver.vendors.actionhub.world import World

MAX_GENERATED = 16
GENERATED_ROW_BUDGET = 8_000_000
#: Per program: cached /segment bodies (bounded by count and bytes), ranked counts, pages.
SEGMENT_CACHE_ENTRIES, SEGMENT_CACHE_BYTES = 1024, 64 * 2**20
RANKED_CACHE_ENTRIES, PAGE_CACHE_ENTRIES = 64, 4096
#: What the index build frees per user (its scratch arrays): about 100 bytes per drawn row.
SCRATCH_BYTES_PER_USER = 2048
#: Recommendations a program build draws and indexes per second: 1,000,000 users take ~10 s.
ROWS_PER_SECOND = 2_000_000
#: The kinds of ids a program has, each with its catalog's ids.
KINDS: dict[str, Callable[[Catalog], tuple[str, ...]]] = {
    "asset": lambda catalog: catalog.asset_ids,
    "label": lambda catalog: catalog.label_ids,
    "action": lambda catalog: catalog.action_types,
}


class Precomputed(NamedTuple):
    """A fixture program computed ahead of time (``rankings.py``): its users, and its rankings
    by (basis, segment_type, threshold)."""

    users: int
    ranked: Mapping[tuple[str, str, int], Ranked]


class Arrays(NamedTuple):
    """A program's world and index, and each kind's ids ranked in id order (``KINDS``)."""

    world: World
    index: Index
    ranks: dict[str, np.ndarray]


class Program:
    """A program's catalog, id lookups and answer caches; its arrays built on first need."""

    def __init__(
        self,
        catalog: Catalog,
        users: int,
        arrays: Once[Arrays],
        ranked: Mapping[tuple[str, str, int], Ranked] | None = None,
    ) -> None:
        self.catalog = catalog
        self.users = users
        #: Per kind (asset, label, action): id -> index.
        self.positions = {
            kind: {v: i for i, v in enumerate(ids(catalog))} for kind, ids in KINDS.items()
        }
        self._arrays = arrays
        self.segment_bodies: LruCache[bytes] = LruCache(SEGMENT_CACHE_ENTRIES, SEGMENT_CACHE_BYTES)
        self.ranked: LruCache[Ranked] = LruCache(RANKED_CACHE_ENTRIES)
        self.pages: LruCache[bytes] = LruCache(PAGE_CACHE_ENTRIES, SEGMENT_CACHE_BYTES)
        for key, found in (ranked or {}).items():
            self.ranked.put(key, found)

    @classmethod
    def of(cls, world: World, task: Task = SILENT) -> Program:
        """The program of ``world``, its index built now."""
        return cls(world.catalog, len(world.users), Once.built(_indexed(world, task)))

    @property
    def built(self) -> bool:
        """Whether its arrays are built (a program from ``rankings.py`` waits for a need)."""
        return self._arrays.done

    @property
    def world(self) -> World:
        return self._arrays.get().world

    @property
    def index(self) -> Index:
        return self._arrays.get().index

    @property
    def ranks(self) -> dict[str, np.ndarray]:
        return self._arrays.get().ranks

    def rank(self, basis: str, segment_type: str, level: int) -> Ranked:
        """Every segment of ``basis`` and ``segment_type`` at ``level`` (``Index.rank``)."""
        return self.index.rank(basis, segment_type, level, self.ranks)


def _indexed(world: World, task: Task) -> Arrays:
    import numpy as np

    from mockserver.vendors.actionhub.index import build_index

    checkpoint()
    index = build_index(world, task)
    release_freed_memory(len(world.users) * SCRATCH_BYTES_PER_USER)
    ranks = {}
    for kind, ids_of in KINDS.items():
        ids = ids_of(world.catalog)
        ranks[kind] = np.empty(len(ids), np.int64)
        ranks[kind][sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return Arrays(world, index, ranks)


def _fixture_world(seed: int, fixture: ProgramFixture) -> World:
    from mockserver.vendors.actionhub.world import build_world

    return build_world(seed, fixture.catalog, fixture.volume, fixture.explicit)


class Programs:
    """program-id -> Program, for one data version: fixture programs are known now (each at the
    volume its file states; built now unless ``known`` has their rankings), generated ones on
    their first request."""

    def __init__(
        self,
        seed: int,
        fixtures: dict[str, ProgramFixture],
        volume: Volume,
        progress: Reporter = REPORTER,
        known: Mapping[str, Precomputed] | None = None,
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
            world = partial(_fixture_world, seed, fixture)
            found = known.get(name) if known is not None else None
            self.fixed[name] = self._program(name, fixture.catalog, fixture.volume, world, found)

    def _program(
        self,
        name: str,
        catalog: Catalog,
        volume: Volume,
        world: Callable[[], World],
        known: Precomputed | None = None,
    ) -> Program:
        """A program whose arrays are built now (reporting to ``progress`` if it is big), or
        on first need when ``known`` gives its users and rankings."""

        def arrays() -> Arrays:
            drawn = world()
            rows = volume.users * volume.recommendations_per_user
            with self.progress.task(f"ActionHub program {name!r}", rows / ROWS_PER_SECOND) as task:
                built = _indexed(drawn, task)
                task.finish(
                    f"{len(drawn.users):,} users, {len(catalog.asset_ids):,} assets, "
                    f"{volume.recommendations_per_user} recommendations per user"
                )
                return built

        if known is not None:
            users, ranked = known
            return Program(catalog, users, Once(arrays), ranked)
        now = arrays()
        return Program(catalog, len(now.world.users), Once.built(now))

    def describe(self) -> str:
        """The fixture programs with their sizes, and the size of generated ones."""
        fixed = ", ".join(f"{name} ({p.users:,} users)" for name, p in self.fixed.items())
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
                from mockserver.vendors.actionhub.world import generated_world

                world = generated_world(self.seed, program_id, self.volume)
                built = self._program(program_id, world.catalog, self.volume, lambda: world)
                program = self._generated.put(program_id, built)
        return program
