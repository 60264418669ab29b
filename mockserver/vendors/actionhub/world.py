"""Deterministic worlds: catalogs, users and recommendations drawn from (seed, program-id).

The random stream is NumPy's PCG64 seeded from a BLAKE2 digest of the seed and the program
id (never Python's salted ``hash``), and every draw happens in a fixed order, so the same
seed gives the same world - and the same response bytes - in any process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mockserver.vendors.actionhub.model import (
    WEIGHT_SCALE,
    Catalog,
    Recommendations,
    UserIds,
    World,
)
from mockserver.vendors.actionhub.vocabulary import (
    ACTION_TYPES,
    ADJECTIVES,
    BRANDS,
    CATEGORIES,
    COLLECTIONS,
    slug,
)

DEFAULT_USERS = 1_000
DEFAULT_RECOMMENDATIONS_PER_USER = 20
MAX_USERS = 1_000_000


@dataclass(frozen=True)
class Volume:
    """How much to generate: users, and recommendations drawn per user."""

    users: int = DEFAULT_USERS
    recommendations_per_user: int = DEFAULT_RECOMMENDATIONS_PER_USER


@dataclass(frozen=True)
class ExplicitRecommendation:
    """A recommendation written out in a fixture file."""

    user: str
    asset: int
    action: int
    weight: int  # stored units
    history: bool


def rng_for(seed: int, program: str, purpose: str) -> np.random.Generator:
    digest = hashlib.blake2b(f"{seed}\x00{program}\x00{purpose}".encode(), digest_size=16)
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest.digest(), "big")))


def user_ids(count: int) -> list[str]:
    """``u_000001`` ... : zero-padded, so id order is number order."""
    width = max(6, len(str(count)))
    return [f"u_{n:0{width}d}" for n in range(1, count + 1)]


def asset_count(users: int) -> int:
    """Catalog size of a generated program: grows with the audience, 40 to 2,000 assets."""
    return int(min(2_000, max(40, round(4 * users**0.5))))


def generate_catalog(seed: int, program: str, users: int) -> Catalog:
    rng = rng_for(seed, program, "catalog")
    n_assets = asset_count(users)
    categories = sorted(
        rng.choice(len(CATEGORIES), min(len(CATEGORIES), 6 + n_assets // 40), False)
    )
    brands = sorted(rng.choice(len(BRANDS), min(len(BRANDS), 8 + n_assets // 50), False))
    category_names = [list(CATEGORIES)[c] for c in categories]
    brand_names = [BRANDS[b] for b in brands]
    label_names = category_names + brand_names + list(COLLECTIONS)
    label_ids = (
        [f"cat-{slug(n)}" for n in category_names]
        + [f"brand-{slug(n)}" for n in brand_names]
        + [f"col-{slug(n)}" for n in COLLECTIONS]
    )
    asset_category = rng.integers(0, len(categories), n_assets)
    asset_brand = rng.integers(0, len(brands), n_assets)
    asset_adjective = rng.integers(0, len(ADJECTIVES), n_assets)
    asset_noun = rng.integers(0, 4, n_assets)
    asset_collection = rng.integers(0, len(COLLECTIONS) * 4, n_assets)  # 1 in 4 has one
    names, labels = [], []
    first_brand, first_collection = len(categories), len(categories) + len(brands)
    for i in range(n_assets):
        category = category_names[asset_category[i]]
        noun = CATEGORIES[category][asset_noun[i] % len(CATEGORIES[category])]
        names.append(f"{brand_names[asset_brand[i]]} {ADJECTIVES[asset_adjective[i]]} {noun}")
        own = [int(asset_category[i]), first_brand + int(asset_brand[i])]
        if asset_collection[i] < len(COLLECTIONS):
            own.append(first_collection + int(asset_collection[i]))
        labels.append(tuple(own))
    return Catalog(
        program=program,
        action_types=tuple(name for name, _, _ in ACTION_TYPES),
        label_ids=tuple(label_ids),
        label_names=tuple(label_names),
        asset_ids=tuple(f"sku-{10_001 + i}" for i in range(n_assets)),
        asset_names=tuple(names),
        asset_labels=tuple(labels),
    )


def _shares(count: int, known: Sequence[float] = ()) -> np.ndarray:
    """Probabilities for ``count`` action types: the known shares first, then an equal split."""
    shares = list(known[:count])
    rest = count - len(shares)
    if rest:
        shares += [max(1.0 - sum(shares), 0.1 * rest) / rest] * rest
    total = sum(shares)
    return np.array([share / total for share in shares])


def generate_recommendations(
    seed: int, catalog: Catalog, volume: Volume
) -> tuple[list[str], Recommendations]:
    """``volume.users`` users with up to ``recommendations_per_user`` recommendations each.

    Assets are drawn with a long-tail popularity, action types with retail-like shares; a
    repeated (user, asset, action_type) draw is dropped, so a user may get slightly fewer.
    """
    rng = rng_for(seed, catalog.program, "recommendations")
    n_users, per_user = volume.users, volume.recommendations_per_user
    n_assets, n_actions = len(catalog.asset_ids), len(catalog.action_types)
    ids = user_ids(n_users)
    total = n_users * per_user
    if total == 0 or n_assets == 0 or n_actions == 0:
        empty = np.zeros(0, np.int32)
        return ids, Recommendations(
            empty, empty, empty.astype(np.int16), empty.astype(np.uint16), empty.astype(bool)
        )
    popularity = 1.0 / (rng.permutation(n_assets) + 8.0) ** 0.9
    known = [share for _, share, _ in ACTION_TYPES]
    history_rate = np.array([rate for _, _, rate in ACTION_TYPES] + [0.3] * n_actions)[:n_actions]
    user = np.repeat(np.arange(n_users, dtype=np.int64), per_user)
    asset = rng.choice(n_assets, total, p=popularity / popularity.sum())
    action = rng.choice(n_actions, total, p=_shares(n_actions, known))
    engagement = rng.beta(2.0, 2.0, n_users)[user]
    noise = rng.beta(2.2, 2.2, total)
    history = rng.random(total) < history_rate[action]
    weight = np.clip(0.55 * noise + 0.35 * engagement + 0.1 * history, 0.0, 1.0)

    key = (user * n_assets + asset) * n_actions + action
    key, first = np.unique(key, return_index=True)
    return ids, Recommendations(
        user=(key // (n_assets * n_actions)).astype(np.int32),
        asset=(key // n_actions % n_assets).astype(np.int32),
        action=(key % n_actions).astype(np.int16),
        weight=np.rint(weight[first] * WEIGHT_SCALE).astype(np.uint16),
        history=history[first],
    )


def assemble(
    catalog: Catalog,
    generated_ids: list[str],
    generated: Recommendations,
    explicit: Sequence[ExplicitRecommendation] = (),
) -> World:
    """A world from generated rows plus explicit ones (which replace a generated duplicate)."""
    if not explicit:
        return World(catalog, UserIds(generated_ids), generated)
    all_ids = sorted(set(generated_ids).union(rec.user for rec in explicit))
    position = {user_id: i for i, user_id in enumerate(all_ids)}
    remap = np.array([position[u] for u in generated_ids], np.int64)
    user = np.concatenate(
        (remap[generated.user], np.array([position[r.user] for r in explicit], np.int64))
    )
    asset = np.concatenate((generated.asset, np.array([r.asset for r in explicit], np.int64)))
    action = np.concatenate((generated.action, np.array([r.action for r in explicit], np.int64)))
    weight = np.concatenate((generated.weight, np.array([r.weight for r in explicit], np.int64)))
    history = np.concatenate((generated.history, np.array([r.history for r in explicit], bool)))
    n_assets, n_actions = max(len(catalog.asset_ids), 1), max(len(catalog.action_types), 1)
    key = (user * n_assets + asset) * n_actions + action
    # Keep the last row of each (user, asset, action): explicit rows come last.
    _, last_reversed = np.unique(key[::-1], return_index=True)
    keep = len(key) - 1 - last_reversed
    return World(
        catalog,
        UserIds(all_ids),
        Recommendations(
            user=user[keep].astype(np.int32),
            asset=asset[keep].astype(np.int32),
            action=action[keep].astype(np.int16),
            weight=weight[keep].astype(np.uint16),
            history=history[keep],
        ),
    )


def generated_world(seed: int, program: str, volume: Volume) -> World:
    """The world of a program no fixture defines."""
    catalog = generate_catalog(seed, program, volume.users)
    ids, recommendations = generate_recommendations(seed, catalog, volume)
    return assemble(catalog, ids, recommendations)
