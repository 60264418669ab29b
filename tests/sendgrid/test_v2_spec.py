"""The vendor's own published schemas (sendgrid/sendgrid-oai, copied in vendor_schemas/) accept
every answer the mock gives along a Segmentation v2 lifecycle: creates, lists, gets, updates,
refreshes, deletes, the v1 DELETE, and each of their documented failures.

Each step is one request; the steps run once, in order, on a server of their own (they write),
and each is then checked as its own test: the status the step expects, the vendor's schema for
that operation and status, and our spec (the server validates its answers and flags a violation).
Then every status our spec declares, forced with ``Prefer``, is checked the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from mockserver.config import ServeConfig
from mockserver.resources import bundled_dir
from tests.harness import live_server
from tests.sendgrid.conftest import SEGMENTS, bearer, sg_key

VENDOR = json.loads(
    (Path(__file__).with_name("vendor_schemas") / "segmentation_v2.json").read_text()
)
V2 = f"{SEGMENTS}/2.0"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
CLOCK = "/__mockserver/clock"
CALIFORNIA = "SELECT contact_id, updated_at FROM contact_data WHERE state_province_region = 'CA'"
CLICKED = (
    "SELECT c.contact_id, c.updated_at FROM contact_data AS c INNER JOIN event_data AS e "
    "ON c.contact_id = e.contact_id WHERE e.event_type = 'clicked'"
)
ALL = "SELECT contact_id, updated_at FROM contact_data"
#: Where the vendor documents a status without a schema, or not at all, the answer must still be
#: one of the bodies the vendor uses for this API (our spec's inference, checked here).
V2_ERROR = "errors-seg-v2"
#: ... except the statuses SendGrid's gateway answers for every API (no key, no scope, over the
#: request rate, too large, down), documented for the v1 DELETE as the global error body.
GLOBAL_ERROR = "global_error_response_schema"
GATEWAY_STATUSES = {401, 403, 413, 429, 503}
SPEC = yaml.safe_load((bundled_dir("specs") / "sendgrid-segments.openapi.yaml").read_text())
#: A valid body per operation that takes one (a forced answer still reads the request).
BODIES = {
    "CreateSegmentV2": {
        "name": "Forced",
        "query_dsl": "SELECT contact_id, updated_at FROM contact_data",
    },
    "UpdateSegmentV2": {"name": "Forced"},
    "RefreshSegmentV2": {"user_time_zone": "UTC"},
}


@dataclass(frozen=True)
class Step:
    """One request. ``{name}`` in ``path`` is an id saved by an earlier step (``save``) or set up
    by the fixture (``v1``, ``v1_other``, ``list``)."""

    label: str
    operation: str
    method: str
    path: str
    status: int
    body: Any = None
    raw: bytes | None = None
    save: str | None = None
    query: dict[str, str] = field(default_factory=dict)


STEPS = (
    Step(
        "create",
        "CreateSegmentV2",
        "POST",
        V2,
        201,
        {"name": "CA", "query_dsl": CALIFORNIA},
        save="ca",
    ),
    Step(
        "create_in_a_list",
        "CreateSegmentV2",
        "POST",
        V2,
        201,
        {"name": "Clicked in list", "query_dsl": CLICKED, "parent_list_ids": ["{list}"]},
        save="clicked",
    ),
    Step(
        "create_everyone",
        "CreateSegmentV2",
        "POST",
        V2,
        201,
        {"name": "All", "query_dsl": ALL},
        save="all",
    ),
    Step("list", "ListSegmentsV2", "GET", V2, 200),
    Step("list_by_ids", "ListSegmentsV2", "GET", V2, 200, query={"ids": "{ca},{v1}"}),
    Step("list_by_parent", "ListSegmentsV2", "GET", V2, 200, query={"parent_list_ids": "{list}"}),
    Step("list_parentless", "ListSegmentsV2", "GET", V2, 200, query={"no_parent_list_id": "true"}),
    Step("get_new", "GetSegmentV2", "GET", f"{V2}/{{ca}}", 200),
    Step("get_v1_through_v2", "GetSegmentV2", "GET", f"{V2}/{{v1}}", 200),
    Step("advance_an_hour", "clock", "PUT", CLOCK, 200, {"advance": "PT1H"}),
    Step("get_evaluated", "GetSegmentV2", "GET", f"{V2}/{{ca}}", 200),
    Step("get_evaluated_in_list", "GetSegmentV2", "GET", f"{V2}/{{clicked}}", 200),
    Step("get_everyone", "GetSegmentV2", "GET", f"{V2}/{{all}}", 200),
    Step(
        "get_without_sample",
        "GetSegmentV2",
        "GET",
        f"{V2}/{{ca}}",
        200,
        query={"contacts_sample": "false"},
    ),
    Step("list_evaluated", "ListSegmentsV2", "GET", V2, 200),
    Step("rename", "UpdateSegmentV2", "PATCH", f"{V2}/{{ca}}", 200, {"name": "California"}),
    Step(
        "new_query",
        "UpdateSegmentV2",
        "PATCH",
        f"{V2}/{{ca}}",
        200,
        {"query_dsl": CALIFORNIA.replace("= 'CA'", "IN ('CA', 'OR')")},
    ),
    Step(
        "refresh",
        "RefreshSegmentV2",
        "POST",
        f"{V2}/refresh/{{ca}}",
        202,
        {"user_time_zone": "America/Chicago"},
    ),
    Step("get_refreshed", "GetSegmentV2", "GET", f"{V2}/{{ca}}", 200),
    Step(
        "refresh_again",
        "RefreshSegmentV2",
        "POST",
        f"{V2}/refresh/{{ca}}",
        429,
        {"user_time_zone": "America/Chicago"},
    ),
    # Failures, each in the operation's documented dialect.
    Step("duplicate_name", "CreateSegmentV2", "POST", V2, 400, {"name": "All", "query_dsl": ALL}),
    Step("missing_query", "CreateSegmentV2", "POST", V2, 400, {"name": "No query"}),
    Step("missing_name", "CreateSegmentV2", "POST", V2, 400, {"query_dsl": ALL}),
    Step("long_name", "CreateSegmentV2", "POST", V2, 400, {"name": "n" * 101, "query_dsl": ALL}),
    Step("wrong_type", "CreateSegmentV2", "POST", V2, 400, {"name": 7, "query_dsl": ALL}),
    Step(
        "two_parent_lists",
        "CreateSegmentV2",
        "POST",
        V2,
        400,
        {"name": "Two", "query_dsl": ALL, "parent_list_ids": ["{list}", UNKNOWN_ID]},
    ),
    Step(
        "unknown_parent_list",
        "CreateSegmentV2",
        "POST",
        V2,
        400,
        {"name": "Orphan", "query_dsl": ALL, "parent_list_ids": [UNKNOWN_ID]},
    ),
    Step(
        "query_does_not_parse",
        "CreateSegmentV2",
        "POST",
        V2,
        400,
        {"name": "Bad", "query_dsl": "SELEC nothing"},
    ),
    Step("not_json", "CreateSegmentV2", "POST", V2, 400, raw=b"{name: 'x'"),
    Step("not_an_object", "CreateSegmentV2", "POST", V2, 400, [1, 2]),
    Step(
        "list_malformed_boolean",
        "ListSegmentsV2",
        "GET",
        V2,
        400,
        query={"no_parent_list_id": "yes"},
    ),
    Step("get_malformed_id", "GetSegmentV2", "GET", f"{V2}/not-a-uuid", 400),
    Step("get_unknown", "GetSegmentV2", "GET", f"{V2}/{UNKNOWN_ID}", 404),
    Step("rename_to_taken", "UpdateSegmentV2", "PATCH", f"{V2}/{{ca}}", 400, {"name": "All"}),
    Step("update_unknown", "UpdateSegmentV2", "PATCH", f"{V2}/{UNKNOWN_ID}", 404, {"name": "x"}),
    Step(
        "refresh_unknown",
        "RefreshSegmentV2",
        "POST",
        f"{V2}/refresh/{UNKNOWN_ID}",
        404,
        {"user_time_zone": "UTC"},
    ),
    Step(
        "refresh_bad_zone",
        "RefreshSegmentV2",
        "POST",
        f"{V2}/refresh/{{all}}",
        400,
        {"user_time_zone": "Mars/Olympus"},
    ),
    Step("refresh_no_zone", "RefreshSegmentV2", "POST", f"{V2}/refresh/{{all}}", 400, {}),
    Step(
        "too_large",
        "CreateSegmentV2",
        "POST",
        V2,
        413,
        {"name": "Big", "query_dsl": ALL + " " * 300_000},
    ),
    # Deletes.
    Step("delete", "DeleteSegmentV2", "DELETE", f"{V2}/{{clicked}}", 202),
    Step("delete_again", "DeleteSegmentV2", "DELETE", f"{V2}/{{clicked}}", 404),
    Step("get_deleted", "GetSegmentV2", "GET", f"{V2}/{{clicked}}", 404),
    Step("delete_v1", "DeleteSegment", "DELETE", f"{SEGMENTS}/{{v1_other}}", 202),
    Step("delete_v1_again", "DeleteSegment", "DELETE", f"{SEGMENTS}/{{v1_other}}", 404),
    Step("delete_v1_malformed", "DeleteSegment", "DELETE", f"{SEGMENTS}/not-a-uuid", 400),
    Step("delete_v2_through_v1", "DeleteSegment", "DELETE", f"{SEGMENTS}/{{all}}", 404),
)


@dataclass
class Answer:
    status: int
    body: Any
    violation: str | None


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def answers() -> Iterator[dict[str, Answer]]:
    """Every step's answer, the steps run in order on one fresh server."""
    config = ServeConfig(apis=("sendgrid",), validate_responses=True)
    with (
        live_server(config) as server,
        httpx.Client(base_url=server.url, headers=bearer(sg_key("v")), timeout=30) as http,
    ):
        v1 = http.get(SEGMENTS).json()["results"]
        ids = {
            "v1": v1[0]["id"],
            "v1_other": v1[-1]["id"],
            "list": next(s["parent_list_id"] for s in v1 if s.get("parent_list_id")),
        }
        found: dict[str, Answer] = {}
        for step in STEPS:
            content = step.raw if step.raw is not None else None
            payload = None if step.body is None or content is not None else fill(step.body, ids)
            response = http.request(
                step.method,
                fill(step.path, ids),
                params=fill(step.query, ids) or None,
                json=payload,
                content=content,
                headers={"Content-Type": "application/json"} if content is not None else None,
            )
            body = response.json() if response.content else None
            found[step.label] = Answer(
                response.status_code, body, response.headers.get("x-mockserver-violation")
            )
            if step.save and response.status_code == step.status:
                ids[step.save] = body["id"]
        yield found


