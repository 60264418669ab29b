"""Unknown query parameters are never silent: both APIs answer as their vendor would (the name
is ignored) and every answer says so - a header per name, the journal entry, the log line;
``--strict-params`` answers a parameter error in the API's own dialect instead."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import MockApp
from mockserver.control import actions
from mockserver.params.unknown import WARNING_HEADER
from tests.conftest import AUTH, PROGRAM
from tests.harness import asgi_request, mock_app

SEGMENTS = "/v3/marketing/segments"
IDS = 'unknown query parameter "ids[]" (did you mean "ids"?)'


@pytest.fixture(scope="module")
def validating_app() -> MockApp:
    return mock_app(validate_responses=True)


@pytest.fixture(scope="module")
def strict_app() -> MockApp:
    return mock_app(validate_responses=True, strict_params=True)


@pytest.fixture(autouse=True)
def clean(validating_app: MockApp, strict_app: MockApp) -> Iterator[None]:
    yield
    actions.clear_state(validating_app.control)
    actions.clear_state(strict_app.control)


def get(app: MockApp, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return asgi_request(app, "GET", url, base_url="http://mock", headers=headers)


def warnings_of(response: httpx.Response) -> list[str]:
    return response.headers.get_list(WARNING_HEADER)


def journal(app: MockApp) -> list[dict[str, Any]]:
    return [entry.as_dict() for entry in actions.journal(app.control)]


# -- the vendor's answer, with warnings --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "known_only", "headers", "expected"),
    [
        (
            f"{SEGMENTS}?ids[]=5e9e6e2e-4a0e-4f52-9b1e-0c3a5b8e7d61&ids[]=x&pageSize=2",
            SEGMENTS,
            AUTH,
            [IDS, 'unknown query parameter "pageSize"'],
        ),
        (
            "/segments?segment_type=base&segmnet_basis=assets&size=3",
            "/segments?segment_type=base&size=3",
            PROGRAM,
            ['unknown query parameter "segmnet_basis" (did you mean "segment_basis"?)'],
        ),
        (
            "/segment?labels=cat-tents&asset_ids[]=sku-10001",
            "/segment?labels=cat-tents",
            PROGRAM,
            ['unknown query parameter "asset_ids[]" (did you mean "asset_ids"?)'],
        ),
    ],
)
def test_an_unknown_name_is_ignored_as_the_vendor_does_and_warned(
    validating_app, url, known_only, headers, expected
):
    warned, plain = get(validating_app, url, headers), get(validating_app, known_only, headers)
    assert warned.status_code == plain.status_code == 200
    assert warned.content == plain.content  # ignored: the same answer as without it
    assert warnings_of(warned) == expected  # one header per unknown name
    assert warnings_of(plain) == []
    assert [entry["warnings"] for entry in journal(validating_app)] == [expected, []]


def test_the_bracket_trap_lists_every_segment_but_says_why(validating_app):
    """SendGrid ignores ``ids[]``: no filter, all 25 segments - and the header names ``ids``."""
    every = get(validating_app, SEGMENTS, AUTH).json()["results"]
    one = every[3]["id"]
    trapped = get(validating_app, f"{SEGMENTS}?ids[]={one}", AUTH)
    assert len(trapped.json()["results"]) == len(every) == 25
    assert warnings_of(trapped) == [IDS]
    assert [
        s["id"] for s in get(validating_app, f"{SEGMENTS}?ids={one}", AUTH).json()["results"]
    ] == [one]


def test_a_repeated_request_is_answered_and_warned_alike(validating_app):
    url = f"{SEGMENTS}?parent_list_ids[]=a&no_parent_list_id=true"
    first, again = get(validating_app, url, AUTH), get(validating_app, url, AUTH)
    expected = ['unknown query parameter "parent_list_ids[]" (did you mean "parent_list_ids"?)']
    assert warnings_of(first) == warnings_of(again) == expected
    assert first.content == again.content
    assert [entry["warnings"] for entry in journal(validating_app)] == [expected, expected]


def test_the_log_line_says_it(validating_app, caplog):
    with caplog.at_level(logging.INFO, logger="mockserver.access"):
        get(validating_app, "/segments?size=2&sizes=3", PROGRAM)
        get(validating_app, "/segments?size=2", PROGRAM)
    warned, plain = (record.getMessage() for record in caplog.records)
    assert warned.startswith("GET /segments?size=2&sizes=3 200 ")
    assert warned.endswith('ms; unknown query parameter "sizes" (did you mean "size"?)')
    assert plain.startswith("GET /segments?size=2 200 ") and plain.endswith("ms")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({**AUTH, "Prefer": "code=429"}, 429),  # a forced example
        ({**AUTH, "Prefer": "example=empty"}, 200),
        ({**AUTH, "Prefer": "dynamic=true"}, 200),  # a generated answer
        ({}, 401),  # no credential
        ({"Authorization": "Bearer nope"}, 401),
    ],
)
def test_every_answer_of_the_operation_carries_the_warning(validating_app, headers, status):
    response = get(validating_app, f"{SEGMENTS}?ids[]=x", headers)
    assert response.status_code == status
    assert warnings_of(response) == [IDS]
    assert journal(validating_app)[-1]["warnings"] == [IDS]


def test_scenarios_and_faults_carry_it_too(validating_app):
    actions.set_scenario(
        validating_app.control, "actionhub", "get_segments_segments_get", {"code": 503}
    )
    scenario = get(validating_app, "/segments?pages=1", PROGRAM)
    actions.clear_state(validating_app.control)
    actions.set_fault(
        validating_app.control, {"error_rate": 1.0}, "actionhub", "get_segments_segments_get"
    )
    fault = get(validating_app, "/segments?pages=1", PROGRAM)
    expected = ['unknown query parameter "pages" (did you mean "page"?)']
    assert scenario.status_code == 503 and warnings_of(scenario) == expected
    assert fault.status_code in (500, 503) and warnings_of(fault) == expected


def test_a_crash_answer_carries_it_too(validating_app, monkeypatch):
    (endpoint, _) = validating_app.table.match("/segments")
    pipeline = endpoint.pipelines["GET"]

    def crash(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "_respond", crash)
    response = get(validating_app, "/segments?x=1", PROGRAM)
    assert response.status_code == 500
    assert warnings_of(response) == ['unknown query parameter "x"']


def test_a_browser_script_may_read_the_warning(validating_app):
    response = get(validating_app, "/segments?x=1", {**PROGRAM, "Origin": "http://app.test"})
    assert warnings_of(response) == ['unknown query parameter "x"']
    assert WARNING_HEADER in response.headers["access-control-expose-headers"].lower()


def test_unknown_paths_and_the_control_plane_have_no_such_warnings(validating_app):
    assert warnings_of(get(validating_app, "/v3/marketing/nothing?x=1", AUTH)) == []
    assert warnings_of(get(validating_app, "/__mockserver/health?x=1")) == []


# -- --strict-params: the API's own parameter error -------------------------------------------


def test_strict_sendgrid_answers_400_in_its_dialect(strict_app):
    response = get(strict_app, f"{SEGMENTS}?ids[]=a&ids[]=b&pageSize=2&no_parent_list_id=yes", AUTH)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": "no_parent_list_id",
                "message": "no_parent_list_id must be a boolean (true or false)",
            },
            {
                "field": "ids[]",
                "message": "ids[] is not a query parameter of this operation (did you mean ids?)",
            },
            {"field": "pageSize", "message": "pageSize is not a query parameter of this operation"},
        ]
    }
    assert warnings_of(response) == [IDS, 'unknown query parameter "pageSize"']
    assert journal(strict_app)[-1]["warnings"] == warnings_of(response)


def test_strict_sendgrid_still_asks_for_a_credential_first(strict_app):
    response = get(strict_app, f"{SEGMENTS}?ids[]=a")
    assert response.status_code == 401
    assert warnings_of(response) == [IDS]


def test_strict_actionhub_answers_fastapis_extra_forbidden_422(strict_app):
    """As FastAPI answers for a query model with ``extra="forbid"``: the declared parameters'
    errors first (the pagination dependency's before the endpoint's), then one per extra name
    in the order they came, its value as given (a repeated name: the list)."""
    url = "/segments?x=1&min_weight=2&pages=1&pages=2&page=0"
    response = get(strict_app, url, PROGRAM)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "greater_than_equal",
                "loc": ["query", "page"],
                "msg": "Input should be greater than or equal to 1",
                "input": "0",
                "ctx": {"ge": 1},
            },
            {
                "type": "less_than_equal",
                "loc": ["query", "min_weight"],
                "msg": "Input should be less than or equal to 1",
                "input": "2",
                "ctx": {"le": 1},
            },
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
    }
    assert warnings_of(response) == [
        'unknown query parameter "x"',
        'unknown query parameter "pages" (did you mean "page"?)',
    ]


def test_strict_mode_changes_nothing_for_known_names(validating_app, strict_app):
    for url, headers in [
        (f"{SEGMENTS}?no_parent_list_id=true", AUTH),
        ("/segments?size=4", PROGRAM),
    ]:
        answer = get(strict_app, url, headers)
        assert answer.status_code == 200 and warnings_of(answer) == []
        assert answer.content == get(validating_app, url, headers).content
