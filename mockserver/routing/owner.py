"""Decide which API answers a path that matches no operation (its 404/405 dialect).

Both APIs share one port; an unknown path belongs to the API whose paths share
the most leading segments with it, ties going to the first API served.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _shared(a: list[str], b: list[str]) -> int:
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right and not right.startswith("{"):
            break
        count += 1
    return count


def owner_of(path: str, candidates: Sequence[tuple[Sequence[str], T]]) -> T:
    """The owner among ``(paths, owner)`` pairs whose paths best match ``path``."""
    wanted = _segments(path)
    best, best_score = candidates[0][1], 0
    for paths, owner in candidates:
        score = max((_shared(wanted, _segments(p)) for p in paths), default=0)
        if score > best_score:
            best, best_score = owner, score
    return best
