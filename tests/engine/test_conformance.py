"""One rule set, two judges: strict for the mock's own answers, tolerant (like a consumer) for a
real deployment's - additive changes are warnings, everything else breaks."""

from __future__ import annotations

import orjson
import pytest

from mockserver.conformance.validator import ResponseValidator, Violation
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.vendors.interface import Reply

SPEC = load_spec("actionhub", bundled_dir("specs") / "actionhub.openapi.yaml")
SEGMENTS = SPEC.operation("get_segments_segments_get")
ITEM = {
    "segment_type": "growth",
    "segment_basis": "label",
    "segment_basis_id": "cat-tents",
    "action_type": "view",
    "name": "Tents",
    "user_count": 3,
    "strength": 0.5,
    "min_weight": 0.5,
}
PAGE = {"items": [ITEM], "total": 1, "page": 1, "size": 50}


def judge(body: dict, *, tolerant: bool, status: int = 200, media="application/json"):
    reply = Reply(status, orjson.dumps(body), media)
    return ResponseValidator().violations(SEGMENTS, reply, tolerant=tolerant)


def test_a_conforming_page_has_no_violation():
    assert judge(PAGE, tolerant=False) == judge(PAGE, tolerant=True) == []


def test_an_added_property_is_a_warning_naming_its_path():
    assert judge({**PAGE, "pages": 1}, tolerant=True) == [
        Violation("body", "/pages", "undeclared property 'pages'", breaking=False)
    ]
    (strict,) = judge({**PAGE, "pages": 1}, tolerant=False)
    assert strict.breaking and strict.path == ""


def test_a_new_enum_value_is_a_warning():
    page = {**PAGE, "items": [{**ITEM, "segment_type": "lookalike"}]}
    (found,) = judge(page, tolerant=True)
    assert (found.path, found.breaking) == ("/items/0/segment_type", False)


@pytest.mark.parametrize(
    ("body", "status", "media", "where"),
    [
        (
            {**PAGE, "items": [{k: v for k, v in ITEM.items() if k != "user_count"}]},
            200,
            None,
            "body",
        ),
        ({**PAGE, "items": [{**ITEM, "user_count": "3"}]}, 200, None, "body"),
        (PAGE, 418, None, "status"),
        (PAGE, 200, "text/html", "media type"),
    ],
)
def test_removed_retyped_undeclared_or_mistyped_stays_breaking(body, status, media, where):
    found = judge(body, tolerant=True, status=status, media=media or "application/json")
    assert found and all(v.breaking for v in found)
    assert found[0].where == where
