"""GET /segment and GET /segments: semantics, caching, pagination, determinism."""

from __future__ import annotations

import pytest

from mockserver.vendors.actionhub.model import threshold
from tests.actionhub.conftest import ActionHubApp
from tests.actionhub.oracle import ranked
from tests.actionhub.oracle import segment as naive_segment

PROGRAM = {"program-id": "demo"}
SEGMENTS_KEYS = {"items", "total", "page", "size"}
ITEM_KEYS = {
    "segment_type",
    "segment_basis",
    "segment_basis_id",
    "action_type",
    "name",
    "user_count",
    "strength",
    "min_weight",
}


def demo(actionhub):
    return actionhub.runtime.backend.programs.get("demo")


def test_segment_is_sorted_unique_plain_text(actionhub_app):
    response = actionhub_app.get("/segment?labels=cat-tents,brand-altura,cat-tents", PROGRAM)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    lines = response.text.split("\n")
    assert lines[-1] == "" and len(lines) > 2
    ids = lines[:-1]
    assert ids == sorted(set(ids))


def test_empty_segment_is_200_with_empty_body(actionhub_app):
    response = actionhub_app.get("/segment?asset_ids=no-such-asset", PROGRAM)
    assert (response.status_code, response.content) == (200, b"")


def test_asset_ids_take_precedence_over_labels(actionhub_app):
    both = actionhub_app.segment(asset_ids="sku-10001", labels="cat-tents")
    assert both == actionhub_app.segment(asset_ids="sku-10001")
    assert both != actionhub_app.segment(labels="cat-tents")


def test_match_type_any_is_union_all_is_intersection(actionhub_app):
    a, b = (
        set(actionhub_app.segment(labels="cat-tents")),
        set(actionhub_app.segment(labels="brand-altura")),
    )
    assert a & b and a - b
    assert set(actionhub_app.segment(labels="cat-tents,brand-altura")) == a | b
    assert set(actionhub_app.segment(labels="cat-tents,brand-altura", match_type="all")) == a & b
    assert actionhub_app.segment(labels="cat-tents,unknown", match_type="all") == []
    assert set(actionhub_app.segment(labels="cat-tents,unknown")) == a


def test_explicit_fixture_rows_min_weight_is_inclusive(actionhub_app):
    # demo.yaml: u_vip_grace has sku-10003 add_to_cart at exactly 0.5, from history.
    criteria = {"asset_ids": "sku-10003", "action_types": "add_to_cart", "segment_type": "base"}
    assert "u_vip_grace" in actionhub_app.segment(**criteria, min_weight=0.5)
    assert "u_vip_grace" not in actionhub_app.segment(**criteria, min_weight=0.5001)


def test_action_types_filter_and_segment_type(actionhub_app):
    purchase = actionhub_app.segment(asset_ids="sku-10001", action_types="purchase", min_weight=0.9)
    assert {"u_vip_ada", "u_vip_grace"} <= set(purchase)
    assert "u_vip_grace" not in actionhub_app.segment(asset_ids="sku-10001", action_types="view")
    base = actionhub_app.segment(
        asset_ids="sku-10001", action_types="purchase", segment_type="base"
    )
    discovery = actionhub_app.segment(
        asset_ids="sku-10001", action_types="purchase", segment_type="discovery"
    )
    assert "u_vip_ada" in base and "u_vip_ada" not in discovery  # history: true
    assert "u_vip_grace" in discovery and "u_vip_grace" not in base
    assert actionhub_app.segment(asset_ids="sku-10001", action_types="nope") == []


