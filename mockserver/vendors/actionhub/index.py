"""Posting lists per (asset or label, action_type, segment_type), sorted by weight, and the
segment arithmetic over them.

A segment ``(item, action)`` is a contiguous run of entries ordered by weight descending
(ties by user), so the users qualifying at a ``min_weight`` are a prefix of the run, found by
one binary search. Entries of equal (segment, weight) form a group; per group the index keeps
the cumulative count and weight, so a prefix's size and total weight (``strength``) are two
lookups. A label's value for a user is the **max** of the user's values for the assets
carrying it; growth is base united with discovery (see :class:`Union`).

Built with sorts of packed integer keys (segment, weight, user in one int64), one action type
at a time to bound the scratch memory; no per-entry Python object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from mockserver.budget import checkpoint
from mockserver.progress import SILENT, Task
from mockserver.vendors.actionhub.model import WEIGHT_SCALE, Catalog, Ranked, SegmentKey
from mockserver.vendors.actionhub.world import Recommendations, World

#: Bits of an inverted weight ``WEIGHT_SCALE - weight`` in a key (2**14 > WEIGHT_SCALE).
WEIGHT_BITS = 14
WEIGHT_MASK = (1 << WEIGHT_BITS) - 1
#: Label entries made per step (bounds the scratch of assets with many labels).
LABEL_CHUNK = 1 << 22


class Postings(NamedTuple):
    """Runs of users per segment (segment ``s`` = ``action * n_items + item``), as groups of
    entries of equal (segment, weight) in run order, with cumulative counts and weights."""

    keys: np.ndarray  # per group: segment << WEIGHT_BITS | (WEIGHT_SCALE - weight), ascending
    bounds: np.ndarray  # per group + 1: entries before the group (bounds[-1]: all entries)
    totals: np.ndarray  # per group + 1: int64, total weight of the entries before the group
    firsts: np.ndarray  # per segment + 1: the segment's first group
    users: np.ndarray  # int32, per entry, ascending within a group (empty: counts only)

    def ends(self, segments: np.ndarray, level: int) -> np.ndarray:
        """Per segment: the group past the last one with weight >= ``level``."""
        targets = (segments.astype(self.keys.dtype) << WEIGHT_BITS) + (WEIGHT_SCALE - level)
        return np.searchsorted(self.keys, targets, side="right")

    def counts_and_sums(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Per segment: how many entries have a weight >= ``level``, and their total weight."""
        firsts = self.firsts[:-1]
        ends = self.ends(np.arange(len(firsts)), level)
        return self.bounds[ends] - self.bounds[firsts], self.totals[ends] - self.totals[firsts]

    def users_at(self, segment: int, level: int) -> np.ndarray:
        end = int(self.ends(np.array([segment]), level)[0])
        return self.users[int(self.bounds[self.firsts[segment]]) : int(self.bounds[end])]


