"""Segment arithmetic over an index: who is in a segment, and how many per (item, action).

Semantics, applied everywhere:
- a user is in the segment of one item (asset or label) when one of the chosen action types
  gives the user a value >= the threshold for that item (a label's value is the max over
  the assets carrying it);
- ``match_type=any`` is the union over the items, ``all`` the intersection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mockserver.vendors.actionhub.index import Index


def members(
    index: Index,
    n_users: int,
    basis: str,
    items: Sequence[int],
    actions: Sequence[int],
    match_all: bool,
    segment_type: str,
    level: int,
) -> np.ndarray:
    """Indexes (ascending, unique) of the users in the segment."""
    postings = index.postings(basis, segment_type)
    n_items = index.n_items(basis)
    result: np.ndarray | None = None
    for item in items:
        hit = np.zeros(n_users, bool) if match_all or result is None else result
        for action in actions:
            hit[postings.users_at(action * n_items + item, level)] = True
        result = hit if result is None or not match_all else result & hit
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
    item_rank: np.ndarray,
    action_rank: np.ndarray,
) -> Ranked:
    """Every (item, action) with >= 1 qualifying user: user_count desc, then id, then action."""
    counts, sums = index.postings(basis, segment_type).counts_and_sums(level)
    present = np.flatnonzero(counts)
    n_items = index.n_items(basis)
    item, action = present % n_items, present // n_items
    order = np.lexsort((action_rank[action], item_rank[item], -counts[present]))
    chosen = present[order]
    return Ranked(chosen, counts[chosen], sums[chosen])
