"""The two OpenAPI specs: valid OpenAPI 3.1, complete against the vendor documents, and
self-consistent (every example validates against its schema)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

SPECS = Path(__file__).resolve().parents[1] / "specs"
ACTIONHUB = "actionhub.openapi.yaml"
SENDGRID = "sendgrid-segments.openapi.yaml"
SPEC_FILES = (ACTIONHUB, SENDGRID)
MISSING = object()
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: Every parameter the vendor documents name: (spec, operationId, name, location, default).
#: ``None`` as default means the documents give none.
DOCUMENTED_PARAMETERS: list[tuple[str, str, str, str, Any]] = [
    # 000: GET /segment
    (ACTIONHUB, "get_segment_segment_get", "asset_ids", "query", None),
    (ACTIONHUB, "get_segment_segment_get", "labels", "query", None),
    (ACTIONHUB, "get_segment_segment_get", "action_types", "query", None),
    (ACTIONHUB, "get_segment_segment_get", "match_type", "query", "any"),
    (ACTIONHUB, "get_segment_segment_get", "segment_type", "query", "growth"),
    (ACTIONHUB, "get_segment_segment_get", "min_weight", "query", 0.5),
    (ACTIONHUB, "get_segment_segment_get", "force_refresh", "query", False),
    (ACTIONHUB, "get_segment_segment_get", "program-id", "header", None),
    # 001 / 002: GET /segments
    (ACTIONHUB, "get_segments_segments_get", "segment_type", "query", "growth"),
    (ACTIONHUB, "get_segments_segments_get", "segment_basis", "query", "labels"),
    (ACTIONHUB, "get_segments_segments_get", "min_weight", "query", 0.5),
    (ACTIONHUB, "get_segments_segments_get", "force_refresh", "query", False),
    (ACTIONHUB, "get_segments_segments_get", "page", "query", 1),
    (ACTIONHUB, "get_segments_segments_get", "size", "query", 50),
    (ACTIONHUB, "get_segments_segments_get", "program-id", "header", None),
    # 003: GET /v3/marketing/segments
    (SENDGRID, "ListSegment", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "ListSegment", "ids", "query", None),
    (SENDGRID, "ListSegment", "parent_list_ids", "query", None),
    (SENDGRID, "ListSegment", "no_parent_list_id", "query", False),
    # 004: GET /v3/marketing/segments/{segment_id}
    (SENDGRID, "GetSegment", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "GetSegment", "segment_id", "path", None),
    (SENDGRID, "GetSegment", "query_json", "query", False),
    # The vendor's published OpenAPI (sendgrid-oai): v1 DELETE and Segmentation v2
    (SENDGRID, "DeleteSegment", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "DeleteSegment", "segment_id", "path", None),
    (SENDGRID, "CreateSegmentV2", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "ListSegmentsV2", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "ListSegmentsV2", "ids", "query", None),
    (SENDGRID, "ListSegmentsV2", "parent_list_ids", "query", None),
    (SENDGRID, "ListSegmentsV2", "no_parent_list_id", "query", False),
    (SENDGRID, "GetSegmentV2", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "GetSegmentV2", "segment_id", "path", None),
    (SENDGRID, "GetSegmentV2", "contacts_sample", "query", True),
    (SENDGRID, "UpdateSegmentV2", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "UpdateSegmentV2", "segment_id", "path", None),
    (SENDGRID, "DeleteSegmentV2", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "DeleteSegmentV2", "segment_id", "path", None),
    (SENDGRID, "RefreshSegmentV2", "Authorization", "header", "Bearer <<YOUR_API_KEY_HERE>>"),
    (SENDGRID, "RefreshSegmentV2", "segment_id", "path", None),
]

#: The Segmentation v2 operations and the v1 DELETE (all from the vendor's published OpenAPI).
WRITE_OPERATIONS = ("CreateSegmentV2", "UpdateSegmentV2", "DeleteSegmentV2", "RefreshSegmentV2")
V2_AND_DELETE = (
    "DeleteSegment",
    "CreateSegmentV2",
    "ListSegmentsV2",
    "GetSegmentV2",
    "UpdateSegmentV2",
    "DeleteSegmentV2",
    "RefreshSegmentV2",
)

#: Parameters the documents mark required.
REQUIRED_PARAMETERS = {
    ("get_segment_segment_get", "program-id"),
    ("get_segments_segments_get", "program-id"),
    ("ListSegment", "Authorization"),
    ("GetSegment", "Authorization"),
    ("GetSegment", "segment_id"),
    *((op, "Authorization") for op in V2_AND_DELETE),
    *(
        (op, "segment_id")
        for op in V2_AND_DELETE
        if op not in ("CreateSegmentV2", "ListSegmentsV2")
    ),
}

#: Response codes each operation must declare (documented ones plus the inferred ones).
EXPECTED_RESPONSES = {
    "get_segment_segment_get": {"200", "422", "500", "503"},
    "get_segments_segments_get": {"200", "422", "500", "503"},
    "ListSegment": {"200", "400", "401", "403", "404", "429", "500", "503"},
    "GetSegment": {"200", "400", "401", "403", "404", "429", "500", "503"},
    "DeleteSegment": {"202", "400", "401", "403", "404", "429", "500", "503"},
    "CreateSegmentV2": {"201", "400", "401", "403", "404", "413", "429", "500", "503"},
    "ListSegmentsV2": {"200", "400", "401", "403", "404", "429", "500", "503"},
    "GetSegmentV2": {"200", "400", "401", "403", "404", "429", "500", "503"},
    "UpdateSegmentV2": {"200", "400", "401", "403", "404", "413", "429", "500", "503"},
    "DeleteSegmentV2": {"202", "400", "401", "403", "404", "429", "500", "503"},
    "RefreshSegmentV2": {"202", "400", "401", "403", "404", "413", "429", "500", "503"},
}

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def load(name: str) -> dict[str, Any]:
    with (SPECS / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module", params=SPEC_FILES)
def spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


def deref(node: Any, document: dict[str, Any]) -> Any:
    """Follow a local ``$ref`` (one level, repeatedly), keeping sibling keys."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def parameters_of(op: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    """Declared parameters and documentation-only ones (``x-documented-parameters``)."""
    listed = [*op.get("parameters", []), *op.get("x-documented-parameters", [])]
    return [deref(p, document) for p in listed]


def operation_by_id(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for _, _, op in operations(document):
        if op.get("operationId") == operation_id:
            return op
    raise KeyError(operation_id)


def walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (json-path, key, value) pair of a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def schema_validator(schema: dict[str, Any], document: dict[str, Any]) -> Draft202012Validator:
    """A validator whose ``#/components/...`` references resolve against ``document``."""
    rooted = {**schema, "components": document.get("components", {})}
    return Draft202012Validator(rooted, format_checker=FormatChecker())


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def response_examples(document: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(label, example value, schema) of every JSON response example of every operation."""
    for path, method, op in operations(document):
        for code, response in op["responses"].items():
            response = deref(response, document)
            for media_type, media in (response.get("content") or {}).items():
                if not is_json(media_type) or "schema" not in media:
                    continue
                label = f"{op['operationId']} {method.upper()} {path} {code} {media_type}"
                if "example" in media:
                    yield f"{label} example", media["example"], media["schema"]
                for name, example in (media.get("examples") or {}).items():
                    example = deref(example, document)
                    yield f"{label} examples.{name}", example["value"], media["schema"]


def test_specs_are_valid_openapi_31(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_operation_has_an_operation_id(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert ids
    assert all(isinstance(i, str) and i for i in ids), ids
    assert len(ids) == len(set(ids))


def test_operation_ids_and_responses() -> None:
    seen = {}
    for name in SPEC_FILES:
        for _, _, op in operations(load(name)):
            seen[op["operationId"]] = set(op["responses"])
    assert seen == EXPECTED_RESPONSES


def test_every_x_inferred_is_a_non_empty_string(spec: dict[str, Any]) -> None:
    found = [(path, value) for path, key, value in walk(spec) if key == "x-inferred"]
    assert found
    bad = [path for path, value in found if not (isinstance(value, str) and value.strip())]
    assert not bad, bad


def test_x_documented_examples_hold_only_examples_that_really_are_invalid() -> None:
    """A documented example that validates belongs in ``examples``, where tools find it."""
    kept = 0
    for name in SPEC_FILES:
        document = load(name)
        for _, _, op in operations(document):
            for response in op["responses"].values():
                response = deref(response, document)
                for media in (response.get("content") or {}).values():
                    for example in (media.get("x-documented-examples") or {}).values():
                        kept += 1
                        validator = schema_validator(media["schema"], document)
                        assert not validator.is_valid(example["value"])
                        assert example.get("x-inferred")
    assert kept >= 1


def test_examples_sit_where_prism_finds_them(spec: dict[str, Any]) -> None:
    """Named ``examples`` on every response media type, and no media-type ``example`` or
    schema-level example anywhere: Prism puts those first, as an example named ``default``."""
    for _, _, op in operations(spec):
        for code, response in op["responses"].items():
            for media_type, media in (deref(response, spec).get("content") or {}).items():
                label = f"{op['operationId']} {code} {media_type}"
                assert "example" not in media, label
                assert media.get("examples"), label
                schema_keys = {key for _, key, _ in walk(media["schema"])}
                assert not schema_keys & {"example", "examples"}, label
    schema_keys = {key for _, key, _ in walk(spec["components"].get("schemas", {}))}
    assert not schema_keys & {"example", "examples"}


def test_documented_schema_examples_validate(spec: dict[str, Any]) -> None:
    documented = {
        name: schema
        for name, schema in spec["components"].get("schemas", {}).items()
        if "x-documented-example" in schema
    }
    for name, schema in documented.items():
        validator = schema_validator(schema, spec)
        errors = [e.message for e in validator.iter_errors(schema["x-documented-example"])]
        assert not errors, f"{name}: {errors}"
    assert documented or spec["info"]["title"] == "ActionHub"


def test_every_response_example_validates(spec: dict[str, Any]) -> None:
    checked = 0
    for label, value, schema in response_examples(spec):
        errors = [e.message for e in schema_validator(schema, spec).iter_errors(value)]
        assert not errors, f"{label}: {errors}"
        checked += 1
    assert checked


@pytest.mark.parametrize(
    ("spec_name", "operation_id", "name", "location", "default"),
    DOCUMENTED_PARAMETERS,
    ids=[f"{row[1]}-{row[2]}" for row in DOCUMENTED_PARAMETERS],
)
def test_documented_parameter_is_present(
    spec_name: str, operation_id: str, name: str, location: str, default: Any
) -> None:
    document = load(spec_name)
    op = operation_by_id(document, operation_id)
    matches = [p for p in parameters_of(op, document) if p["name"] == name and p["in"] == location]
    assert len(matches) == 1, f"{operation_id}: {location} parameter {name!r}"
    parameter = matches[0]
    assert parameter.get("required", False) is ((operation_id, name) in REQUIRED_PARAMETERS)
    # A documentation-only parameter keeps the vendor's parameter-level default verbatim.
    found = parameter.get("default", parameter["schema"].get("default", MISSING))
    if default is None:
        assert found is MISSING
    else:
        assert found == default
        assert type(found) is type(default)


def test_no_undocumented_parameters() -> None:
    documented = {(row[1], row[2], row[3]) for row in DOCUMENTED_PARAMETERS}
    declared = set()
    for name in SPEC_FILES:
        document = load(name)
        for _, _, op in operations(document):
            for p in parameters_of(op, document):
                declared.add((op["operationId"], p["name"], p["in"]))
    assert declared == documented


def test_authorization_is_documented_but_not_a_parameter() -> None:
    """Client generators would send a declared Authorization parameter's placeholder default
    over the caller's key; the security scheme governs it, the listing stays as documentation."""
    document = load(SENDGRID)
    for _, _, op in operations(document):
        parameters = [deref(p, document) for p in op.get("parameters", [])]
        declared = {(p["in"], p["name"].lower()) for p in parameters}
        assert ("header", "authorization") not in declared, op["operationId"]
        (listed,) = op["x-documented-parameters"]
        assert (listed["in"], listed["name"]) == ("header", "Authorization")
        assert op.get("security", document["security"]) == [{"BearerAuth": []}]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("0d3a6b2e-5a4f-4c1e-9b8a-7f2d1c3e4a51", True),
        ("0D3A6B2E-5A4F-4C1E-9B8A-7F2D1C3E4A51", True),
        ("", True),
        (" , ", True),
        ("0d3a6b2e-5a4f-4c1e-9b8a-7f2d1c3e4a51, 8c1f4e77-2b3d-4a9c-8e6f-5d4b3a2c1f09", True),
        ("0d3a6b2e-5a4f-4c1e-9b8a-7f2d1c3e4a51,,", True),
        ("nope", False),
        ("0d3a6b2e-5a4f-4c1e-9b8a-7f2d1c3e4a51,nope", False),
        ("0d3a6b2e5a4f4c1e9b8a7f2d1c3e4a51", False),
        ("0d3a6b2e-5a4f-4c1e-9b8a-7f2d1c3e4a51 x", False),
    ],
)
def test_ids_items_are_plain_strings_whose_pattern_says_what_the_mock_accepts(
    value: str, accepted: bool
) -> None:
    (ids,) = (
        p
        for p in operation_by_id(load(SENDGRID), "ListSegment")["parameters"]
        if p["name"] == "ids"
    )
    items = ids["schema"]["items"]
    assert set(items) == {"type", "pattern"}, "generators type anything else as list[Any]"
    assert items["type"] == "string"
    assert (re.search(items["pattern"], value) is not None) is accepted


