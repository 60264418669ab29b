"""Which query names an operation does not know, what they probably meant, and how they are
worded (params/unknown.py): the rules, without a server."""

from __future__ import annotations

import pytest

from mockserver.params.errors import ParamError, describe
from mockserver.params.unknown import MAX_REPORTED, QueryNames, shown
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.spec.model import Operation, Parameter
from mockserver.vendors.actionhub.dialect import pydantic_error

SENDGRID = load_spec("sendgrid", bundled_dir("specs") / "sendgrid-segments.openapi.yaml")
ACTIONHUB = load_spec("actionhub", bundled_dir("specs") / "actionhub.openapi.yaml")
LIST = QueryNames(SENDGRID.operation("ListSegment"), SENDGRID.security_schemes)
SEGMENTS = QueryNames(ACTIONHUB.operation("get_segments_segments_get"), {})
SEGMENT = QueryNames(ACTIONHUB.operation("get_segment_segment_get"), {})


def test_declared_names_are_known_and_give_nothing():
    assert (
        LIST.unknown({"ids": ["a"], "parent_list_ids": ["b"], "no_parent_list_id": ["1"]}) is None
    )
    assert LIST.unknown({}) is None


@pytest.mark.parametrize(
    ("names", "name", "meant"),
    [
        (LIST, "ids[]", "ids"),  # axios / qs default (arrayFormat: brackets)
        (LIST, "ids[0]", "ids"),  # qs arrayFormat: indices
        (LIST, "parent_list_ids[]", "parent_list_ids"),
        (LIST, "parentListIds", "parent_list_ids"),  # camelCase
        (LIST, "IDS", "ids"),
        (LIST, "id", "ids"),  # close enough
        (SEGMENTS, "segmnet_type", "segment_type"),  # a typo
        (SEGMENTS, "segment-basis", "segment_basis"),
        (SEGMENT, "asset_ids[]", "asset_ids"),
        (SEGMENT, "labels[2]", "labels"),
    ],
)
def test_a_likely_meaning_is_named(names, name, meant):
    assert names.meant(name) == meant
    (warning,) = names.unknown({name: ["x"]}).warnings
    assert warning == f'unknown query parameter "{name}" (did you mean "{meant}"?)'


@pytest.mark.parametrize("name", ["limit", "page_token", "", "x[]", "q"])
def test_no_guess_when_nothing_is_alike(name):
    assert LIST.meant(name) is None
    (warning,) = LIST.unknown({name: ["1"]}).warnings
    assert warning == f"unknown query parameter {shown(name)}"


def test_one_warning_per_name_in_the_order_they_came():
    found = LIST.unknown({"b": ["1"], "ids": ["x"], "a": ["1", "2"], "ids[]": ["y"]})
    assert found.warnings == (
        'unknown query parameter "b"',
        'unknown query parameter "a"',
        'unknown query parameter "ids[]" (did you mean "ids"?)',
    )
    assert found.headers == tuple(("x-mockserver-warning", w) for w in found.warnings)


def test_strict_errors_carry_what_fastapi_hands_pydantic():
    """One value as itself, a repeated name as the list; pydantic's ``extra_forbidden``."""
    found = SEGMENTS.unknown({"x": ["1"], "pages": ["1", "2"]})
    assert found.errors == (
        ParamError("extra_forbidden", "query", "x", "1"),
        ParamError("extra_forbidden", "query", "pages", ["1", "2"], {"suggestion": "page"}),
    )
    assert [pydantic_error(error) for error in found.errors] == [
        {
            "type": "extra_forbidden",
            "loc": ["query", "x"],
            "msg": "Extra inputs are not permitted",
            "input": "1",
        },
        {
            "type": "extra_forbidden",
            "loc": ["query", "pages"],
            "msg": "Extra inputs are not permitted",
            "input": ["1", "2"],
        },
    ]
    assert [describe(error) for error in found.errors] == [
        "x is not a query parameter of this operation",
        "pages is not a query parameter of this operation (did you mean page?)",
    ]


def test_a_flood_of_names_is_reported_in_bounded_space():
    query = {f"n{i}": ["1"] for i in range(MAX_REPORTED + 7)}
    found = LIST.unknown(query)
    assert len(found.warnings) == MAX_REPORTED + 1
    assert found.warnings[-1] == "7 more unknown query parameters"
    assert len(found.errors) == MAX_REPORTED


def test_names_are_shown_safely_in_a_header():
    """Quoted as JSON: ASCII only, no CR/LF, long names cut."""
    found = LIST.unknown({"\r\nx": ["1"], "✓": ["1"], "a" * 500: ["1"]})
    assert found.warnings[0] == 'unknown query parameter "\\r\\nx"'
    assert found.warnings[1] == 'unknown query parameter "\\u2713"'
    assert found.warnings[2] == f'unknown query parameter "{"a" * 80}..."'
    for _, value in found.headers:
        value.encode("ascii")


def _operation(*parameters: Parameter, security=()) -> Operation:
    return Operation("api", "op", "GET", "/p", parameters, {}, security)


def test_deep_object_and_query_api_key_names_are_known():
    deep = Parameter("filter", "query", False, {"type": "object"}, "deepObject", True)
    schemes = {"key": {"type": "apiKey", "in": "query", "name": "api_key"}}
    names = QueryNames(_operation(deep, security=({"key": []},)), schemes)
    assert names.unknown({"filter[name]": ["a"], "filter[a][b]": ["c"], "api_key": ["k"]}) is None
    assert names.unknown({"filters[name]": ["a"]}).warnings == (
        'unknown query parameter "filters[name]"',
    )
