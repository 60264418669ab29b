"""Segment arithmetic over an index: who is in a segment, and how many per (item, action).

Semantics, applied everywhere:
- a user is in the segment of one item (asset or label) when one of the chosen action types
  gives the user a value >= the threshold for that item (a label's value is the max over
  the assets carrying it);
- ``match_type=any`` is the union over the items, ``all`` the intersection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from mockserver.vendors.actionhub.index import Index


class SegmentKey(NamedTuple):
    """What a ``/segment`` answer depends on: its cache key."""

    basis: str
    names: tuple[str, ...]
    #: ``None``: every action type.
    actions: tuple[str, ...] | None
    match_all: bool
    segment_type: str
    level: int


def members(
    index: Index, n_users: int, key: SegmentKey, items: Sequence[int], actions: Sequence[int]
) -> np.ndarray:
    """Indexes (ascending, unique) of the users in the segment of ``items`` (positions of
    ``key.names``) by ``actions`` (positions of ``key.actions``)."""
    postings = index.postings(key.basis, key.segment_type)
    n_items = index.n_items(key.basis)
    result: np.ndarray | None = None
    for item in items:
        hit = np.zeros(n_users, bool) if key.match_all or result is None else result
        for action in actions:
            hit[postings.users_at(action * n_items + item, key.level)] = True
        result = hit if result is None or not key.match_all else result & hit
    return np.zeros(0, np.int64) if result is None else np.flatnonzero(result)


@dataclass(frozen=True)
class Ranked:
    """Non-empty segments of one (basis, segment_type, threshold), in the served order."""

    segments: np.ndarray  # action * n_items + item
    counts: np.ndarray
    sums: np.ndarray  # total weight of the counted users, in stored units

    def __len__(self) -> int:
        return len(self.segments)


def rank(
    index: Index,
    basis: str,
    segment_type: str,
    level: int,
    ranks: Mapping[str, np.ndarray],
) -> Ranked:
    """Every (item, action) with >= 1 qualifying user: user_count desc, then id, then action
    (``ranks``: per kind, each index's rank in id order)."""
    counts, sums = index.postings(basis, segment_type).counts_and_sums(level)
    present = np.flatnonzero(counts)
    n_items = index.n_items(basis)
    item, action = present % n_items, present // n_items
    order = np.lexsort((ranks["action"][action], ranks[basis][item], -counts[present]))
    chosen = present[order]
    return Ranked(chosen, counts[chosen], sums[chosen])
