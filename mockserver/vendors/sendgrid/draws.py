"""Seeded, vectorized draws: the random streams of a SendGrid world and how values are picked.

Generators are seeded from SHA-256 of (seed, purpose), so the same seed gives the same world
in any process; picks and weighted choices run many at a time with NumPy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

import numpy as np


def generator(seed: int, purpose: str) -> np.random.Generator:
    digest = hashlib.sha256(f"sendgrid\x1f{seed}\x1f{purpose}".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


class Draw:
    """Weighted choices over precomputed cumulative weights, many at a time."""

    def __init__(self, items: Sequence[tuple[Any, float]]) -> None:
        self.values = [value for value, _ in items]
        self.cum = np.fromiter(accumulate(float(w) for _, w in items), dtype=float)

    def indexes(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return np.searchsorted(self.cum, gen.random(n) * self.cum[-1], side="right")

    def many(self, gen: np.random.Generator, n: int) -> list[Any]:
        values = self.values
        return [values[i] for i in self.indexes(gen, n).tolist()]


def objects(values: Sequence[Any]) -> np.ndarray:
    """``values`` (scalars or strings) as a 1-D object array."""
    array = np.empty(len(values), object)
    array[:] = values
    return array


def pick(values: Sequence[Any], indexes: np.ndarray) -> list[Any]:
    """``[values[i] for i in indexes]``, gathered by NumPy (``values``: scalars or strings)."""
    return objects(values)[indexes].tolist()


def scatter(n: int, indexes: np.ndarray, values: Sequence[Any], default: Any = None) -> list[Any]:
    """A list of ``n`` ``default`` with ``values`` at ``indexes``."""
    column = np.full(n, default, object)
    column[indexes] = objects(values)
    return column.tolist()
