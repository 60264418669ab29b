"""Parameter decoding from the spec: styles, comma lists, boolean spellings, coercion, errors."""

from __future__ import annotations

import pytest

from mockserver.params.decode import OperationDecoder, RawRequest
from mockserver.spec.loader import _parameter
from mockserver.spec.model import Operation
from mockserver.vendors.actionhub.grammar import PYDANTIC


def operation(*parameters: dict) -> Operation:
    return Operation(
        api="t",
        operation_id="op",
        method="GET",
        path="/",
        parameters=tuple(_parameter(p) for p in parameters),
        responses={},
        security=(),
    )


def decode(op: Operation, **sources):
    """Decoded by ActionHub's grammar (pydantic's): the richest one the engine applies."""
    return OperationDecoder(op, PYDANTIC)(RawRequest(**sources))


FLAG = {"name": "flag", "in": "query", "schema": {"type": "boolean", "default": False}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[(text, True) for text in ("true", "True", "TRUE", "1", "yes", "on")],
        *[(text, False) for text in ("false", "False", "0", "no", "off")],
    ],
)
def test_boolean_spellings_clients_send(text, expected):
    values, errors = decode(operation(FLAG), query={"flag": [text]})
    assert (values["flag"], errors) == (expected, [])


def test_default_applies_when_absent_and_required_is_reported():
    op = operation(FLAG, {"name": "id", "in": "header", "required": True, "schema": {}})
    values, errors = decode(op)
    assert values["flag"] is False
    assert [(e.kind, e.loc) for e in errors] == [("missing", ("header", "id"))]


def test_headers_are_case_insensitive():
    op = operation({"name": "Program-Id", "in": "header", "required": True, "schema": {}})
    values, errors = decode(op, headers={"program-id": "demo"})
    assert (values["Program-Id"], errors) == ("demo", [])


@pytest.mark.parametrize(
    ("style", "explode", "raw", "expected"),
    [
        ("form", True, ["a", "b"], ["a", "b"]),
        ("form", False, ["a,b,c"], ["a", "b", "c"]),
        ("pipeDelimited", False, ["a|b"], ["a", "b"]),
        ("spaceDelimited", False, ["a b"], ["a", "b"]),
    ],
)
def test_array_styles(style, explode, raw, expected):
    param = {
        "name": "ids",
        "in": "query",
        "style": style,
        "explode": explode,
        "schema": {"type": "array", "items": {"type": "string"}},
    }
    values, errors = decode(operation(param), query={"ids": raw})
    assert (values["ids"], errors) == (expected, [])


def test_array_item_errors_carry_their_index():
    param = {"name": "n", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}}
    _, errors = decode(operation(param), query={"n": ["1", "x", "3"]})
    assert [(e.kind, e.loc, e.input) for e in errors] == [("int_parsing", ("query", "n", 1), "x")]


@pytest.mark.parametrize(
    ("schema", "text", "kind", "ctx"),
    [
        ({"type": "integer"}, "1.5", "int_parsing", None),
        ({"type": "integer"}, "", "int_parsing", None),
        ({"type": "integer", "minimum": 1}, "0", "greater_than_equal", {"ge": 1}),
        ({"type": "integer", "maximum": 100}, "101", "less_than_equal", {"le": 100}),
        ({"type": "number"}, "abc", "float_parsing", None),
        ({"type": "number", "minimum": 0, "maximum": 1}, "nan", "less_than_equal", {"le": 1.0}),
        ({"type": "number", "maximum": 1}, "inf", "less_than_equal", {"le": 1}),
        ({"type": "boolean"}, "maybe", "bool_parsing", None),
        ({"type": "string", "enum": ["a", "b"]}, "c", "enum", {"expected": ["a", "b"]}),
        ({"type": "string", "minLength": 3}, "ab", "string_too_short", {"min_length": 3}),
        ({"type": "string", "maxLength": 3}, "abcd", "string_too_long", {"max_length": 3}),
        ({"type": "string", "format": "uuid"}, "not-a-uuid", "uuid_parsing", None),
        (
            {"type": "string", "pattern": "^a+$"},
            "b",
            "string_pattern_mismatch",
            {"pattern": "^a+$"},
        ),
    ],
)
def test_invalid_values_are_reported_not_raised(schema, text, kind, ctx):
    _, errors = decode(
        operation({"name": "p", "in": "query", "schema": schema}), query={"p": [text]}
    )
    assert [(e.kind, e.input, e.ctx) for e in errors] == [(kind, text, ctx)]