class Union(NamedTuple):
    """Base and discovery postings of the same segments, united: a user's growth value is the
    larger of its two. ``overlap`` holds, per segment, the users found in both by the smaller
    of their values, so counts and sums subtract them once; an asset has no overlap (a
    recommendation is from history or not)."""

    first: Postings
    second: Postings
    overlap: Postings | None = None

    def counts_and_sums(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        c1, s1 = self.first.counts_and_sums(level)
        c2, s2 = self.second.counts_and_sums(level)
        counts, sums = c1 + c2, s1 + s2
        if self.overlap is not None:
            c3, s3 = self.overlap.counts_and_sums(level)
            counts -= c3
            sums -= s3
        return counts, sums

    def users_at(self, segment: int, level: int) -> np.ndarray:
        """Both prefixes (a user in both appears twice: callers mark users, not count them)."""
        return np.concatenate(
            (self.first.users_at(segment, level), self.second.users_at(segment, level))
        )


class ListBuilder:
    """Collects the groups of one list, one action type (a range of segments) at a time, in
    ascending order of action type."""

    def __init__(self, n_actions: int, n_items: int) -> None:
        self.n_segments = n_actions * n_items
        self.keys: list[np.ndarray] = []
        self.sizes: list[np.ndarray] = []
        self.users: list[np.ndarray] = []

    def add(self, group: np.ndarray, users: np.ndarray | None = None) -> None:
        """The group keys of one action type's sorted entries (and their users, if kept)."""
        starts = np.flatnonzero(_differs(group, 0))
        self.keys.append(group[starts])
        self.sizes.append(np.diff(starts, append=len(group)))
        if users is not None:
            self.users.append(users.astype(np.int32))

    def build(self) -> Postings:
        # group keys: segment << WEIGHT_BITS | inverted weight
        dtype = np.int32 if (self.n_segments << WEIGHT_BITS) < 2**31 else np.int64
        keys = _joined(self.keys, dtype)
        sizes = _joined(self.sizes, np.int64)
        users = _joined(self.users, np.int32)
        self.keys.clear()
        self.sizes.clear()
        self.users.clear()
        bounds = np.zeros(len(keys) + 1, np.int64)
        np.cumsum(sizes, out=bounds[1:])
        totals = np.zeros(len(keys) + 1, np.int64)
        np.cumsum(sizes * (WEIGHT_SCALE - (keys & WEIGHT_MASK)), out=totals[1:])
        if bounds[-1] < 2**31:
            bounds = bounds.astype(np.int32)
        segment_starts = np.arange(self.n_segments + 1, dtype=dtype) << WEIGHT_BITS
        firsts = np.searchsorted(keys, segment_starts, side="left")
        return Postings(keys, bounds, totals, firsts, users)


def _joined(parts: list[np.ndarray], dtype: type[np.generic]) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


class Index(NamedTuple):
    """Every posting list of a world, by (basis, segment_type), and the segments they answer.

    A user is in the segment of one item (asset or label) when one of the chosen action types
    gives the user a value >= the threshold for that item; ``match_type=any`` is the union
    over the items, ``all`` the intersection.
    """

    n_users: int
    #: Items (assets, labels) per basis.
    n_items: dict[str, int]
    lists: dict[tuple[str, str], Postings | Union]

    def postings(self, basis: str, segment_type: str) -> Postings | Union:
        return self.lists[(basis, segment_type)]

    def members(self, key: SegmentKey, items: Sequence[int], actions: Sequence[int]) -> np.ndarray:
        """Indexes (ascending, unique) of the users in the segment of ``items`` (positions of
        ``key.names``) by ``actions`` (positions of ``key.actions``)."""
        postings = self.postings(key.basis, key.segment_type)
        n_items = self.n_items[key.basis]
        result: np.ndarray | None = None
        for item in items:
            hit = np.zeros(self.n_users, bool) if key.match_all or result is None else result
            for action in actions:
                hit[postings.users_at(action * n_items + item, key.level)] = True
            result = hit if result is None or not key.match_all else result & hit
        return np.zeros(0, np.int64) if result is None else np.flatnonzero(result)

    def rank(
        self, basis: str, segment_type: str, level: int, ranks: Mapping[str, np.ndarray]
    ) -> Ranked:
        """Every (item, action) with >= 1 qualifying user: user_count desc, then id, then
        action (``ranks``: per kind, each index's rank in id order)."""
        counts, sums = self.postings(basis, segment_type).counts_and_sums(level)
        present = np.flatnonzero(counts)
        item, action = present % self.n_items[basis], present // self.n_items[basis]
        order = np.lexsort((ranks["action"][action], ranks[basis][item], -counts[present]))
        chosen = present[order]
        return Ranked(chosen, counts[chosen], sums[chosen])


def _bits(count: int) -> int:
    return max(1, (count - 1).bit_length())


def _differs(key: np.ndarray, shift: int) -> np.ndarray:
    """``key[i] >> shift != key[i - 1] >> shift`` (True for the first entry), in chunks:
    ``>= 1 << shift`` of the xor of two non-negative keys says they differ above ``shift``."""
    out = np.ones(len(key), bool)
    for start in range(1, len(key), LABEL_CHUNK):
        stop = min(len(key), start + LABEL_CHUNK)
        out[start:stop] = (key[start:stop] ^ key[start - 1 : stop - 1]) >= 1 << shift
    return out


def _label_table(catalog: Catalog) -> np.ndarray:
    """Asset -> its label indexes, one row per asset padded with -1."""
    width = max((len(labels) for labels in catalog.asset_labels), default=0)
    table = np.full((len(catalog.asset_ids), max(width, 1)), -1, np.int64)
    for asset, labels in enumerate(catalog.asset_labels):
        table[asset, : len(labels)] = labels
    return table


class IndexBuilder:
    """The five posting lists of a world, fed one action type's recommendations at a time.

    Keys pack (item, weight, user) - and the history flag - into one int64 whose sort order is
    the order wanted; ``WEIGHT_SCALE - weight`` puts higher weights first.
    """

    def __init__(self, catalog: Catalog, n_users: int) -> None:
        self.n_users = n_users
        self.n_assets, self.n_labels = len(catalog.asset_ids), len(catalog.label_ids)
        self.n_actions = len(catalog.action_types)
        self.user_bits = _bits(n_users)
        self.asset_bits, self.label_bits = _bits(self.n_assets), _bits(self.n_labels)
        if max(self.asset_bits + 1, self.label_bits) + WEIGHT_BITS + self.user_bits + 1 > 63:
            raise ValueError("too many assets, labels or users to index")
        n_actions, n_assets, n_labels = self.n_actions, self.n_assets, self.n_labels
        self.assets = {t: ListBuilder(n_actions, n_assets) for t in ("base", "discovery")}
        self.labels = {t: ListBuilder(n_actions, n_labels) for t in ("base", "discovery")}
        self.overlap = ListBuilder(n_actions, n_labels)
        # An entry's key starts with its label: label << (user, history, weight bits); -1: none
        table = _label_table(catalog)
        self.label_table = np.where(table >= 0, table << (self.user_bits + 1 + WEIGHT_BITS), -1)
        self.label_counts = (table >= 0).sum(axis=1)

    def add_action(self, action: int, rows: Recommendations) -> None:
        """The recommendations of action type ``action`` (added in ascending order)."""
        inverted = WEIGHT_SCALE - rows.weight.astype(np.int64)
        self._add_assets(action, rows, inverted)
        self._add_labels(action, rows, inverted)

    def _label_keys(self, rows: Recommendations, inverted: np.ndarray) -> np.ndarray:
        """One key (label, user, history, inverted weight) per label of each row's asset."""
        asset = rows.asset
        row = rows.user.astype(np.int64) << 1
        row |= rows.history
        row <<= WEIGHT_BITS
        row |= inverted
        chunk = max(1, LABEL_CHUNK // self.label_table.shape[1])
        key = np.empty(int(self.label_counts[asset].sum()), np.int64)
        filled = 0
        for start in range(0, len(row), chunk):
            entries = self.label_table[asset[start : start + chunk]]
            entries |= row[start : start + chunk, None]
            entries = entries[entries >= 0]
            key[filled : filled + len(entries)] = entries
            filled += len(entries)
        return key

    def _add_assets(self, action: int, rows: Recommendations, inverted: np.ndarray) -> None:
        """One sort by (history, asset, weight desc, user): discovery, then base."""
        ub = self.user_bits
        key = rows.history.astype(np.int64) << self.asset_bits
        key |= rows.asset
        key <<= WEIGHT_BITS
        key |= inverted
        key <<= ub
        key |= rows.user
        key.sort()
        split = int(np.searchsorted(key, 1 << (self.asset_bits + WEIGHT_BITS + ub)))
        offset = (action * self.n_assets) << WEIGHT_BITS
        for name, part in (("discovery", key[:split]), ("base", key[split:])):
            group = (part >> ub) & ((1 << (self.asset_bits + WEIGHT_BITS)) - 1)
            group += offset
            self.assets[name].add(group, part & ((1 << ub) - 1))

    def _add_labels(self, action: int, rows: Recommendations, inverted: np.ndarray) -> None:
        """A user's value per (label, history) is its best asset's: sort the entries by
        (label, user, history, weight desc), keep the first of each (label, user, history),
        then sort each history's entries into runs. A (label, user) with both histories is
        an overlap."""
        ub = self.user_bits
        key = self._label_keys(rows, inverted)
        key.sort()
        key = key[_differs(key, WEIGHT_BITS)]
        offset = (action * self.n_labels) << WEIGHT_BITS
        # Overlap: entries i (discovery) and i + 1 (base) of one (label, user).
        both = np.flatnonzero(~_differs(key, WEIGHT_BITS + 1)[1:])
        smaller = np.maximum(key[both] & WEIGHT_MASK, key[both + 1] & WEIGHT_MASK)
        overlap = ((key[both] >> (WEIGHT_BITS + 1 + ub)) << WEIGHT_BITS) | smaller
        overlap.sort()
        self.overlap.add(overlap + offset)
        del both, smaller, overlap
        is_base = np.bitwise_and(key, 1 << WEIGHT_BITS).astype(bool)
        for name, chosen in (("discovery", ~is_base), ("base", is_base)):
            part = key[chosen]
            # (label, user, history, weight) -> (label, weight, user), in place where it can be
            runs = part >> (WEIGHT_BITS + 1)  # label, user
            user = runs & ((1 << ub) - 1)
            runs ^= user  # label << ub
            runs <<= WEIGHT_BITS
            np.bitwise_and(part, WEIGHT_MASK, out=part)
            part <<= ub
            runs |= part  # label, weight
            runs |= user
            del part, user
            runs.sort()
            users = runs & ((1 << ub) - 1)
            runs >>= ub
            runs += offset
            self.labels[name].add(runs, users)

    def build(self) -> Index:
        asset_base, asset_discovery = self.assets["base"].build(), self.assets["discovery"].build()
        label_base, label_discovery = self.labels["base"].build(), self.labels["discovery"].build()
        lists: dict[tuple[str, str], Postings | Union] = {
            ("asset", "base"): asset_base,
            ("asset", "discovery"): asset_discovery,
            ("asset", "growth"): Union(asset_base, asset_discovery),
            ("label", "base"): label_base,
            ("label", "discovery"): label_discovery,
            ("label", "growth"): Union(label_base, label_discovery, self.overlap.build()),
        }
        return Index(self.n_users, {"asset": self.n_assets, "label": self.n_labels}, lists)


def build_index(world: World, task: Task = SILENT) -> Index:
    """Build every posting list, one action type at a time to bound the scratch memory
    (``task``: where a big build reports how far it is)."""
    task.step(0.0, "drawing recommendations")
    recs = world.draw()
    builder = IndexBuilder(world.catalog, len(world.users))
    for action in range(builder.n_actions):
        checkpoint()
        task.step(0.3 + 0.7 * action / builder.n_actions, "indexing")
        builder.add_action(action, recs.take(np.flatnonzero(recs.action == action)))
    del recs
    return builder.build()
