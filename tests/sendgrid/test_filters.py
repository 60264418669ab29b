"""GET /v3/marketing/segments: every row of the documented filter table, and its edges."""

from __future__ import annotations

import uuid

import pytest

from tests.sendgrid.conftest import SEGMENTS

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [segment["id"] for segment in response.json()["results"]]


@pytest.fixture(scope="module")
def parents(catalog) -> list[str]:
    """Two parent lists that both have segments."""
    found = list(dict.fromkeys(s.parent_list_id for s in catalog.segments if s.parent_list_id))
    assert len(found) >= 2, "the default world needs segments under two lists"
    return found[:2]


def test_empty_false_empty_gives_all_segments(sg, catalog):
    assert ids_of(sg.get(SEGMENTS)) == [s.id for s in catalog.segments]
    assert ids_of(sg.get(SEGMENTS, params={"no_parent_list_id": "false"})) == [
        s.id for s in catalog.segments
    ]


def test_list_ids_false_empty_filters_by_parent(sg, catalog, parents):
    response = sg.get(SEGMENTS, params={"parent_list_ids": ",".join(parents)})
    expected = [s.id for s in catalog.segments if s.parent_list_id in parents]
    assert ids_of(response) == expected
    assert expected and len(expected) < len(catalog.segments)


def test_list_ids_true_empty_adds_the_parentless(sg, catalog, parents):
    params = {"parent_list_ids": parents[0], "no_parent_list_id": "true"}
    expected = [s.id for s in catalog.segments if s.parent_list_id in (parents[0], None)]
    assert ids_of(sg.get(SEGMENTS, params=params)) == expected


def test_empty_true_empty_gives_only_the_parentless(sg, catalog):
    expected = [s.id for s in catalog.segments if s.parent_list_id is None]
    assert expected and len(expected) < len(catalog.segments)
    assert ids_of(sg.get(SEGMENTS, params={"no_parent_list_id": "true"})) == expected


@pytest.mark.parametrize("no_parent", [None, "true", "false"])
def test_ids_win_over_everything(sg, catalog, parents, no_parent):
    wanted = [catalog.segments[5].id, catalog.segments[0].id]
    params: dict = {"ids": wanted, "parent_list_ids": parents[1]}
    if no_parent is not None:
        params["no_parent_list_id"] = no_parent
    assert ids_of(sg.get(SEGMENTS, params=params)) == [catalog.segments[0].id, wanted[0]]


def test_ids_repeated_or_comma_separated_are_the_same(sg, catalog):
    wanted = [s.id for s in catalog.segments[2:6]]
    repeated = sg.get(SEGMENTS, params={"ids": wanted})
    commas = sg.get(SEGMENTS, params={"ids": ",".join(wanted)})
    mixed = sg.get(SEGMENTS, params={"ids": [",".join(wanted[:2]), *wanted[2:]]})
    assert ids_of(repeated) == ids_of(commas) == ids_of(mixed) == wanted
    assert repeated.content == commas.content == mixed.content


def test_ids_are_case_insensitive_and_deduplicated(sg, catalog):
    wanted = catalog.segments[4].id
    assert ids_of(sg.get(SEGMENTS, params={"ids": [wanted.upper(), wanted]})) == [wanted]


def test_ids_win_even_over_too_many_parent_list_ids(sg, catalog):
    params = {"ids": catalog.segments[0].id, "parent_list_ids": ",".join([UNKNOWN] * 60)}
    assert ids_of(sg.get(SEGMENTS, params=params)) == [catalog.segments[0].id]


@pytest.mark.parametrize(
    "params",
    [
        {"parent_list_ids": UNKNOWN},
        {"ids": UNKNOWN},
        {"parent_list_ids": UNKNOWN, "no_parent_list_id": "false"},
    ],
)
def test_zero_matches_is_200_with_empty_results(sg, params):
    response = sg.get(SEGMENTS, params=params)
    assert response.status_code == 200
    assert response.json() == {"results": []}
    assert response.headers["x-ratelimit-limit"].isdigit()


def test_fifty_parent_list_ids_are_allowed_fifty_one_are_not(sg, parents):
    fifty = [parents[0], *(str(uuid.UUID(int=i, version=4)) for i in range(49))]
    assert sg.get(SEGMENTS, params={"parent_list_ids": ",".join(fifty)}).status_code == 200
    too_many = [*fifty, str(uuid.UUID(int=99, version=4))]
    response = sg.get(SEGMENTS, params={"parent_list_ids": ",".join(too_many)})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"field": "parent_list_ids", "message": "no more than 50 parent_list_ids are allowed"}
        ]
    }


def test_repeated_parent_list_ids_count_once(sg, parents):
    params = {"parent_list_ids": ",".join([parents[0]] * 60)}
    assert sg.get(SEGMENTS, params=params).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"parent_list_ids": "not-a-list-id"}, "parent_list_ids[0]"),
        ({"ids": [UNKNOWN, "nope"]}, "ids[1]"),
        # one item of the exploded array holding a comma-separated list: the item is named
        ({"ids": [UNKNOWN, f"{UNKNOWN},nope"]}, "ids[1]"),
        ({"ids": f"{UNKNOWN},nope"}, "ids[0]"),
        ({"no_parent_list_id": "maybe"}, "no_parent_list_id"),
    ],
)
def test_malformed_filters_are_400_in_the_dialect(sg, params, field):
    response = sg.get(SEGMENTS, params=params)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert error["message"].startswith(field)


def test_blank_filters_are_no_filters(sg, catalog):
    params = {"ids": "", "parent_list_ids": " , "}
    assert ids_of(sg.get(SEGMENTS, params=params)) == [s.id for s in catalog.segments]