def test_huge_integers_are_integers_and_coercion_keeps_types():
    op = operation(
        {"name": "i", "in": "query", "schema": {"type": "integer"}},
        {"name": "f", "in": "query", "schema": {"type": "number"}},
    )
    values, errors = decode(op, query={"i": ["9" * 40], "f": ["0.25"]})
    assert (values, errors) == ({"i": int("9" * 40), "f": 0.25}, [])


def test_errors_are_ordered_path_query_header_whatever_the_declaration_order():
    op = operation(
        {"name": "h", "in": "header", "required": True, "schema": {}},
        {"name": "q", "in": "query", "required": True, "schema": {}},
        {"name": "p", "in": "path", "required": True, "schema": {"type": "integer"}},
    )
    _, errors = decode(op, path={"p": "x"})
    assert [e.location for e in errors] == ["path", "query", "header"]


def test_cookie_parameters_decode_from_the_cookie_header():
    from starlette.requests import cookie_parser as parse_cookies

    op = operation(
        {"name": "session", "in": "cookie", "required": True, "schema": {"type": "integer"}}
    )
    values, errors = decode(op, cookies=parse_cookies("theme=dark; session=42"))
    assert (values["session"], errors) == (42, [])
    values, errors = decode(op, cookies=parse_cookies('bad"cookie'))
    assert [(e.kind, e.loc) for e in errors] == [("missing", ("cookie", "session"))]


# x-dependencies: a rule across parameters, enforced by the engine for every vendor ------------

EITHER = (
    {"name": "asset_ids", "in": "query", "schema": {"type": "string"}},
    {"name": "labels", "in": "query", "schema": {"type": "string"}},
    {"name": "min_weight", "in": "query", "schema": {"type": "number", "maximum": 1}},
)


def either_operation() -> Operation:
    from dataclasses import replace

    from mockserver.spec.dependencies import OneOrMore

    return replace(operation(*EITHER), dependencies=(OneOrMore(("asset_ids", "labels")),))


@pytest.mark.parametrize(
    "query",
    [{}, {"asset_ids": [""]}, {"asset_ids": [" , "], "labels": [","]}],
)
def test_a_broken_dependency_is_one_neutral_error_at_its_first_parameter(query):
    _, errors = decode(either_operation(), query=query)
    assert [(e.kind, e.loc, e.input, e.ctx) for e in errors] == [
        ("missing_one_of", ("query", "asset_ids"), None, {"others": ["labels"]})
    ]


@pytest.mark.parametrize("query", [{"labels": ["outdoor"]}, {"asset_ids": [",a1"]}])
def test_one_given_alternative_satisfies_the_rule(query):
    assert decode(either_operation(), query=query)[1] == []


def test_the_rule_waits_for_every_parameter_to_decode():
    """FastAPI validates parameters before its endpoint checks their combination."""
    _, errors = decode(either_operation(), query={"min_weight": ["2"]})
    assert [e.kind for e in errors] == ["less_than_equal"]


def test_each_dialect_words_the_neutral_error():
    import orjson

    from mockserver.params.errors import describe
    from mockserver.vendors.actionhub.dialect import FastAPIDialect

    op = either_operation()
    _, errors = decode(op)
    assert describe(errors[0]) == "asset_ids is required unless labels is given"
    reply = FastAPIDialect().invalid_parameters(op, errors)
    assert (reply.status, orjson.loads(reply.body)) == (
        422,
        {
            "detail": [
                {
                    "type": "missing",
                    "loc": ["query", "asset_ids"],
                    "msg": "Either asset_ids or labels must be provided",
                    "input": None,
                }
            ]
        },
    )
