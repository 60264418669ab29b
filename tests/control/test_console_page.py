"""The console page as the server renders it: forms from the specs, ids that link into Try it."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.control.forms import body_form, fields_body, kind_of, typed
from mockserver.control.index import collection_for
from mockserver.spec.model import RequestBody
from mockserver.vendors import vendor
from tests.conftest import AUTH
from tests.control.conftest import asgi_request

CONSOLE = "/__mockserver/"
LOCAL = ("127.0.0.1", 50000)


@pytest.fixture(scope="module")
def mock() -> MockApp:
    return build_app(ServeConfig())


@pytest.fixture(scope="module")
def page(mock) -> str:
    response = asgi_request(mock, "GET", CONSOLE, LOCAL)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return response.text


def block(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    ends = [page.find(mark, start + 1) for mark in ('<details class="op"', "</section>")]
    return page[start : min(end for end in ends if end > 0)]


def field(html: str, name: str) -> str:
    match = re.search(
        rf'<div class="field" data-in="\w+" data-name="{re.escape(name)}".*?</div>', html, re.S
    )
    assert match, name
    return match.group(0)


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ({"type": "string", "enum": ["a"]}, "select"),
        ({"type": "boolean"}, "checkbox"),
        ({"type": "array", "items": {"type": "string"}}, "array"),
        ({"type": "integer"}, "number"),
        ({"type": "number"}, "number"),
        ({"type": "string"}, "text"),
        ({}, "text"),
    ],
)
def test_form_control_follows_the_schema(schema, kind):
    assert kind_of(schema) == kind


def test_collection_links_follow_parameter_names():
    collections = ["segments", "lists", "contacts"]
    assert collection_for("segment_id", collections) == "segments"
    assert collection_for("parent_list_ids", collections) == "lists"
    assert collection_for("program-id", ["programs"]) == "programs"
    assert collection_for("query_json", collections) is None


def test_try_it_forms_come_from_the_spec_parameters(page):
    segments = block(page, "try-actionhub-get_segments_segments_get")
    basis = field(segments, "segment_basis")
    assert (
        'data-kind="select"' in basis and "<option>labels</option><option>assets</option>" in basis
    )
    assert "default labels" in basis
    assert 'type="checkbox"' in field(segments, "force_refresh")
    size = field(segments, "size")
    assert 'type="number" step="1" min="1" max="100"' in size and 'placeholder="50"' in size
    assert 'value="demo"' in field(segments, "program-id")  # the identity, prefilled

    listing = block(page, "try-sendgrid-ListSegment")
    ids = field(listing, "ids")
    assert 'data-kind="array"' in ids and 'data-explode="true"' in ids and 'class="add"' in ids
    assert 'data-explode="false"' in field(listing, "parent_list_ids")
    key = re.search(r'value="(Bearer SG\.[^"]+)"', field(listing, "Authorization")).group(1)
    assert re.fullmatch(r"Bearer SG\.[\w-]{22}\.[\w-]{43}", key)  # SendGrid's shape


def test_required_ids_are_prefilled_and_the_curl_line_works_as_is(page, mock):
    first = mock.runtimes["sendgrid"].backend.inventory()["segments"][0]
    get = block(page, "try-sendgrid-GetSegment")
    assert f'value="{first}"' in field(get, "segment_id")
    curl = unescape(re.search(r'<pre class="curl".*?<code>(.*?)</code>', get, re.S).group(1))
    header, key = vendor("sendgrid").credential.sample_header
    assert (
        curl == f"curl -H '{header}: {key}' 'http://127.0.0.1:4010/v3/marketing/segments/{first}'"
    )
    assert "Prefer" not in curl


def test_every_declared_answer_is_offered(page, mock):
    operation = mock.runtimes["sendgrid"].spec.operation("ListSegment")
    listing = block(page, "try-sendgrid-ListSegment")
    for code in operation.responses:
        assert f'value="code={code}"' in listing
    for name in ("documented", "empty", "too_many_parent_list_ids", "missing_key"):
        assert f'value="example={name}"' in listing
    assert "example empty (200)" in listing and "example missing_key (401)" in listing


def test_data_ids_link_into_try_it(page, mock):
    segments = mock.runtimes["sendgrid"].backend.inventory()["segments"]
    link = 'href="#try-sendgrid-GetSegment" class="id" data-fill="segment_id" data-value="{}"'
    assert link.format(segments[0]) in page
    assert (
        'data-fill="parent_list_ids"' in page and 'data-fill="program-id" data-value="demo"' in page
    )
    assert "<td>contacts</td><td>2000</td>" in page
    # Contacts link into the operation that takes contact ids (removing them from a list).
    assert 'href="#try-sendgrid-RemoveListContacts" class="id" data-fill="contact_ids"' in page


def test_every_control_names_its_control_api_call(page):
    calls = re.findall(r'data-call="([A-Z]+ [^"]+)"', page)
    assert calls.count("POST /reset") == 1 and calls.count("DELETE /requests") == 1
    assert {
        "PUT /faults",
        "DELETE /faults",
        "PUT /scenarios/actionhub/get_segment_segment_get",
    } <= set(calls)
    assert "<form" in page and not re.search(r"<form[^>]*\smethod=", page)  # never sent natively
    assert "onclick" not in page
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/__mockserver/static/console.js" defer>'
    ]


def test_loaded_data_is_escaped(mock):
    program = {
        "program": "<img/src=x/onerror=alert(1)>",
        "action_types": ["view"],
        "labels": [{"id": "l1", "name": "L"}],
        "assets": [{"id": "a1", "name": "A", "labels": ["l1"]}],
    }
    fresh = build_app(ServeConfig(apis=("actionhub",)))
    loaded = asgi_request(fresh, "PUT", "/__mockserver/data/actionhub", LOCAL, json=program)
    assert loaded.status_code == 200, loaded.text
    html = asgi_request(fresh, "GET", CONSOLE, LOCAL).text
    assert "<img/src" not in html and "&lt;img/src=x/onerror=alert(1)&gt;" in html


def test_static_files_ship_in_the_package(mock):
    for name, needle in (
        ("console.js", "X-Mockserver-Token"),
        ("console.css", "body"),
        ("favicon.svg", "<svg"),
    ):
        response = asgi_request(mock, "GET", f"{CONSOLE}static/{name}", LOCAL)
        assert response.status_code == 200 and needle in response.text


def write_operations():
    """Every operation with a JSON request body, in every spec the mock serves."""
    mock = build_app(ServeConfig())
    return [op for rt in mock.runtimes.values() for op in rt.spec.operations if op.request_body]


WRITES = write_operations()


#: The form each write operation gets: (property, control, JSON type, required, prefill).
FORMS = {
    "CreateSegmentV2": [
        ("name", "text", "string", True, "Contacts in California"),
        (
            "query_dsl",
            "textarea",
            "string",
            True,
            "SELECT contact_id, updated_at FROM contact_data WHERE state_province_region = 'CA'",
        ),
        ("parent_list_ids", "list", "array", False, ""),
    ],
    "UpdateSegmentV2": [
        ("name", "text", "string", False, "Contacts in California (2024)"),
        ("query_dsl", "textarea", "string", False, ""),
    ],
    "RefreshSegmentV2": [("user_time_zone", "text", "string", True, "America/Chicago")],
}


@pytest.mark.parametrize("operation", WRITES, ids=lambda op: op.operation_id)
def test_every_write_operation_gets_a_body_form_from_its_schema(operation):
    body = operation.request_body
    form = body_form(body)
    schema = body.schema
    required = set(schema.get("required", ()))
    assert {f.name for f in form.fields} | set(form.left_out) == set(schema["properties"])
    assert all(f.required == (f.name in required) for f in form.fields)
    example = next(iter(body.examples.values()))
    assert json.loads(form.example) == example  # the raw editor starts from the spec's example
    if not form.raw_first:  # the untouched fields send the example too
        assert json.loads(fields_body(form)) == example
    if operation.operation_id in FORMS:  # a new write operation needs no entry to be covered
        got = [(f.name, f.kind, f.type, f.required, f.value) for f in form.fields]
        assert got == FORMS[operation.operation_id] and form.left_out == ()
    assert {op.operation_id for op in WRITES} >= set(FORMS)


def test_body_controls_follow_the_property_types():
    schema = {
        "type": "object",
        "required": ["kind", "count"],
        "properties": {
            "kind": {"type": "string", "enum": ["a", "b"]},
            "active": {"type": "boolean"},
            "count": {"type": "integer", "minimum": 1, "maximum": 30000},
            "ratio": {"type": ["number", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "note": {"type": "string", "maxLength": 20},
            "contacts": {"type": "array", "items": {"type": "object"}},
            "custom": {"type": "object"},
        },
    }
    form = body_form(RequestBody(schema, True, {"first": {"kind": "b", "tags": ["x", "y"]}}))
    fields = {f.name: f for f in form.fields}
    assert fields["kind"].kind == "select" and fields["kind"].options == ("a", "b")
    assert fields["kind"].value == "b" and fields["kind"].required
    assert fields["active"].kind == "select" and fields["active"].options == ("true", "false")
    count = fields["count"]
    assert (count.kind, count.minimum, count.maximum) == ("number", "1", "30000")
    assert fields["ratio"].type == "number" and fields["note"].kind == "text"
    assert fields["tags"].kind == "list" and fields["tags"].value == "x, y"
    assert form.left_out == ("contacts", "custom") and form.raw_first  # objects: raw JSON first
    assert typed(fields["ids"], " 1, 2 ,,3") == [1, 2, 3]
    assert typed(fields["active"], "false") is False
    assert typed(fields["count"], "12") == 12 and typed(fields["ratio"], "0.5") == 0.5
    assert typed(fields["count"], "twelve") == "twelve"  # sent as text, for the API to refuse
    assert body_form(RequestBody({"type": "array"}, False)).raw_first  # no properties at all


def test_write_operations_render_a_body_form_and_a_full_curl_line(page):
    create = block(page, "try-sendgrid-CreateSegmentV2")
    assert 'data-method="POST"' in create and '<fieldset class="body">' in create
    assert 'data-prop="query_dsl" data-type="string"' in create and "<textarea" in create
    assert 'data-prop="parent_list_ids" data-type="array" data-items="string"' in create
    assert "comma-separated" in create and "string, required" in create
    curl = unescape(re.search(r'<pre class="curl".*?<code>(.*?)</code>', create, re.S).group(1))
    assert curl.startswith("curl -X POST -H 'Authorization: Bearer SG.")
    assert '-H \'Content-Type: application/json\' -d \'{"name":"Contacts in California",' in curl
    assert curl.endswith("'http://127.0.0.1:4010/v3/marketing/segments/2.0'")

    delete = block(page, "try-sendgrid-DeleteSegmentV2")
    assert 'data-method="DELETE"' in delete and "Send DELETE" in delete
    assert '<fieldset class="body">' not in delete and "curl -X DELETE" in delete
    assert '<fieldset class="body">' not in block(page, "try-sendgrid-ListSegment")


def test_the_mock_clock_is_shown_with_a_control_to_advance_it(page):
    clock = re.search(r'<form id="clock".*?</form>', page, re.S).group(0)
    assert 'data-call="PUT /clock" data-body="clock"' in clock and 'value="PT1H"' in clock
    assert 'data-body="real"' in clock and 'data-frozen="false"' in clock
    assert re.search(r">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</output>", clock)
    assert '<small id="clock-mode">real time</small>' in clock


@pytest.mark.parametrize(
    ("moves", "shown", "mode"),
    [
        ([{"now": "2030-01-01T00:00:00Z"}], "2030-01-01T00:00:00Z", "frozen"),
        ([{"now": "2030-01-01T00:00:00Z"}, {"advance": "PT1H"}], "2030-01-01T01:00:00Z", "frozen"),
        ([{"advance": "PT1H"}], None, "real time +3600 s"),
        ([{"advance": "P1D"}, {"real": True}], None, "real time"),
    ],
)
def test_the_page_shows_the_clock_as_the_control_api_left_it(moves, shown, mode):
    fresh = build_app(ServeConfig(apis=("sendgrid",)))
    for move in moves:
        moved = asgi_request(fresh, "PUT", CONSOLE + "clock", LOCAL, json=move)
        assert moved.status_code == 200, moved.text
    clock = re.search(
        r'<form id="clock".*?</form>', asgi_request(fresh, "GET", CONSOLE, LOCAL).text, re.S
    )
    assert f'<small id="clock-mode">{mode}</small>' in clock.group(0)
    if shown:
        assert f'data-frozen="true">{shown}</output>' in clock.group(0)


def test_the_data_part_lists_created_segments_linked_to_the_v2_operations():
    fresh = build_app(ServeConfig(apis=("sendgrid",)))
    body = {"name": "<b>Austin</b>", "query_dsl": "SELECT contact_id, updated_at FROM contact_data"}
    made = asgi_request(fresh, "POST", "/v3/marketing/segments/2.0", LOCAL, headers=AUTH, json=body)
    assert made.status_code == 201, made.text
    part = asgi_request(fresh, "GET", CONSOLE + "?part=data", LOCAL).text
    assert part.startswith('<div id="inventory">') and "<form" not in part  # the section alone
    row = re.search(r"<tr><td>created segments</td><td>1</td>.*?</tr>", part, re.S).group(0)
    made_id = made.json()["id"]
    link = f'"#try-sendgrid-GetSegmentV2" class="id" data-fill="segment_id" data-value="{made_id}"'
    assert link in row and "&lt;b&gt;Austin&lt;/b&gt;" in row and "<b>" not in row
    assert 'href="#try-sendgrid-GetSegment" ' in part  # the world's segments: the v1 read
    assert "Send" in asgi_request(fresh, "GET", CONSOLE + "?part=nope", LOCAL).text  # whole page