def vendor_validator(schema: Any) -> Draft202012Validator:
    if isinstance(schema, str):
        schema = {"$ref": f"#/$defs/{schema}"}
    return Draft202012Validator(
        {**schema, "$defs": VENDOR["$defs"]}, format_checker=FormatChecker()
    )


def vendor_schema(operation: str, status: int) -> Any:
    """The vendor's schema for an answer. An error it documents without a body (or not at all:
    GetSegmentV2's 404, the 413s, the refresh's 400) must still be the vendor's v2 error body,
    errors-seg-v2, as our spec infers; only a success may be documented as bodiless."""
    schema = VENDOR["responses"][operation].get(str(status))
    if schema is None and status >= 400:
        return GLOBAL_ERROR if status in GATEWAY_STATUSES else V2_ERROR
    return schema


def forced() -> list[tuple[str, str, str, int]]:
    """(operationId, method, path, status) of every status our spec declares for the v2
    operations and the v1 DELETE: what ``Prefer: code=`` makes the mock answer."""
    found = []
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if op["operationId"] in VENDOR["responses"]:
                concrete = path.replace("{segment_id}", UNKNOWN_ID)
                for code in op["responses"]:
                    found.append((op["operationId"], method.upper(), concrete, int(code)))
    return found


@pytest.mark.parametrize(
    "step", [s for s in STEPS if s.operation != "clock"], ids=lambda s: s.label
)
def test_the_vendor_schema_accepts_the_answer(answers, step):
    answer = answers[step.label]
    assert answer.status == step.status, answer.body
    assert answer.violation is None, answer.violation
    schema = vendor_schema(step.operation, step.status)
    if step.operation == "ListSegmentsV2" and step.status == 200:
        # The vendor gives all_segments_response (one segment) as the whole body; the API and
        # its reference pages answer {"results": [...]}: each item is checked against it.
        assert set(answer.body) <= {"results", "_metadata"}
        items = answer.body["results"]
        assert items, "a list with nothing in it would prove nothing"
        for item in items:
            errors = [e.message for e in vendor_validator(schema).iter_errors(item)]
            assert not errors, (item["id"], errors)
        return
    if schema is None:
        assert answer.body is None, "the vendor documents this answer without a body"
        return
    errors = [e.message for e in vendor_validator(schema).iter_errors(answer.body)]
    assert not errors, errors