def test_actionhub_enums_and_bounds() -> None:
    document = load(ACTIONHUB)
    schemas = document["components"]["schemas"]
    assert schemas["MatchType"]["enum"] == ["any", "all"]
    assert schemas["SegmentType"]["enum"] == ["growth", "base", "discovery"]
    assert schemas["SegmentBasis"]["enum"] == ["labels", "assets"]
    segments = operation_by_id(document, "get_segments_segments_get")
    by_name = {p["name"]: p["schema"] for p in segments["parameters"]}
    assert (by_name["page"]["minimum"], by_name["page"].get("maximum")) == (1, None)
    assert (by_name["size"]["minimum"], by_name["size"]["maximum"]) == (1, 100)
    assert (by_name["min_weight"]["minimum"], by_name["min_weight"]["maximum"]) == (0, 1)


def test_validation_error_and_page_required_keys() -> None:
    schemas = load(ACTIONHUB)["components"]["schemas"]
    assert schemas["ValidationError"]["required"] == ["loc", "msg", "type"]
    assert set(schemas["ValidationError"]["properties"]) == {"loc", "msg", "type", "input", "ctx"}
    page = schemas["Page_SegmentCount_"]
    assert page["required"] == ["items", "total", "page", "size"]
    assert page["additionalProperties"] is False
    assert set(schemas["SegmentCount"]["required"]) == {
        "segment_type",
        "segment_basis",
        "segment_basis_id",
        "action_type",
        "name",
        "user_count",
        "strength",
        "min_weight",
    }


