"""ActionHub's data model: a program's catalog, its users and their recommendations, as arrays.

Weights are stored as integers in units of 1/10,000 (``WEIGHT_SCALE``): comparisons with
``min_weight`` are exact, sums (for ``strength``) are exact, and an index entry stays small.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class Recommendations:
    """Growth-value recommendations, one row per (user, asset, action_type)."""

    user: np.ndarray  # int32 index into the sorted user ids
    asset: np.ndarray  # index into Catalog.asset_ids (the smallest signed integer type that fits)
    action: np.ndarray  # index into Catalog.action_types (the smallest signed integer type)
    weight: np.ndarray  # uint16, stored units (see WEIGHT_SCALE)
    history: np.ndarray  # bool: True = from the user's own history (base), else net-new

    def __len__(self) -> int:
        return len(self.user)

    @property
    def columns(self) -> tuple[np.ndarray, ...]:
        return self.user, self.asset, self.action, self.weight, self.history

    def take(self, rows: np.ndarray) -> Recommendations:
        return Recommendations(*(column[rows] for column in self.columns))


def index_type(count: int) -> type[np.signedinteger]:
    """The smallest signed integer type holding the indexes ``0 .. count - 1``."""
    for dtype in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(dtype).max + 1:
            return dtype
    return np.int64


def id_digits(count: int) -> int:
    """Digits of the numbered ids of ``count`` users: at least 6, so id order is number order."""
    return max(6, len(str(count)))


class UserIds:
    """User ids in ascending order: an index order is an id order, so sorting ids is free.

    The ids live only as ``text/plain`` lines in one NumPy byte array (no Python string per
    user), so a set of user indexes renders with one gather: a fixed-width array when every id
    has the same length (generated ids), else rows padded to the longest id plus each line's
    length, the padding dropped by one boolean mask.
    """

    def __init__(self, rows: np.ndarray, lengths: np.ndarray | None = None) -> None:
        """``rows``: uint8, one line (id + newline) per row, zero-padded if ``lengths`` given."""
        self.rows = rows
        self.lengths = lengths
        width = rows.shape[1] if rows.ndim == 2 else 0
        self._fixed = None if lengths is not None else rows.view(f"S{max(width, 1)}").ravel()

    @classmethod
    def numbered(cls, count: int) -> UserIds:
        """``u_000001`` ... ``u_<count>``, rendered digit by digit with NumPy."""
        digits = id_digits(count)
        rows = np.empty((count, digits + 3), np.uint8)
        rows[:, 0], rows[:, 1], rows[:, -1] = ord("u"), ord("_"), ord("\n")
        numbers = np.arange(1, count + 1, dtype=np.int64)
        for column in range(digits + 1, 1, -1):
            rows[:, column] = numbers % 10 + ord("0")
            numbers //= 10
        return cls(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def render(self, indexes: np.ndarray) -> bytes:
        """The lines of ``indexes`` (ascending user indexes), concatenated."""
        if self._fixed is not None:
            return self._fixed[indexes].tobytes()
        assert self.lengths is not None
        rows = self.rows[indexes]
        keep = np.arange(rows.shape[1]) < self.lengths[indexes][:, None]
        return rows[keep].tobytes()


@dataclass(frozen=True)
class World:
    """One program's data. The recommendations are drawn (deterministically) on each call of
    ``draw``, not kept: a served program keeps its index, not ~10 bytes per recommendation."""

    catalog: Catalog
    users: UserIds
    draw: Callable[[], Recommendations]
