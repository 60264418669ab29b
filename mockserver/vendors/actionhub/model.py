"""ActionHub's data model: a program's catalog, its users and their recommendations, as arrays.

Weights are stored as integers in units of 1/10,000 (``WEIGHT_SCALE``): comparisons with
``min_weight`` are exact, sums (for ``strength``) are exact, and an index entry stays small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: A weight of 1.0 in stored units; a stored weight ``q`` means ``q / WEIGHT_SCALE``.
WEIGHT_SCALE = 10_000
#: The number of distinct stored weights (0 .. WEIGHT_SCALE).
WEIGHT_LEVELS = WEIGHT_SCALE + 1

SEGMENT_TYPES = ("growth", "base", "discovery")
BASES = ("asset", "label")


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


@dataclass(frozen=True)
class Catalog:
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

    def label_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """Asset -> labels as CSR arrays (pointer per asset, flat label indexes)."""
        counts = np.fromiter((len(ls) for ls in self.asset_labels), np.int64, len(self.asset_ids))
        pointer = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=pointer[1:])
        flat = np.fromiter(
            (label for ls in self.asset_labels for label in ls), np.int64, int(pointer[-1])
        )
        return pointer, flat


@dataclass(frozen=True)
class Recommendations:
    """Growth-value recommendations, one row per (user, asset, action_type)."""

    user: np.ndarray  # int32 index into the sorted user ids
    asset: np.ndarray  # int32 index into Catalog.asset_ids
    action: np.ndarray  # int16 index into Catalog.action_types
    weight: np.ndarray  # uint16, stored units (see WEIGHT_SCALE)
    history: np.ndarray  # bool: True = from the user's own history (base), else net-new

    def __len__(self) -> int:
        return len(self.user)


class UserIds:
    """User ids in ascending order: an index order is an id order, so sorting ids is free.

    Renders a set of user indexes as the ``text/plain`` body (one id per line) with one
    NumPy gather when every id has the same length, as generated ids do.
    """

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)
        widths = {len(user_id.encode()) for user_id in self.ids}
        self._fixed: np.ndarray | None = None
        self._lines: list[bytes] | None = None
        if len(widths) == 1:
            width = widths.pop() + 1
            self._fixed = np.array([f"{u}\n".encode() for u in self.ids], dtype=f"S{width}")
        else:
            self._lines = [f"{u}\n".encode() for u in self.ids]

    def __len__(self) -> int:
        return len(self.ids)

    def render(self, indexes: np.ndarray) -> bytes:
        if self._fixed is not None:
            return self._fixed[indexes].tobytes()
        lines = self._lines or []
        return b"".join(lines[i] for i in indexes.tolist())


@dataclass(frozen=True)
class World:
    """One program's data: its catalog, users and recommendations."""

    catalog: Catalog
    users: UserIds
    recommendations: Recommendations