def test_sendgrid_error_bodies_have_teeth() -> None:
    """Every error declares a body that requires SendGrid's ``errors`` (or, for the refresh
    operation the vendor documents so, ``error``): a mock may not answer an empty one."""
    document = load(SENDGRID)
    error = document["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["errors"]
    assert error["properties"]["errors"]["items"]["required"] == ["message"]
    v2_error = document["components"]["schemas"]["ErrorResponseV2"]
    assert v2_error["properties"]["errors"]["items"]["required"] == ["field", "message"]
    for _, _, op in operations(document):
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                response = deref(response, document)
                schema = deref(response["content"]["application/json"]["schema"], document)
                for choice in schema.get("oneOf", [schema]):
                    required = deref(choice, document)["required"]
                    keys = (
                        {"errors", "error"}
                        if op["operationId"] == "RefreshSegmentV2"
                        else {"errors"}
                    )
                    assert keys & set(required), (op["operationId"], code)


def test_sendgrid_v2_request_bounds() -> None:
    """The documented rules are in the schemas: a generator or validator enforces them."""
    schemas = load(SENDGRID)["components"]["schemas"]
    write = schemas["SegmentWriteV2"]
    assert write["required"] == ["name", "query_dsl"]
    assert (write["properties"]["name"]["minLength"], write["properties"]["name"]["maxLength"]) == (
        1,
        100,
    )
    assert write["properties"]["parent_list_ids"]["maxItems"] == 1
    assert schemas["SegmentUpdateV2"]["properties"]["name"]["maxLength"] == 100
    assert "required" not in schemas["SegmentUpdateV2"]
    assert schemas["SegmentRefreshRequest"]["required"] == ["user_time_zone"]
    assert schemas["SegmentStatus"]["properties"]["query_validation"]["enum"] == [
        "PENDING",
        "VALID",
        "INVALID",
    ]


def test_sendgrid_refresh_limits_are_recorded() -> None:
    refresh = operation_by_id(load(SENDGRID), "RefreshSegmentV2")
    assert refresh["x-refresh-limits"] == {
        "per_segment_per_hour": 1,
        "per_segment_per_day": 2,
        "per_account_per_day": 10,
        "segment_day_starts": "midnight in user_time_zone",
        "account_day_starts": "midnight UTC",
    }


def test_sendgrid_writes_need_the_write_scope() -> None:
    document = load(SENDGRID)
    for _, _, op in operations(document):
        writes = op["operationId"] in (*WRITE_OPERATIONS, "DeleteSegment")
        expected = ["marketing.update"] if writes else document["x-scopes"]
        assert op.get("x-scopes", document["x-scopes"]) == expected, op["operationId"]


def test_sendgrid_rate_limit_headers() -> None:
    document = load(SENDGRID)
    assert document["security"] == [{"BearerAuth": []}]
    assert document["x-scopes"] == ["marketing.read"]
    scheme = document["components"]["securitySchemes"]["BearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for _, _, op in operations(document):
        success = next(code for code in op["responses"] if code.startswith("2"))
        for code in (success, "429"):
            headers = deref(op["responses"][code], document)["headers"]
            for header in RATE_LIMIT_HEADERS:
                resolved = deref(headers[header], document)
                assert resolved["required"] is True
                assert resolved["schema"]["type"] == "integer"
                assert resolved["description"]