def test_the_lifecycle_is_what_the_vendor_describes(answers):
    """A new segment is not evaluated yet; an hour later (mock clock) it is, its count and
    sample agree; a new query starts it over; a refresh evaluates it and counts toward the
    limits; a deletion is seen at once."""
    new = answers["get_new"].body
    assert new["status"]["query_validation"] == "PENDING"
    assert (new["contacts_count"], new["contacts_sample"]) == (0, [])
    assert new["query_version"] == "2"
    evaluated = answers["get_evaluated"].body
    assert evaluated["status"]["query_validation"] == "VALID"
    assert evaluated["contacts_count"] > 0
    sample = evaluated["contacts_sample"]
    assert len(sample) == min(50, evaluated["contacts_count"])
    assert {c["state_province_region"] for c in sample} == {"CA"}
    assert all(evaluated["id"] in c["segment_ids"] for c in sample)
    everyone = answers["get_everyone"].body
    assert everyone["contacts_count"] > evaluated["contacts_count"]
    assert answers["get_without_sample"].body["contacts_sample"] == []
    assert answers["get_without_sample"].body["contacts_count"] == evaluated["contacts_count"]
    in_list = answers["get_evaluated_in_list"].body
    assert in_list["parent_list_ids"] == [answers["create_in_a_list"].body["parent_list_ids"][0]]
    assert all(in_list["parent_list_ids"][0] in c["list_ids"] for c in in_list["contacts_sample"])
    assert answers["rename"].body["name"] == "California"
    assert answers["rename"].body["contacts_count"] == evaluated["contacts_count"]
    assert answers["new_query"].body["status"]["query_validation"] == "PENDING"
    refreshed = answers["get_refreshed"].body
    assert refreshed["status"]["query_validation"] == "VALID"
    assert refreshed["contacts_count"] > evaluated["contacts_count"]  # CA or OR
    assert (refreshed["refreshes_used"], refreshed["max_refreshes"]) == (1, 2)
    assert "last_refreshed_at" in refreshed
    listed = {s["id"]: s for s in answers["list_evaluated"].body["results"]}
    assert listed[evaluated["id"]]["contacts_count"] == evaluated["contacts_count"]
    assert {s["query_version"] for s in listed.values()} == {"1", "2"}


