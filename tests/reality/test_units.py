"""The reality loop's parts on their own: redaction, shapes, headers, secrets, cassette lines."""

from __future__ import annotations

import re
import uuid

import orjson
import pytest

from mockserver.errors import DataError
from mockserver.journal.masking import Masker, Redactor, mask_text
from mockserver.reality.cassette import RecordedExchange, parse_cassette
from mockserver.reality.headers import decoded_body, end_to_end
from mockserver.reality.report import Difference, compare


# -- redaction ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("jane.doe@acme.com", r"^[a-z]{4}\.[a-z]{3}@example\.com$"),
        ("58567a46-305e-48d1-b4f8-a006c906920e", r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"),
        ("2024-03-11T09:15:42.118Z", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"),
        ("2024-03-11", r"^\d{4}-\d{2}-\d{2}$"),
        ("Jane O'Neil", r"^[A-Z][a-z]{3} [A-Z]'[A-Z][a-z]{3}$"),
        ("+1 (555) 010-9999", r"^\+\d \(\d{3}\) \d{3}-\d{4}$"),
    ],
)
def test_a_fake_keeps_the_format(value, pattern):
    fake = Redactor(["f"]).fake("f", value)
    assert fake != value and re.match(pattern, fake), fake


def test_fakes_are_valid_and_seeded():
    redactor = Redactor(["email"], seed=1)
    fake_uuid = redactor.fake("id", "58567a46-305e-48d1-b4f8-a006c906920e")
    assert uuid.UUID(fake_uuid).version == 4
    assert redactor.fake("email", "a@b.co") == Redactor(["email"], seed=1).fake("email", "a@b.co")
    assert redactor.fake("email", "a@b.co") != Redactor(["email"], seed=2).fake("email", "a@b.co")
    assert redactor.fake("n", 123456) != 123456 and len(str(redactor.fake("n", 123456))) == 6
    assert isinstance(redactor.fake("n", 0.25), float)


def test_redaction_reaches_every_depth_and_only_the_fields():
    redactor = Redactor(["email", "alternate_emails"], seed=3)
    body = orjson.dumps(
        {
            "email": "x@y.org",
            "name": "kept",
            "contacts": [{"email": "x@y.org", "alternate_emails": ["p@q.io", "r@s.io"]}],
            "flag": True,
        }
    )
    out = orjson.loads(redactor.body(body, "application/json"))
    assert out["name"] == "kept" and out["flag"] is True
    assert out["email"] == out["contacts"][0]["email"] != "x@y.org"  # the same person, one fake
    assert all(a.endswith("@example.com") for a in out["contacts"][0]["alternate_emails"])
    untouched = b'{"name": "spaced"}'
    assert redactor.body(untouched, "application/json") is untouched  # no field: same bytes
    assert redactor.body(b"x@y.org", "text/plain") == b"x@y.org"
    assert redactor.query("email=x%40y.org&size=2").endswith("%40example.com&size=2")


# -- shapes --------------------------------------------------------------------------------------
def test_shapes_ignore_values_lengths_and_nulls():
    mock = {"results": [{"id": "a", "count": 1, "parent": None}], "total": 2.5}
    real = {"results": [], "total": 3}
    assert compare(mock, real) == []
    real = {"results": [{"id": "b", "count": 2, "parent": "p"}, {"id": "c", "count": 0}]}
    assert compare(mock, real) == [Difference("body", "/total", "number", "missing", True)]


def test_shape_changes_are_reported_at_their_top():
    mock = {"a": {"b": {"c": 1}}, "list": [{"x": 1}]}
    real = {"list": [{"x": "1", "y": {"z": [1]}}], "new": {"deep": 1}}
    assert compare(mock, real) == [
        Difference("body", "/a", "object", "missing", True),
        Difference("body", "/list/*/x", "number", "string", True),
        Difference("body", "/list/*/y", "missing", "object", False),
        Difference("body", "/new", "missing", "object", False),
    ]


# -- headers and secrets ------------------------------------------------------------------------
def test_hop_by_hop_headers_and_those_connection_names_are_dropped():
    headers = [
        (b"Connection", b"close, X-Private"),
        (b"x-private", b"1"),
        (b"Transfer-Encoding", b"chunked"),
        (b"x-public", b"2"),
        (b"keep-alive", b"timeout=5"),
    ]
    assert end_to_end(headers) == [(b"x-public", b"2")]


def test_a_gzipped_body_is_decoded_for_the_checks():
    import gzip

    headers = [("content-encoding", "gzip")]
    assert decoded_body(headers, gzip.compress(b'{"a":1}')) == b'{"a":1}'
    assert decoded_body(headers, b"not gzip") is None
    assert decoded_body([], b"plain") == b"plain"


def test_the_secrets_of_a_request_are_what_the_journal_masks():
    masker = Masker.for_specs([])
    headers = [
        (b"authorization", b"Bearer SG.abcdefghijklmnop"),
        (b"program-id", b"demo-tenant"),
        (b"cookie", b"session=cookievalue1"),
    ]
    secrets = masker.secrets(headers, "api_key=topsecret99&size=2&size=3")
    assert set(secrets) == {
        "Bearer SG.abcdefghijklmnop",
        "SG.abcdefghijklmnop",
        "session=cookievalue1",
        "topsecret99",
    }
    text = 'got "Bearer SG.abcdefghijklmnop", key topsecret99, cut SG.abcdefghij'
    assert mask_text(text, secrets) == 'got "***", key ***, cut ***'


# -- cassette lines ---------------------------------------------------------------------------
def test_a_binary_body_round_trips_through_a_cassette_line():
    exchange = RecordedExchange(
        "sendgrid",
        None,
        "GET",
        "/x",
        "a=1",
        (("authorization", "Bearer SG.***"),),
        b"",
        200,
        (("content-type", "application/octet-stream"),),
        b"\xff\x00binary",
    )
    line = exchange.as_line()
    assert b"body_base64" in line
    (back,) = parse_cassette(line, "c.jsonl")
    assert back.response_body == b"\xff\x00binary" and back.origin == "c.jsonl line 1"
    assert back.headers == exchange.headers and back.query == "a=1"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1, 2]", "line 1: not a JSON object"),
        (b'{"version": 1, "api": "x", "response": {}}', "line 1: request is missing"),
        (
            b'{"version": 1, "api": "x", "request": {"method": "GET", "path": "x"}, '
            b'"response": {"status": 200}}',
            "line 1: request.path must start with /",
        ),
        (
            b'{"version": 1, "api": "x", "request": {"method": "GET", "path": "/"}, '
            b'"response": {"status": 200, "body_base64": "%%%"}}',
            "line 1: response.body_base64 is not base64",
        ),
        (
            b'{"version": 1, "api": "x", "request": {"method": "GET", "path": "/"}, '
            b'"response": {"status": 200, "headers": [["a"]]}}',
            "line 1: response.headers must be [name, value] pairs of strings",
        ),
        (b"\n\n", "no exchange"),
    ],
)
def test_malformed_cassette_lines_are_named(line, reason):
    with pytest.raises(DataError) as refused:
        parse_cassette(line, "c.jsonl")
    assert reason in refused.value.reasons[0]
