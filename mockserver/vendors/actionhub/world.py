"""Deterministic worlds: catalogs, users and recommendations drawn from (seed, program-id), as
NumPy arrays (a recommendation is a row of columns, a user id a line of bytes).

The random stream is NumPy's PCG64 seeded from a BLAKE2 digest of the seed and the program
id (never Python's salted ``hash``), and every draw happens in a fixed order, so the same
seed gives the same world - and the same response bytes - in any process.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from mockserver.vendors.actionhub.model import (
    WEIGHT_SCALE,
    Catalog,
    ExplicitRecommendation,
    Volume,
)
from mockserver.vendors.actionhub.vocabulary import (
    ACTION_TYPES,
    ADJECTIVES,
    BRANDS,
    CATEGORIES,
    COLLECTIONS,
    slug,
)


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


class World(NamedTuple):
    """One program's data. The recommendations are drawn (deterministically) on each call of
    ``draw``, not kept: a served program keeps its index, not ~10 bytes per recommendation."""

    catalog: Catalog
    users: UserIds
    draw: Callable[[], Recommendations]


def rng_for(seed: int, program: str, purpose: str) -> np.random.Generator:
    digest = hashlib.blake2b(f"{seed}\x00{program}\x00{purpose}".encode(), digest_size=16)
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest.digest(), "big")))


def generate_catalog(seed: int, program: str, users: int) -> Catalog:
    rng = rng_for(seed, program, "catalog")
    n_assets = int(min(2_000, max(40, round(4 * users**0.5))))  # grows with the audience
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


#: Rows drawn per step: bounds the float scratch of a big world (same draws as one call).
CHUNK_ROWS = 1 << 21
#: Buckets of the CDF lookup table (a power of two: ``u * BUCKETS`` is exact).
BUCKETS = 1 << 16


def choose(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """The values of ``rng.choice(len(p), size, p=p)`` (NumPy draws one uniform per choice and
    searches the normalized CDF), drawn in chunks into the smallest integer type. A table
    speeds the search: a bucket of uniforms holding no CDF step answers directly."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    dtype = index_type(len(cdf) + 1)
    edges = cdf.searchsorted(np.arange(BUCKETS + 1) / BUCKETS, side="right")
    low, high = edges[:-1].astype(dtype), edges[1:].astype(dtype)
    out = np.empty(size, dtype)
    for start in range(0, size, CHUNK_ROWS):
        u = rng.random(min(CHUNK_ROWS, size - start))
        bucket = (u * BUCKETS).astype(np.int32)
        found = low[bucket]
        open_ = np.flatnonzero(high[bucket] != found)
        found[open_] = cdf.searchsorted(u[open_], side="right")
        out[start : start + len(u)] = found
    return out


def _stored_weight(mix: np.ndarray) -> np.ndarray:
    """A weight in [0, 1] (clipped) -> stored units."""
    return np.rint(np.clip(mix, 0.0, 1.0) * WEIGHT_SCALE).astype(np.uint16)


def _first_draws(
    user_rows: int, per_user: int, asset: np.ndarray, action: np.ndarray, n_actions: int
) -> np.ndarray:
    """Row numbers of the first draw of each (user, asset, action), ascending: a sort of each
    user's ``per_user`` draws by (asset, action, draw number), not of all rows."""
    n_cells = (int(asset.max()) + 1) * n_actions * per_user if len(asset) else 1
    dtype = np.int32 if max(n_cells, user_rows * per_user) < 2**31 else np.int64
    packed = asset.astype(dtype)
    packed *= n_actions
    packed += action
    packed *= per_user
    packed += np.tile(np.arange(per_user, dtype=dtype), user_rows)
    packed = packed.reshape(user_rows, per_user)
    packed.sort(axis=1)
    cell = packed // per_user
    first = np.ones(packed.shape, bool)
    np.not_equal(cell[:, 1:], cell[:, :-1], out=first[:, 1:])
    del cell
    packed %= per_user
    packed += np.arange(0, user_rows * per_user, per_user, dtype=dtype)[:, None]
    return packed[first]


