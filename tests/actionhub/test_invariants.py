"""Invariants over random criteria: /segments counts are /segment sizes, growth = base + discovery,
and a higher min_weight gives a subset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

PROGRAMS = st.sampled_from(["demo", "generated-shop"])
BASES = st.sampled_from(["labels", "assets"])
WEIGHTS = st.integers(0, 100).map(lambda n: n / 100)
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True)


def every_item(actionhub, program, **params):
    items, page = [], 1
    while True:
        body = actionhub.segments(program=program, page=page, size=100, **params)
        items += body["items"]
        if len(items) >= body["total"]:
            return items
        page += 1


@SETTINGS
@given(
    program=PROGRAMS,
    basis=BASES,
    segment_type=st.sampled_from(["growth", "base", "discovery"]),
    min_weight=WEIGHTS,
)
def test_every_segment_count_is_the_size_of_its_segment(
    actionhub_app, program, basis, segment_type, min_weight
):
    items = every_item(
        actionhub_app,
        program,
        segment_basis=basis,
        segment_type=segment_type,
        min_weight=min_weight,
    )
    assert items or min_weight > 0.9
    for item in items:
        ids = actionhub_app.segment(
            program=program,
            **{"asset_ids" if basis == "assets" else "labels": item["segment_basis_id"]},
            action_types=item["action_type"],
            segment_type=segment_type,
            min_weight=min_weight,
        )
        assert len(ids) == item["user_count"] > 0


@SETTINGS
@given(
    program=PROGRAMS,
    basis=BASES,
    picks=st.lists(st.integers(0, 1000), min_size=1, max_size=3),
    match_type=st.sampled_from(["any", "all"]),
    low=WEIGHTS,
    high=WEIGHTS,
)
def test_growth_is_base_union_discovery_and_higher_weight_is_a_subset(
    actionhub_app, program, basis, picks, match_type, low, high
):
    catalog = actionhub_app.runtime.backend.programs.get(program).world.catalog
    ids = catalog.ids(basis[:-1])
    key = "asset_ids" if basis == "assets" else "labels"
    criteria = {key: ",".join(ids[p % len(ids)] for p in picks), "match_type": match_type}
    if match_type == "any":
        growth = set(actionhub_app.segment(program=program, **criteria, min_weight=low))
        base = set(
            actionhub_app.segment(program=program, **criteria, segment_type="base", min_weight=low)
        )
        discovery = set(
            actionhub_app.segment(
                program=program, **criteria, segment_type="discovery", min_weight=low
            )
        )
        assert growth == base | discovery
    low, high = sorted((low, high))
    for segment_type in ("growth", "base", "discovery"):
        at_low = actionhub_app.segment(
            program=program, **criteria, segment_type=segment_type, min_weight=low
        )
        at_high = actionhub_app.segment(
            program=program, **criteria, segment_type=segment_type, min_weight=high
        )
        assert set(at_high) <= set(at_low)
