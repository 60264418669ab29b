"""422 bodies are byte-for-byte what FastAPI + pydantic v2 answer for the same bad request.

Each request goes to our mock and to a reference FastAPI app declaring the same parameters
(tests/actionhub/reference.py); status and JSON body must be equal.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from mockserver.params.decode import scalar_decoder
from mockserver.params.errors import Invalid
from mockserver.vendors.actionhub.grammar import PYDANTIC
from tests.actionhub.conftest import ActionHubApp
from tests.actionhub.reference import app as reference_app
from tests.harness import asgi_request

PROGRAM = {"program-id": "demo"}
ANY = "labels=cat-tents&"


def both(
    url: str, headers: dict[str, str], actionhub: ActionHubApp
) -> tuple[httpx.Response, httpx.Response]:
    reference = asgi_request(reference_app, "GET", url, base_url="http://ref", headers=headers)
    return actionhub.get(url, headers), reference


def q(value: str) -> str:
    return quote(value, safe="")


BAD_NUMBERS = [
    "1.5",
    "abc",
    "",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "-0.1",
    "1e2",
    "1_0",
    "0x1",
    "5.",
    " 2 ",
    "+",
    "1e",
    "\u00a01.5",
    "1__0",
]
GOOD_NUMBERS = ["0.3", " 0.3 ", ".5", "1", "0", "-0", "1e-1", "0_5e-1", "+0.25", "1.0"]
BAD_INTS = ["0", "-1", "1.5", "1e2", "abc", "", " ", "1.", "0x10", "101", "1_", "_1", "+"]
GOOD_INTS = ["1.0", " 3 ", "+2", "1_0", "007", "2.000", "9" * 400]
BAD_BOOLS = [" true", "true ", "2", "", "maybe", "tru", "1.0", "oui"]
GOOD_BOOLS = ["True", "yes", "YES", "on", "T", "y", "0", "off", "N", "FALSE"]

CASES: list[tuple[str, dict[str, str]]] = [
    # missing header, alone and with other errors
    ("/segment?" + ANY, {}),
    ("/segments", {}),
    ("/segment", {}),
    (
        "/segment?asset_ids=sku-10001&match_type=some&segment_type=x&min_weight=a&force_refresh=z",
        {},
    ),
    ("/segments?page=0&size=101&segment_basis=x&min_weight=2&segment_type=y&force_refresh=2", {}),
    ("/segments?size=0&page=abc&segment_basis=label", PROGRAM),
    # enums: exact, case-sensitive values
    *[(f"/segment?{ANY}match_type={v}", PROGRAM) for v in ("ANY", "some", "", "all ")],
    *[(f"/segment?{ANY}segment_type={v}", PROGRAM) for v in ("Growth", "new", "")],
    *[(f"/segments?segment_basis={v}", PROGRAM) for v in ("label", "asset", "LABELS", "")],
    *[(f"/segments?segment_type={v}", PROGRAM) for v in ("bases", "DISCOVERY")],
    # numbers, integers, booleans: odd spellings
    *[(f"/segment?{ANY}min_weight={q(v)}", PROGRAM) for v in BAD_NUMBERS + GOOD_NUMBERS],
    *[(f"/segments?min_weight={q(v)}", PROGRAM) for v in BAD_NUMBERS[:6]],
    *[(f"/segments?page={q(v)}", PROGRAM) for v in BAD_INTS + GOOD_INTS],
    *[(f"/segments?size={q(v)}", PROGRAM) for v in BAD_INTS + GOOD_INTS],
    *[(f"/segment?{ANY}force_refresh={q(v)}", PROGRAM) for v in BAD_BOOLS + GOOD_BOOLS],
    *[(f"/segments?force_refresh={q(v)}", PROGRAM) for v in BAD_BOOLS[:4]],
    # repeated parameters: the last one counts
    ("/segments?page=2&page=x", PROGRAM),
    ("/segments?page=x&page=2", PROGRAM),
    # neither asset_ids nor labels
    ("/segment", PROGRAM),
    ("/segment?asset_ids=,&labels=", PROGRAM),
    ("/segment?asset_ids=&action_types=view", PROGRAM),
]


@pytest.mark.parametrize(("url", "headers"), CASES)
def test_answers_like_fastapi(actionhub_app, url, headers):
    ours, reference = both(url, headers, actionhub_app)
    assert ours.status_code == reference.status_code
    if reference.status_code == 422:
        assert ours.headers["content-type"] == "application/json"
        assert ours.json() == reference.json()


def test_several_errors_are_all_reported_in_fastapi_order(actionhub_app):
    url = "/segments?segment_type=y&min_weight=2&page=0&size=101&segment_basis=x"
    ours, _ = both(url, {}, actionhub_app)
    assert [tuple(e["loc"]) for e in ours.json()["detail"]] == [
        ("query", "page"),
        ("query", "size"),
        ("query", "segment_type"),
        ("query", "segment_basis"),
        ("query", "min_weight"),
        ("header", "program-id"),
    ]


@pytest.mark.parametrize(
    ("schema", "python_type"),
    [({"type": "integer"}, int), ({"type": "number"}, float), ({"type": "boolean"}, bool)],
)
def test_scalar_grammar_matches_pydantic(schema, python_type):
    """The engine accepts exactly the strings pydantic accepts, with the same value."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from(list("0123456789+-._eEinfatyosrul \t\u00a0\x1c٣"))
    decode, adapter = scalar_decoder(schema, PYDANTIC), TypeAdapter(python_type)

    @settings(max_examples=600, deadline=None, derandomize=True)
    @given(st.text(alphabet, max_size=8))
    def check(text: str) -> None:
        try:
            expected = adapter.validate_python(text)
        except ValidationError:
            expected = Invalid
        try:
            got = decode(text)
        except Invalid:
            got = Invalid
        if expected is Invalid or got is Invalid:
            assert got is expected, text
        elif expected != expected:  # NaN
            assert got != got, text
        else:
            assert (got, type(got) is bool) == (expected, type(expected) is bool), text

    check()