def test_filters_follow_the_v1_table(answers):
    by_ids = [s["id"] for s in answers["list_by_ids"].body["results"]]
    assert sorted(by_ids) == sorted(
        [answers["create"].body["id"], answers["get_v1_through_v2"].body["id"]]
    )
    parent = answers["create_in_a_list"].body["parent_list_ids"][0]
    by_parent = answers["list_by_parent"].body["results"]
    assert by_parent and all(s["parent_list_ids"] == [parent] for s in by_parent)
    assert answers["create_in_a_list"].body["id"] in {s["id"] for s in by_parent}
    parentless = answers["list_parentless"].body["results"]
    assert parentless and all(s["parent_list_ids"] == [] for s in parentless)


def test_errors_name_what_is_at_fault(answers):
    fields = {
        "duplicate_name": "name",
        "missing_query": "query_dsl",
        "missing_name": "name",
        "long_name": "name",
        "wrong_type": "name",
        "two_parent_lists": "parent_list_ids",
        "unknown_parent_list": "parent_list_ids",
        "query_does_not_parse": "query_dsl",
        "not_json": "body",
        "rename_to_taken": "name",
        "refresh_bad_zone": "user_time_zone",
        "refresh_no_zone": "user_time_zone",
        "get_unknown": "segment_id",
        "refresh_again": "segment_id",
    }
    for label, name in fields.items():
        assert name in [e["field"] for e in answers[label].body["errors"]], label
    assert answers["refresh_unknown"].body == {"error": "Segment does not exist."}


@pytest.fixture(scope="module")
def forcing() -> Iterator[httpx.Client]:
    config = ServeConfig(apis=("sendgrid",), validate_responses=True)
    with (
        live_server(config) as server,
        httpx.Client(base_url=server.url, headers=bearer(sg_key("f")), timeout=30) as http,
    ):
        yield http


@pytest.mark.parametrize(
    ("operation", "method", "path", "status"), forced(), ids=lambda v: str(v).split("/")[-1]
)
def test_every_forced_answer_is_the_vendors_shape(forcing, operation, method, path, status):
    """Statuses a test asks for (``Prefer: code=``, as scenarios and faults answer them) are
    the spec's examples: those too must be what the vendor's schemas describe."""
    response = forcing.request(
        method, path, json=BODIES.get(operation), headers={"Prefer": f"code={status}"}
    )
    assert response.status_code == status, response.text
    assert response.headers.get("x-mockserver-violation") is None
    schema = vendor_schema(operation, status)
    body = response.json() if response.content else None
    if operation == "ListSegmentsV2" and status == 200:
        body, schema = body["results"], {"type": "array", "items": {"$ref": f"#/$defs/{schema}"}}
    if schema is None:
        assert body is None
        return
    errors = [e.message for e in vendor_validator(schema).iter_errors(body)]
    assert not errors, errors
