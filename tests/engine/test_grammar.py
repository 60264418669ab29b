"""Each API reads scalars by its own framework's grammar; the engine applies it."""

from __future__ import annotations

import httpx
import pytest

from mockserver.params.errors import Invalid
from mockserver.params.grammar import STRICT, Grammar
from mockserver.vendors.actionhub.grammar import PYDANTIC
from mockserver.vendors.sendgrid.grammar import GO_STRCONV
from tests.conftest import AUTH

SEGMENTS = "/v3/marketing/segments"


def reads(grammar: Grammar, kind: str, text: str):
    try:
        return grammar.parser(kind)(text)
    except Invalid as invalid:
        return invalid.kind


@pytest.mark.parametrize(
    ("text", "pydantic", "go", "strict"),
    [
        ("true", True, True, True),
        ("True", True, True, "bool_parsing"),
        ("TRUE", True, True, "bool_parsing"),
        ("t", True, True, "bool_parsing"),
        ("T", True, True, "bool_parsing"),
        ("1", True, True, "bool_parsing"),
        ("yes", True, "bool_parsing", "bool_parsing"),
        ("on", True, "bool_parsing", "bool_parsing"),
        ("tRUE", True, "bool_parsing", "bool_parsing"),
        ("f", False, False, "bool_parsing"),
        ("0", False, False, "bool_parsing"),
        ("off", False, "bool_parsing", "bool_parsing"),
        (" true", "bool_parsing", "bool_parsing", "bool_parsing"),
    ],
)
def test_booleans_by_grammar(text, pydantic, go, strict):
    assert reads(PYDANTIC, "boolean", text) == pydantic
    assert reads(GO_STRCONV, "boolean", text) == go
    assert reads(STRICT, "boolean", text) == strict


@pytest.mark.parametrize(
    ("text", "pydantic", "go", "strict"),
    [
        ("42", 42, 42, 42),
        ("+42", 42, 42, "int_parsing"),
        ("007", 7, 7, "int_parsing"),
        (" 3 ", 3, "int_parsing", "int_parsing"),
        ("1_0", 10, "int_parsing", "int_parsing"),
        ("2.0", 2, "int_parsing", "int_parsing"),
        ("٣", "int_parsing", "int_parsing", "int_parsing"),
        ("9" * 5000, "int_parsing_size", "int_parsing_size", "int_parsing_size"),
    ],
)
def test_integers_by_grammar(text, pydantic, go, strict):
    assert reads(PYDANTIC, "integer", text) == pydantic
    assert reads(GO_STRCONV, "integer", text) == go
    assert reads(STRICT, "integer", text) == strict


def test_strings_are_taken_as_they_come():
    for grammar in (PYDANTIC, GO_STRCONV, STRICT):
        assert grammar.parser("string")(" on ") == " on "
        assert grammar.parser(None)("x") == "x"


@pytest.mark.parametrize(
    ("value", "status"), [("T", 200), ("False", 200), ("1", 200), ("on", 400), ("yes", 400)]
)
def test_sendgrid_reads_booleans_as_go_does(client: httpx.Client, value, status):
    response = client.get(SEGMENTS, params={"no_parent_list_id": value}, headers=AUTH)
    assert response.status_code == status
    if status == 400:
        assert response.json() == {
            "errors": [
                {
                    "field": "no_parent_list_id",
                    "message": "no_parent_list_id must be a boolean (true or false)",
                }
            ]
        }
