"""ActionHub's data model as its answers name it: a program's catalog and volume, weights, the
key of a segment and a ranking of segments - no arrays (``world.py``, ``index.py``): what the
first answers need, imported without NumPy.

Weights are stored as integers in units of 1/10,000 (``WEIGHT_SCALE``): comparisons with
``min_weight`` are exact, sums (for ``strength``) are exact, and an index entry stays small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

#: A weight of 1.0 in stored units; a stored weight ``q`` means ``q / WEIGHT_SCALE``.
WEIGHT_SCALE = 10_000


def quantize(weight: float) -> int:
    """A weight in [0, 1] -> stored units, rounded to 4 decimals (half to even)."""
    return round(weight * WEIGHT_SCALE)


def threshold(min_weight: float) -> int:
    """The smallest stored weight ``q`` with ``q / WEIGHT_SCALE >= min_weight`` (inclusive)."""
    q = max(0, math.ceil(min_weight * WEIGHT_SCALE))
    while q > 0 and (q - 1) / WEIGHT_SCALE >= min_weight:
        q -= 1
    while q / WEIGHT_SCALE < min_weight:
        q += 1
    return q


class Catalog(NamedTuple):
    """What a program tracks: action types, labels, and assets carrying labels."""

    program: str
    action_types: tuple[str, ...]
    label_ids: tuple[str, ...]
    label_names: tuple[str, ...]
    asset_ids: tuple[str, ...]
    asset_names: tuple[str, ...]
    #: For each asset, the indexes of its labels.
    asset_labels: tuple[tuple[int, ...], ...]

    def ids(self, basis: str) -> tuple[str, ...]:
        return self.asset_ids if basis == "asset" else self.label_ids

    def names(self, basis: str) -> tuple[str, ...]:
        return self.asset_names if basis == "asset" else self.label_names


MAX_USERS = 1_000_000


class Volume(NamedTuple):
    """How much to generate: users, and recommendations drawn per user."""

    users: int = 1_000
    recommendations_per_user: int = 20


class ExplicitRecommendation(NamedTuple):
    """A recommendation written out in a fixture file."""

    user: str
    asset: int
    action: int
    weight: int  # stored units
    history: bool


class SegmentKey(NamedTuple):
    """What a ``/segment`` answer depends on: its cache key."""

    basis: str
    names: tuple[str, ...]
    #: ``None``: every action type.
    actions: tuple[str, ...] | None
    match_all: bool
    segment_type: str
    level: int


@dataclass(frozen=True)
class Ranked:
    """Non-empty segments of one (basis, segment_type, threshold), in the served order."""

    segments: Sequence[int]  # action * n_items + item (NumPy arrays, or a table's lists)
    counts: Sequence[int]
    sums: Sequence[int]  # total weight of the counted users, in stored units

    def __len__(self) -> int:
        return len(self.segments)
