"""The console page as the server renders it: forms from the specs, ids that link into Try it."""

from __future__ import annotations

import re
from html import unescape

import pytest

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.control.index import collection_for, kind_of
from mockserver.vendors import vendor
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
    assert "<form" in page and "method=" not in page and "onclick" not in page
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
