"""Posting lists per (asset or label, action_type, segment_type), sorted by weight.

A segment ``(item, action)`` is a contiguous run of entries ordered by weight descending
(ties by user), so the users qualifying at a ``min_weight`` are a prefix of the run, found by
one binary search; a running sum per run gives the prefix's total weight (``strength``)
without touching the entries. A label's value for a user is the **max** of the user's
values for the assets carrying the label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mockserver.budget import checkpoint
from mockserver.vendors.actionhub.model import WEIGHT_LEVELS, WEIGHT_SCALE, Catalog, World


@dataclass(frozen=True)
class Postings:
    """Runs of (user, weight) per segment; segment ``s`` = ``action * n_items + item``."""

    offsets: np.ndarray  # int64, n_segments + 1
    keys: np.ndarray  # segment * WEIGHT_LEVELS + (WEIGHT_SCALE - weight): ascending overall
    users: np.ndarray  # int32
    running: np.ndarray  # int64: sum of the weights from the run's start to this entry

    @property
    def n_segments(self) -> int:
        return len(self.offsets) - 1

    def ends(self, segments: np.ndarray, level: int) -> np.ndarray:
        """Index past the last entry with weight >= ``level`` in each segment's run."""
        targets = segments.astype(np.int64) * WEIGHT_LEVELS + (WEIGHT_SCALE - level)
        return np.searchsorted(self.keys, targets, side="right")

    def counts_and_sums(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Per segment: how many users have a weight >= ``level``, and their total weight."""
        starts = self.offsets[:-1]
        ends = self.ends(np.arange(self.n_segments), level)
        counts = ends - starts
        sums = np.where(counts > 0, self.running[np.maximum(ends - 1, 0)], 0)
        return counts, sums

    def users_at(self, segment: int, level: int) -> np.ndarray:
        end = int(self.ends(np.array([segment]), level)[0])
        return self.users[int(self.offsets[segment]) : end]


@dataclass(frozen=True)
class DisjointUnion:
    """Two postings whose runs never share a user (an asset's base and discovery values)."""

    first: Postings
    second: Postings

    def counts_and_sums(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        c1, s1 = self.first.counts_and_sums(level)
        c2, s2 = self.second.counts_and_sums(level)
        return c1 + c2, s1 + s2

    def users_at(self, segment: int, level: int) -> np.ndarray:
        return np.concatenate(
            (self.first.users_at(segment, level), self.second.users_at(segment, level))
        )


def build_postings(
    segment: np.ndarray,
    user: np.ndarray,
    weight: np.ndarray,
    n_segments: int,
    n_users: int,
    unique: bool = False,
) -> Postings:
    """Sort entries into runs; duplicate (segment, user) entries keep their highest weight.

    ``unique`` promises there are no duplicates (an asset's entries), skipping that pass.
    """
    segment, user, weight = (a.astype(np.int64) for a in (segment, user, weight))
    span = max(n_users, 1)
    if unique:
        run_key = segment * WEIGHT_LEVELS + (WEIGHT_SCALE - weight)
    else:
        # Pass 1: one entry per (segment, user), the highest weight first in each group.
        key = (segment * span + user) * WEIGHT_LEVELS + (WEIGHT_SCALE - weight)
        key.sort()
        pair = key // WEIGHT_LEVELS
        first = np.ones(len(key), bool)
        first[1:] = pair[1:] != pair[:-1]
        key, pair = key[first], pair[first]
        user = pair % span
        run_key = (pair // span) * WEIGHT_LEVELS + key % WEIGHT_LEVELS
        del key, pair, first
    # Pass 2: by segment, weight descending, user ascending.
    order = run_key * span + user
    order.sort()
    user = order % span
    run_key = order // span
    del order
    segment = run_key // WEIGHT_LEVELS
    weight = WEIGHT_SCALE - run_key % WEIGHT_LEVELS
    offsets = np.searchsorted(segment, np.arange(n_segments + 1), side="left").astype(np.int64)
    total = np.cumsum(weight)
    before = np.concatenate((np.zeros(1, total.dtype), total))[offsets[:-1]]
    running = total - np.repeat(before, np.diff(offsets))
    key_type = np.int32 if n_segments * WEIGHT_LEVELS < 2**31 else np.int64
    return Postings(offsets, run_key.astype(key_type), user.astype(np.int32), running)


@dataclass(frozen=True)
class Index:
    """Every posting list of a world, by (basis, segment_type)."""

    n_assets: int
    n_labels: int
    n_actions: int
    lists: dict[tuple[str, str], Postings | DisjointUnion]

    def n_items(self, basis: str) -> int:
        return self.n_assets if basis == "asset" else self.n_labels

    def postings(self, basis: str, segment_type: str) -> Postings | DisjointUnion:
        return self.lists[(basis, segment_type)]


def _label_entries(catalog: Catalog, asset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each recommendation, one entry per label of its asset: (row, label)."""
    pointer, flat = catalog.label_csr()
    starts, counts = pointer[asset], np.diff(pointer)[asset]
    rows = np.repeat(np.arange(len(asset)), counts)
    first = np.cumsum(counts) - counts
    positions = np.repeat(starts - first, counts) + np.arange(int(counts.sum()))
    return rows, flat[positions]


def concatenate(parts: list[Postings], n_items: int) -> Postings:
    """Per-action postings (segments = items) -> one postings (segment = action * n + item)."""
    n_segments = len(parts) * n_items
    key_type = np.int32 if n_segments * WEIGHT_LEVELS < 2**31 else np.int64
    sizes = np.cumsum([0] + [len(part.users) for part in parts])
    offsets = np.concatenate(
        [np.zeros(1, np.int64)] + [part.offsets[1:] + sizes[a] for a, part in enumerate(parts)]
    )
    keys = (
        np.concatenate(
            [
                part.keys.astype(key_type) + key_type(a * n_items * WEIGHT_LEVELS)
                for a, part in enumerate(parts)
            ]
        )
        if parts
        else np.zeros(0, key_type)
    )
    users = np.concatenate([part.users for part in parts]) if parts else np.zeros(0, np.int32)
    running = np.concatenate([part.running for part in parts]) if parts else np.zeros(0, np.int64)
    return Postings(offsets, keys, users, running)


def build_index(world: World) -> Index:
    """Build every posting list, one action type at a time to bound the scratch memory."""
    catalog, recs = world.catalog, world.recommendations
    n_users, n_assets, n_labels = len(world.users), len(catalog.asset_ids), len(catalog.label_ids)
    n_actions = len(catalog.action_types)
    parts: dict[tuple[str, str], list[Postings]] = {}
    for action in range(n_actions):
        checkpoint()
        rows = np.flatnonzero(recs.action == action)
        asset, user, weight, history = (
            recs.asset[rows],
            recs.user[rows],
            recs.weight[rows],
            recs.history[rows],
        )
        for segment_type, keep in (("base", history), ("discovery", ~history)):
            parts.setdefault(("asset", segment_type), []).append(
                build_postings(asset[keep], user[keep], weight[keep], n_assets, n_users, True)
            )
        entry, label = _label_entries(catalog, asset)
        user, weight, history = user[entry], weight[entry], history[entry]
        for segment_type, keep in (("growth", None), ("base", history), ("discovery", ~history)):
            chosen = slice(None) if keep is None else keep
            parts.setdefault(("label", segment_type), []).append(
                build_postings(label[chosen], user[chosen], weight[chosen], n_labels, n_users)
            )
        del entry, label, user, weight, history
    lists: dict[tuple[str, str], Postings | DisjointUnion] = {}
    for (basis, segment_type), chunks in sorted(parts.items()):
        lists[(basis, segment_type)] = concatenate(
            chunks, n_assets if basis == "asset" else n_labels
        )
        chunks.clear()
    if not parts:
        for key in [
            ("asset", "base"),
            ("asset", "discovery"),
            ("label", "growth"),
            ("label", "base"),
            ("label", "discovery"),
        ]:
            lists[key] = concatenate([], 0)
    # An asset's value comes from history or not, never both: growth = base + discovery.
    lists[("asset", "growth")] = DisjointUnion(
        lists[("asset", "base")], lists[("asset", "discovery")]
    )
    return Index(n_assets, n_labels, n_actions, lists)