@pytest.mark.parametrize("basis", ["asset", "label"])
@pytest.mark.parametrize("segment_type", ["growth", "base", "discovery"])
def test_segments_agree_with_the_naive_model(actionhub_app, basis, segment_type):
    world = demo(actionhub_app).world
    names = dict(zip(world.catalog.ids(basis), world.catalog.names(basis), strict=True))
    expected = ranked(world, basis, segment_type, 0.6)
    items = []
    for page in range(1, len(expected) // 100 + 2):
        body = actionhub_app.segments(
            segment_basis=f"{basis}s",
            segment_type=segment_type,
            min_weight=0.6,
            page=page,
            size=100,
        )
        assert set(body) == SEGMENTS_KEYS and body["total"] == len(expected)
        items += body["items"]
    assert [
        (-i["user_count"], i["segment_basis_id"], i["action_type"], i["strength"]) for i in items
    ] == expected
    assert all(i["name"] == names[i["segment_basis_id"]] for i in items)
    assert all(set(i) == ITEM_KEYS and i["segment_basis"] == basis for i in items)
    assert {(i["segment_type"], i["min_weight"]) for i in items} == {(segment_type, 0.6)}


def test_pagination_like_fastapi_pagination(actionhub_app):
    first = actionhub_app.get("/segments?size=7", PROGRAM).json()
    assert (first["page"], first["size"], len(first["items"])) == (1, 7, 7)
    last_page = -(-first["total"] // 7)
    past = actionhub_app.get(f"/segments?size=7&page={last_page + 1}", PROGRAM).json()
    assert past == {"items": [], "total": first["total"], "page": last_page + 1, "size": 7}
    last = actionhub_app.get(f"/segments?size=7&page={last_page}", PROGRAM).json()
    assert 1 <= len(last["items"]) <= 7
    default = actionhub_app.get("/segments", PROGRAM).json()
    assert (default["page"], default["size"], default["items"][:7]) == (1, 50, first["items"])


def test_min_weight_is_echoed_as_a_number(actionhub_app):
    response = actionhub_app.get("/segments?min_weight=0&segment_basis=assets", PROGRAM)
    assert response.json()["items"]
    assert b'"min_weight":0.0}' in response.content and b'"min_weight":0}' not in response.content


def test_segment_answers_are_cached_and_force_refresh_recomputes():
    actionhub = ActionHubApp()
    program = actionhub.runtime.backend.programs.get("demo")
    fresh = actionhub.get("/segment?labels=cat-tents", PROGRAM).content
    key = ("label", ("cat-tents",), None, False, "growth", threshold(0.5))
    assert program.segment_bodies.get(key) == fresh
    program.segment_bodies.put(key, b"stale\n")
    # Spelled otherwise, the same segment misses the engine's answer memo and hits this cache.
    assert actionhub.get("/segment?labels=cat-tents&min_weight=0.5", PROGRAM).content == b"stale\n"
    refreshed = actionhub.get("/segment?labels=cat-tents&force_refresh=true", PROGRAM)
    assert refreshed.content == fresh
    assert actionhub.get("/segment?labels=cat-tents&segment_type=growth", PROGRAM).content == fresh


def test_segments_pages_are_cached_and_force_refresh_recomputes():
    actionhub = ActionHubApp()
    program = actionhub.runtime.backend.programs.get("demo")
    fresh = actionhub.get("/segments?size=3", PROGRAM).content
    key = ("label", "growth", repr(0.5), 1, 3)
    assert program.pages.get(key) == fresh
    program.pages.put(key, b'{"items":[],"total":0,"page":1,"size":3}')
    assert actionhub.get("/segments?size=3&page=1", PROGRAM).json()["total"] == 0  # memo missed
    assert actionhub.get("/segments?size=3&force_refresh=1", PROGRAM).content == fresh


def test_new_data_version_starts_with_fresh_caches():
    actionhub = ActionHubApp()
    program = actionhub.runtime.backend.programs.get("demo")
    key = ("label", ("cat-tents",), None, False, "growth", threshold(0.5))
    program.segment_bodies.put(key, b"stale\n")
    runtime = actionhub.runtime
    runtime.install(runtime.vendor.build(runtime.options))
    assert actionhub.get("/segment?labels=cat-tents", PROGRAM).content != b"stale\n"


def test_any_program_id_answers_from_a_deterministic_world(actionhub_app):
    acme = {"program-id": "acme-retail"}
    body = actionhub_app.get("/segments?size=100", acme).json()
    assert body["total"] > 0
    first = body["items"][0]
    url = f"/segment?labels={first['segment_basis_id']}&action_types={first['action_type']}"
    assert len(actionhub_app.get(url, acme).text.splitlines()) == first["user_count"]
    again = ActionHubApp()
    assert (
        again.get("/segments?size=100", acme).content
        == actionhub_app.get("/segments?size=100", acme).content
    )
    assert (
        actionhub_app.get("/segments", {"program-id": "other"}).content
        != actionhub_app.get("/segments", acme).content
    )
    reseeded = ActionHubApp(seed=7)
    assert reseeded.get("/segments", acme).content != actionhub_app.get("/segments", acme).content


def test_segment_matches_the_naive_model_over_random_criteria(actionhub_app):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    world = demo(actionhub_app).world
    catalog = world.catalog

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(
        basis=st.sampled_from(["asset", "label"]),
        picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=3),
        actions=st.lists(st.sampled_from(catalog.action_types), max_size=2, unique=True),
        match_all=st.booleans(),
        segment_type=st.sampled_from(["growth", "base", "discovery"]),
        min_weight=st.sampled_from([0.0, 0.3, 0.5, 0.62, 0.75, 0.9, 1.0]),
    )
    def check(basis, picks, actions, match_all, segment_type, min_weight):
        ids = catalog.ids(basis)
        items = [ids[p % len(ids)] for p in picks]
        params = {
            "asset_ids" if basis == "asset" else "labels": ",".join(items),
            "action_types": ",".join(actions) or None,
            "match_type": "all" if match_all else "any",
            "segment_type": segment_type,
            "min_weight": min_weight,
        }
        expected = naive_segment(
            world, basis, list(dict.fromkeys(items)), actions, match_all, segment_type, min_weight
        )
        assert actionhub_app.segment(**params) == expected

    check()
