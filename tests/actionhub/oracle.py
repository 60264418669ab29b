"""A deliberately naive model of the segment rules, to check the indexed answers against."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from math import floor

import numpy as np

from mockserver.vendors.actionhub.model import WEIGHT_SCALE
from mockserver.vendors.actionhub.world import UserIds, World


def ids(users: UserIds) -> list[str]:
    """Every user id, in index order (a served world never needs them as strings)."""
    return users.render(np.arange(len(users))).decode().splitlines()


def values(world: World, basis: str, segment_type: str) -> dict[tuple[str, str], dict[str, int]]:
    """(item id, action) -> user id -> value in 1/10,000; a label's is the max over its assets."""
    catalog, recs, user_ids = world.catalog, world.draw(), ids(world.users)
    table: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for user, asset, action, weight, history in zip(
        recs.user.tolist(),
        recs.asset.tolist(),
        recs.action.tolist(),
        recs.weight.tolist(),
        recs.history.tolist(),
        strict=True,
    ):
        if (segment_type == "base" and not history) or (segment_type == "discovery" and history):
            continue
        if basis == "asset":
            items = [catalog.asset_ids[asset]]
        else:
            items = [catalog.label_ids[label] for label in catalog.asset_labels[asset]]
        for item in items:
            cell = table[(item, catalog.action_types[action])]
            user_id = user_ids[user]
            cell[user_id] = max(cell.get(user_id, 0), weight)
    return table


def segment(world, basis, items, actions, match_all, segment_type, min_weight) -> list[str]:
    table = values(world, basis, segment_type)
    actions = actions or list(world.catalog.action_types)
    sets = [
        {
            u
            for a in actions
            for u, v in table.get((item, a), {}).items()
            if v / WEIGHT_SCALE >= min_weight
        }
        for item in items
    ]
    if not sets:
        return []
    chosen = set.intersection(*sets) if match_all else set.union(*sets)
    return sorted(chosen)


def strength(chosen: list[int]) -> float:
    """Mean of weights (in 1/10,000), rounded half up to 4 decimals, exactly."""
    mean = Fraction(sum(chosen), len(chosen))
    return float(floor(mean + Fraction(1, 2))) / WEIGHT_SCALE


def ranked(world: World, basis: str, segment_type: str, min_weight: float) -> list[tuple]:
    """``/segments`` in order: (-user_count, item, action, strength) of every non-empty cell."""
    expected = []
    for (item, action), cell in values(world, basis, segment_type).items():
        chosen = [v for v in cell.values() if v / WEIGHT_SCALE >= min_weight]
        if chosen:
            expected.append((-len(chosen), item, action, strength(chosen)))
    return sorted(expected)