def generate_recommendations(seed: int, catalog: Catalog, volume: Volume) -> Recommendations:
    """``volume.users`` users with up to ``recommendations_per_user`` recommendations each.

    Assets are drawn with a long-tail popularity, action types with retail-like shares; a
    repeated (user, asset, action_type) draw is dropped, so a user may get slightly fewer.
    Rows come sorted by (user, asset, action). The draws are those of one NumPy call per
    quantity (asset, action, engagement, noise, history), taken in chunks.
    """
    rng = rng_for(seed, catalog.program, "recommendations")
    n_users, per_user = volume.users, volume.recommendations_per_user
    n_assets, n_actions = len(catalog.asset_ids), len(catalog.action_types)
    total = n_users * per_user
    if total == 0 or n_assets == 0 or n_actions == 0:
        return Recommendations(
            np.zeros(0, np.int32),
            np.zeros(0, index_type(n_assets)),
            np.zeros(0, index_type(n_actions)),
            np.zeros(0, np.uint16),
            np.zeros(0, bool),
        )
    popularity = 1.0 / (rng.permutation(n_assets) + 8.0) ** 0.9
    known = [share for _, share, _ in ACTION_TYPES]
    history_rate = np.array([rate for _, _, rate in ACTION_TYPES] + [0.3] * n_actions)[:n_actions]
    asset = choose(rng, popularity / popularity.sum(), total)
    action = choose(rng, _shares(n_actions, known), total)
    engagement = rng.beta(2.0, 2.0, n_users)
    # The weight is 0.55 noise + 0.35 engagement (+ 0.1 if from history), but history is drawn
    # after all the noise: keep both stored outcomes per row, pick one when history is known.
    without = np.empty(total, np.uint16)
    with_history = np.empty(total, np.uint16)
    step = max(1, CHUNK_ROWS // per_user) * per_user  # whole users per chunk
    for start in range(0, total, step):
        stop = min(total, start + step)
        mix = 0.55 * rng.beta(2.2, 2.2, stop - start)
        mix += 0.35 * np.repeat(engagement[start // per_user : stop // per_user], per_user)
        without[start:stop] = _stored_weight(mix)
        mix += 0.1
        with_history[start:stop] = _stored_weight(mix)
    history = np.empty(total, bool)
    for start in range(0, total, CHUNK_ROWS):
        stop = min(total, start + CHUNK_ROWS)
        history[start:stop] = rng.random(stop - start) < history_rate[action[start:stop]]
    weight = np.where(history, with_history, without)
    del without, with_history
    first = _first_draws(n_users, per_user, asset, action, n_actions)
    return Recommendations(
        user=(first // per_user).astype(np.int32, copy=False),
        asset=asset[first],
        action=action[first],
        weight=weight[first],
        history=history[first],
    )


class Roster(NamedTuple):
    """Generated users merged with a fixture's named ones, in id order."""

    users: UserIds
    #: New index of generated user ``i``.
    generated: np.ndarray
    #: Index of each named user id.
    named: dict[str, int]


def roster(generated_count: int, named: Sequence[str]) -> Roster:
    """Merge ``u_000001`` ... with named ids (a named id equal to a generated one is that user).

    Named ids are few: each is placed by a binary search over the generated ids, computed on
    access, so a fixture with a million generated users builds no string per user.
    """
    digits = id_digits(generated_count)

    def generated_id(i: int) -> str:
        return f"u_{i + 1:0{digits}d}"

    at = {u: bisect.bisect_left(range(generated_count), u, key=generated_id) for u in named}
    extra = sorted(u for u, i in at.items() if i == generated_count or generated_id(i) != u)
    numbered = UserIds.numbered(generated_count)
    new_index = np.arange(generated_count, dtype=np.int64)
    if not extra:
        return Roster(numbered, new_index, at)
    inserted_at = np.array([at[u] for u in extra], np.int64)
    new_index += np.searchsorted(inserted_at, new_index, side="right")
    lines = [f"{u}\n".encode() for u in extra]
    width = max(digits + 3, *map(len, lines))
    padded = np.pad(numbered.rows, ((0, 0), (0, width - digits - 3)))
    added = np.frombuffer(b"".join(line.ljust(width, b"\0") for line in lines), np.uint8)
    rows = np.insert(padded, inserted_at, added.reshape(len(lines), width), axis=0)
    lengths = np.full(generated_count, digits + 3, np.int64)
    lengths = np.insert(lengths, inserted_at, list(map(len, lines)))
    extra_index = {u: int(inserted_at[rank]) + rank for rank, u in enumerate(extra)}
    positions = {u: extra_index[u] if u in extra_index else int(new_index[at[u]]) for u in named}
    return Roster(UserIds(rows, lengths), new_index, positions)


def assemble(
    catalog: Catalog,
    generated: Recommendations,
    generated_count: int,
    explicit: Sequence[ExplicitRecommendation],
) -> Recommendations:
    """Generated rows plus explicit ones (which replace a generated duplicate (user, asset,
    action)), over the users ``roster`` merges."""
    if not explicit:
        return generated
    merged = roster(generated_count, [rec.user for rec in explicit])
    added = Recommendations(
        user=np.array([merged.named[r.user] for r in explicit], np.int64),
        asset=np.array([r.asset for r in explicit], np.int64),
        action=np.array([r.action for r in explicit], np.int64),
        weight=np.array([r.weight for r in explicit], np.uint16),
        history=np.array([r.history for r in explicit], bool),
    )
    ours = replace(generated, user=merged.generated[generated.user])
    n_assets, n_actions = max(len(catalog.asset_ids), 1), max(len(catalog.action_types), 1)
    key, cells = (
        (rows.user * n_assets + rows.asset) * n_actions + rows.action for rows in (ours, added)
    )
    at = np.searchsorted(key, cells)  # key is ascending
    found = at < len(key)
    found[found] = key[at[found]] == cells[found]
    keep = np.ones(len(key), bool)
    keep[at[found]] = False
    kept = zip(generated.columns, ours.take(keep).columns, added.columns, strict=True)
    return Recommendations(*(np.concatenate(both).astype(like.dtype) for like, *both in kept))


def build_world(
    seed: int, catalog: Catalog, volume: Volume, explicit: Sequence[ExplicitRecommendation] = ()
) -> World:
    """A program's world: its explicit rows (a fixture's) over rows generated at its volume.
    The draw keeps no roster: it is merged again per draw, not held per served world."""

    def draw() -> Recommendations:
        generated = generate_recommendations(seed, catalog, volume)
        return assemble(catalog, generated, volume.users, explicit)

    users = roster(volume.users, [rec.user for rec in explicit]).users
    return World(catalog, users, draw)


def generated_world(seed: int, program: str, volume: Volume) -> World:
    """The world of a program no fixture defines."""
    return build_world(seed, generate_catalog(seed, program, volume.users), volume)
