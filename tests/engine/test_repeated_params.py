"""A name the spec reads one value of (a scalar, or a comma-separated array), sent more than
once, is read as the vendor's framework reads it - SendGrid's Go ``url.Values.Get`` the first
value, ActionHub's FastAPI the last - and the answer says so in an ``x-mockserver-warning``
header, as for an unknown name. Arrays that take the name many times stay silent."""

from __future__ import annotations

import httpx
import pytest

from mockserver.app import MockApp
from mockserver.params.unknown import WARNING_HEADER
from tests.conftest import AUTH, PROGRAM
from tests.engine.test_unknown_params_http import get, journal
from tests.harness import mock_app

SEGMENTS = "/v3/marketing/segments"


@pytest.fixture(scope="module")
def validating_app() -> MockApp:
    return mock_app(validate_responses=True)


def ids_of(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {segment["id"] for segment in response.json()["results"]}


@pytest.fixture(scope="module")
def two_lists(validating_app: MockApp) -> tuple[str, str]:
    """Two parent lists with different segments."""
    segments = get(validating_app, SEGMENTS, AUTH).json()["results"]
    parents = sorted({s["parent_list_id"] for s in segments if s.get("parent_list_id")})
    assert len(parents) >= 2
    return parents[0], parents[1]


def test_repeated_parent_list_ids_filter_by_the_first_as_go_reads_it(validating_app, two_lists):
    first, second = two_lists
    repeated = get(
        validating_app, f"{SEGMENTS}?parent_list_ids={first}&parent_list_ids={second}", AUTH
    )
    only_first = get(validating_app, f"{SEGMENTS}?parent_list_ids={first}", AUTH)
    both = get(validating_app, f"{SEGMENTS}?parent_list_ids={first},{second}", AUTH)
    assert ids_of(repeated) == ids_of(only_first) != ids_of(both)
    assert repeated.headers.get_list(WARNING_HEADER) == [
        'query parameter "parent_list_ids" sent 2 times: only the first value is read '
        "(send the items in one value: parent_list_ids=a,b)"
    ]
    assert WARNING_HEADER not in both.headers and WARNING_HEADER not in only_first.headers
    noted = [
        e["warnings"] for e in journal(validating_app) if e["query"].count("parent_list_ids") == 2
    ]
    assert noted == [repeated.headers.get_list(WARNING_HEADER)]  # the journal says it too


def test_a_repeated_scalar_reads_the_vendors_pick(validating_app):
    sendgrid = get(
        validating_app, f"{SEGMENTS}?no_parent_list_id=true&no_parent_list_id=junk", AUTH
    )
    assert sendgrid.status_code == 200  # Go reads "true"; the second value is never parsed
    assert sendgrid.headers.get_list(WARNING_HEADER) == [
        'query parameter "no_parent_list_id" sent 2 times: only the first value is read'
    ]
    actionhub = get(validating_app, "/segments?size=3&size=5", PROGRAM)
    assert actionhub.status_code == 200 and actionhub.json()["size"] == 5  # FastAPI: the last
    assert actionhub.headers.get_list(WARNING_HEADER) == [
        'query parameter "size" sent 2 times: only the last value is read'
    ]


def test_repeating_an_exploded_array_is_no_warning(validating_app, two_lists):
    response = get(validating_app, f"{SEGMENTS}?ids={two_lists[0]}&ids={two_lists[1]}", AUTH)
    assert response.status_code == 200 and WARNING_HEADER not in response.headers
