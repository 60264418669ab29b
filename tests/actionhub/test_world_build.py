"""The columnar world build: same draws and rows as the straightforward algorithm, ids rendered
without Python strings, named fixture users merged in id order, empty worlds answered."""

from __future__ import annotations

import numpy as np
import pytest

from mockserver.vendors.actionhub.model import WEIGHT_SCALE, Volume
from mockserver.vendors.actionhub.vocabulary import ACTION_TYPES
from mockserver.vendors.actionhub.world import (
    UserIds,
    _shares,
    choose,
    generate_catalog,
    generate_recommendations,
    rng_for,
    roster,
)
from tests.actionhub.conftest import ActionHubApp
from tests.actionhub.oracle import ids, ranked


def reference_recommendations(seed, catalog, volume):
    """The rows as first written: one NumPy call per quantity, then ``np.unique`` over keys."""
    rng = rng_for(seed, catalog.program, "recommendations")
    n_users, per_user = volume.users, volume.recommendations_per_user
    n_assets, n_actions = len(catalog.asset_ids), len(catalog.action_types)
    total = n_users * per_user
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
    return (
        key // (n_assets * n_actions),
        key // n_actions % n_assets,
        key % n_actions,
        np.rint(weight[first] * WEIGHT_SCALE).astype(np.uint16),
        history[first],
    )


@pytest.mark.parametrize(
    ("seed", "program", "users", "per_user"),
    [(0, "shop", 3_000, 20), (5, "tiny", 7, 3), (2, "wide", 1_200, 90), (1, "one", 1, 1)],
)
def test_rows_equal_the_straightforward_algorithm(seed, program, users, per_user):
    catalog = generate_catalog(seed, program, users)
    rows = generate_recommendations(seed, catalog, Volume(users, per_user))
    expected = reference_recommendations(seed, catalog, Volume(users, per_user))
    got = (rows.user, rows.asset, rows.action, rows.weight, rows.history)
    for mine, theirs in zip(got, expected, strict=True):
        assert np.array_equal(mine, theirs)


@pytest.mark.parametrize("p", [[0.5, 0.5], [0.7, 0.0, 0.2, 0.1], list(1 / np.arange(1.0, 3001.0))])
def test_choose_draws_what_generator_choice_draws(p):
    p = np.array(p) / np.sum(p)
    mine, theirs = np.random.default_rng(3), np.random.default_rng(3)
    assert np.array_equal(choose(mine, p, 50_001), theirs.choice(len(p), 50_001, p=p))
    assert mine.random() == theirs.random()  # the same draws were consumed


@pytest.mark.parametrize("count", [0, 1, 9, 1_000, 999_999, 1_000_000])
def test_numbered_ids_are_zero_padded_lines(count):
    users = UserIds.numbered(count)
    width = max(6, len(str(count)))
    assert len(users) == count
    for i in sorted({0, count // 2, count - 1} & set(range(count))):
        assert users.render(np.array([i])) == f"u_{i + 1:0{width}d}\n".encode()
    if count <= 1_000:
        assert ids(users) == [f"u_{n:0{width}d}" for n in range(1, count + 1)]


def test_named_users_merge_with_generated_ones_in_id_order():
    named = ["u_000005", "a", "u_0000055", "zz-é", "u_00000", "u_000011"]
    merged = roster(10, named)
    generated = [f"u_{n:06d}" for n in range(1, 11)]
    expected = sorted(set(generated) | set(named))
    assert ids(merged.users) == expected
    assert {u: expected[i] for u, i in merged.named.items()} == {u: u for u in named}
    assert [expected[i] for i in merged.generated] == generated
    everyone = np.arange(len(expected))
    assert merged.users.render(everyone) == "".join(f"{u}\n" for u in expected).encode()
    assert merged.users.render(everyone[::3]) == "".join(f"{u}\n" for u in expected[::3]).encode()


@pytest.mark.parametrize("volume", [{"users": 0}, {"recommendations_per_user": 0}])
def test_a_world_without_recommendations_answers_empty(volume):
    actionhub = ActionHubApp(vendor_options={"actionhub": volume})
    headers = {"program-id": "empty-shop"}
    for basis in ("labels", "assets"):
        for segment_type in ("growth", "base", "discovery"):
            url = f"/segments?segment_basis={basis}&segment_type={segment_type}&page=2&size=7"
            response = actionhub.get(url, headers)
            assert response.status_code == 200
            assert response.json() == {"items": [], "total": 0, "page": 2, "size": 7}
    assert actionhub.get("/segment?labels=col-bestsellers", headers).content == b""


@pytest.mark.parametrize("basis", ["asset", "label"])
@pytest.mark.parametrize("segment_type", ["growth", "base", "discovery"])
def test_generated_segments_agree_with_the_naive_model(basis, segment_type):
    """Counts and strengths of every segment of a generated world (labels of several assets
    per user: the growth overlap of base and discovery is exercised)."""
    actionhub = ActionHubApp(
        vendor_options={"actionhub": {"users": 400, "recommendations_per_user": 30}}
    )
    program = actionhub.runtime.backend.programs.get("overlap-shop")
    assert program.index.postings("label", "growth").overlap.bounds[-1] > 0  # users in both
    world = program.world
    expected = ranked(world, basis, segment_type, 0.35)
    items = []
    for page in range(1, len(expected) // 100 + 2):
        body = actionhub.segments(
            program="overlap-shop",
            segment_basis=f"{basis}s",
            segment_type=segment_type,
            min_weight=0.35,
            page=page,
            size=100,
        )
        assert body["total"] == len(expected)
        items += body["items"]
    assert [
        (-i["user_count"], i["segment_basis_id"], i["action_type"], i["strength"]) for i in items
    ] == expected
