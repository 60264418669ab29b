"""The reality loop with request bodies: SendGrid's Segmentation v2 writes through the proxy,
recorded, replayed and verified (``--allow-writes``)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from mockserver.config import ServeConfig
from mockserver.limits import MAX_REQUEST_BODY
from mockserver.reality.options import VerifyOptions
from mockserver.reality.replay import canonical_body
from mockserver.reality.sources import Sent, distinct, from_journal_document
from mockserver.reality.verify import run
from mockserver.testing import LiveServer
from tests.conftest import AUTH, JSON
from tests.harness import live_server
from tests.reality.conftest import running_proxy
from tests.reality.drift_app import SEGMENTS

V2 = SEGMENTS + "/2.0"
CONTACTS = "/v3/marketing/contacts"
#: UpsertContacts' own request-body bound (its x-max-body-bytes: SendGrid's 6 MB).
UPSERT_BOUND = 6 * 2**20
SEND = {**AUTH, **JSON}
AUSTIN = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'"
#: Bodies as an app sends them: spacing and member order its own, passed on byte for byte.
CREATE = b'{ "query_dsl" : "' + AUSTIN.encode() + b'",\n  "name": "Austin v2" }'
RENAME = b'{"name":  "Austin (renamed)"}'
REFRESH = b'{"user_time_zone": "America/Chicago"}'
#: Headers each server computes per answer (not recorded, not compared), and the proxy's note.
PER_ANSWER = {"date", "server", "content-length", "x-mockserver-violation"}
REAL_KEY = "SG." + "r" * 22 + "." + "k" * 43


def fresh() -> LiveServer:
    """A deployment of its own: seed 0, SendGrid only, nothing written yet (ids of created
    segments come from the seed and the write's number: every fresh one makes the same)."""
    return live_server(apis=("sendgrid",), cors_origins=())


def journal(server) -> list[dict]:
    return httpx.get(server.url + "/__mockserver/requests").json()["requests"]


def seen(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in answer.headers.multi_items() if k not in PER_ANSWER]
    return answer.status_code, headers, answer.content


def lifecycle(url: str, v1_segment: str) -> tuple[list[tuple[str, str, bytes]], httpx.Response]:
    """The v2 lifecycle and a v1 delete, as ``(method, target, body)`` steps, and the answer to
    the first (the create: the steps after it name the segment it made)."""
    created = httpx.post(url + V2, content=CREATE, headers=SEND)
    assert created.status_code == 201, created.text
    segment = created.json()["id"]
    one = f"{V2}/{segment}"
    steps = [
        ("POST", V2, CREATE),
        ("GET", one, b""),
        ("PATCH", one, RENAME),
        ("GET", one, b""),
        ("POST", f"{V2}/refresh/{segment}", REFRESH),
        ("DELETE", one, b""),
        ("GET", one, b""),
        ("DELETE", f"{SEGMENTS}/{v1_segment}", b""),
        ("GET", f"{SEGMENTS}/{v1_segment}", b""),
    ]
    return steps, created


def send(url: str, steps, start: int = 0) -> list[httpx.Response]:
    headers = {True: SEND, False: AUTH}
    return [
        httpx.request(method, url + target, content=body or None, headers=headers[bool(body)])
        for method, target, body in steps[start:]
    ]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, list, list, list[dict]]:
    """The lifecycle through a recording proxy: the cassette, the steps, what the app got, and
    what the upstream's journal saw."""
    cassette = tmp_path_factory.mktemp("writes") / "v2.jsonl"
    with fresh() as upstream, running_proxy("sendgrid", upstream.url, record=cassette) as proxy:
        v1_segment = httpx.get(upstream.url + SEGMENTS, headers=AUTH).json()["results"][0]["id"]
        steps, created = lifecycle(proxy.url, v1_segment)
        got = [seen(answer) for answer in (created, *send(proxy.url, steps, start=1))]
        upstream_saw = journal(upstream)
    return cassette, steps, got, upstream_saw


# -- the proxy --------------------------------------------------------------------------------
def test_the_upstream_gets_each_write_with_its_exact_body(recorded):
    _, steps, got, upstream_saw = recorded
    sent = [(e["method"], e["path"], (e["body"] or "").encode()) for e in upstream_saw[1:]]
    assert sent == steps
    assert [status for status, _, _ in got] == [201, 200, 200, 200, 202, 202, 404, 202, 404]


def test_the_cassette_keeps_each_requests_method_and_body(recorded):
    cassette, steps, _, _ = recorded
    lines = [orjson.loads(line) for line in cassette.read_text().splitlines()]
    assert [(x["request"]["method"], x["request"]["path"]) for x in lines] == [
        (method, target) for method, target, _ in steps
    ]
    assert [x["request"]["body"].encode() for x in lines] == [body for _, _, body in steps]
    assert lines[0]["operation"] == "CreateSegmentV2"
    assert lines[0]["request"]["headers"] == {
        "authorization": "Bearer SG.***",
        "content-type": "application/json",
    }


def test_a_body_breaking_the_schema_is_forwarded_and_reported(caplog):
    wrong = b'{"name": 5, "query_dsl": "' + AUSTIN.encode() + b'"}'
    with fresh() as upstream, running_proxy("sendgrid", upstream.url) as proxy:
        with caplog.at_level(logging.WARNING, logger="mockserver.proxy"):
            answer = httpx.post(proxy.url + V2, content=wrong, headers=SEND)
        (entry,) = journal(proxy)
        (forwarded,) = journal(upstream)
    assert answer.status_code == 400  # the upstream's own verdict, passed back
    assert answer.json()["errors"][0]["field"] == "name"
    assert forwarded["body"].encode() == wrong
    violation = {"where": "request", "path": "body.name", "message": "name must be of type string"}
    assert entry["violations"] == [violation]
    assert entry["body"].encode() == wrong and entry["operation"] == "CreateSegmentV2"
    assert answer.headers.get_list("x-mockserver-violation") == [
        "request body.name: name must be of type string"
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "mockserver.proxy"]
    assert logged == [
        f"POST {V2} -> 400 violates the sendgrid spec: request body.name: name must be of type "
        "string"
    ]


def test_a_body_that_is_not_json_is_reported_as_the_mock_words_it():
    with fresh() as upstream, running_proxy("sendgrid", upstream.url) as proxy:
        answer = httpx.post(proxy.url + V2, content=b"{name", headers=SEND)
        (entry,) = journal(proxy)
    assert answer.status_code == 400
    assert entry["violations"] == [
        {"where": "request", "path": "body", "message": "body is not valid JSON"}
    ]


def test_a_credential_named_member_is_masked_in_the_journal_and_the_cassette(tmp_path):
    secret = "s3cr3t-value-of-a-token"
    body = orjson.dumps({"name": "Tokens", "query_dsl": AUSTIN, "api_token": secret})
    cassette = tmp_path / "masked.jsonl"
    with (
        fresh() as upstream,
        running_proxy("sendgrid", upstream.url, record=cassette) as proxy,
    ):
        answer = httpx.post(proxy.url + V2, content=body, headers=SEND)
        (entry,) = journal(proxy)
    assert answer.status_code == 201  # an undeclared member: ignored, as the vendor does
    assert orjson.loads(entry["body"])["api_token"] == "***"
    assert secret not in cassette.read_text()
    (line,) = [orjson.loads(text) for text in cassette.read_text().splitlines()]
    assert orjson.loads(line["request"]["body"]) == {
        "name": "Tokens",
        "query_dsl": AUSTIN,
        "api_token": "***",
    }


def test_a_body_past_the_mocks_bound_is_a_413_and_never_forwarded():
    huge = b'{"name": "' + b"x" * MAX_REQUEST_BODY + b'"}'
    with fresh() as upstream, running_proxy("sendgrid", upstream.url) as proxy:
        answer = httpx.post(proxy.url + V2, content=huge, headers=SEND)
        assert journal(upstream) == []
    assert answer.status_code == 413
    assert answer.json() == {
        "errors": [
            {"field": "body", "message": f"request body larger than {MAX_REQUEST_BODY} bytes"}
        ]
    }


def test_an_operation_with_a_larger_bound_of_its_own_is_forwarded_up_to_it():
    """The proxy bounds a body as the mock does: the upsert's own 6 MiB, not the 256 KiB."""
    contacts = [{"email": f"big{i}@example.com", "first_name": "n" * 40} for i in range(6000)]
    upsert = orjson.dumps({"contacts": contacts})
    assert MAX_REQUEST_BODY < len(upsert) < UPSERT_BOUND
    past = b'{"contacts": [], "pad": "' + b"x" * UPSERT_BOUND + b'"}'
    with fresh() as upstream, running_proxy("sendgrid", upstream.url) as proxy:
        answer = httpx.put(proxy.url + CONTACTS, content=upsert, headers=SEND)
        assert answer.status_code == 202, answer.text
        refused = httpx.put(proxy.url + CONTACTS, content=past, headers=SEND)
        assert [e["status"] for e in journal(upstream)] == [202]  # the second never went up
    assert refused.status_code == 413
    assert refused.json()["errors"][0]["message"] == (
        f"request body larger than {UPSERT_BOUND} bytes"
    )


# -- record and replay ------------------------------------------------------------------------
@pytest.fixture()
def live_replaying(recorded) -> Iterator[LiveServer]:
    cassette, *_ = recorded
    config = ServeConfig(apis=("sendgrid",), seed=99, cors_origins=(), replay=(cassette,))
    with live_server(config) as server:
        yield server


def test_the_lifecycle_replays_byte_for_byte_in_recorded_order(recorded, live_replaying):
    _, steps, got, _ = recorded
    replayed = [seen(answer) for answer in send(live_replaying.url, steps)]
    assert replayed == got
    assert {entry["source"] for entry in journal(live_replaying)} == {"replay"}


def test_a_body_matches_by_its_json_value_not_its_spelling(recorded, live_replaying):
    _, _, got, _ = recorded
    respelled = orjson.dumps({"name": "Austin v2", "query_dsl": AUSTIN})  # compact, keys swapped
    assert respelled != CREATE
    assert seen(httpx.post(live_replaying.url + V2, content=respelled, headers=SEND)) == got[0]
    other = orjson.dumps({"name": "Austin v3", "query_dsl": AUSTIN})
    made = httpx.post(live_replaying.url + V2, content=other, headers=SEND)
    assert made.status_code == 201 and made.json()["name"] == "Austin v3"  # the mock's own
    assert [entry["source"] for entry in journal(live_replaying)] == ["replay", "mock"]


def test_canonical_bodies():
    assert canonical_body(b' {"b": [1, {"d": 2, "c": 3}], "a": null} ') == canonical_body(
        b'{"a":null,"b":[1,{"c":3,"d":2}]}'
    )
    assert canonical_body(b'{"a": [1, 2]}') != canonical_body(b'{"a": [2, 1]}')
    assert canonical_body(b'{"a": 1}') != canonical_body(b'{"a": 1.0}')
    assert canonical_body(b"  ") is None and canonical_body(b"") is None
    assert canonical_body(b"not json") == b"not json"
    masked = canonical_body(b'{"password": "one"}')
    assert masked == canonical_body(b'{"password": "two"}') == b'{"password":"***"}'
    key = "SG.abcdefghijklmnop"
    assert canonical_body(f'{{"note": "{key}"}}'.encode(), (key,)) == b'{"note":"***"}'


# -- verify -----------------------------------------------------------------------------------
def verify(base_url: str, requests: Path, **options) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    chosen = VerifyOptions(
        api="sendgrid", base_url=base_url, rate_limit="off", requests=requests, **options
    )
    code = run(chosen, {"SENDGRID_API_KEY": REAL_KEY}, out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_verify_without_allow_writes_refuses_every_write_and_sends_none(recorded):
    cassette, steps, _, _ = recorded
    with fresh() as real:
        code, output = verify(real.url, cassette)
        reached = [(entry["method"], entry["path"]) for entry in journal(real)]
    writes = [(method, target) for method, target, _ in steps if method != "GET"]
    refused = [line for line in output.splitlines() if line.startswith("REFUSED")]
    assert refused == [
        f"REFUSED  {method} {target}: not sent: {method} may change data (--allow-writes sends it)"
        for method, target in writes
    ]
    # the reads go, each distinct one once: the deleted ones are absent on both sides
    assert reached == [("GET", steps[1][1]), ("GET", steps[8][1])]
    assert code == 0 and "5 refused, not sent" in output


def test_verify_with_allow_writes_sends_the_lifecycle_in_order_with_its_bodies(recorded):
    cassette, steps, _, _ = recorded
    with fresh() as real:
        code, output = verify(real.url, cassette, allow_writes=True)
        reached = journal(real)
    assert [(e["method"], e["path"], (e["body"] or "").encode()) for e in reached] == steps
    assert [e["status"] for e in reached] == [201, 200, 200, 200, 202, 202, 404, 202, 404]
    assert [line for line in output.splitlines() if line.startswith(("BREAKING", "WARNING"))] == []
    assert code == 0 and "PASSED sendgrid: 0 breaking difference(s), 0 warning(s)" in output
    assert "REFUSED" not in output and REAL_KEY not in output


def test_distinct_merges_reads_only_between_writes():
    get = Sent("sendgrid", "GET", "/a", "", ())
    delete = Sent("sendgrid", "DELETE", "/a", "", ())
    requests = [get, get, delete, get, delete, get]
    assert distinct(requests) == [(get, 4), (delete, 2)]
    assert distinct(requests, frozenset({"GET", "HEAD"})) == [
        (get, 2),
        (delete, 1),
        (get, 1),
        (delete, 1),
        (get, 1),
    ]


def test_journal_bodies_are_resent_but_never_a_cut_one():
    entry = {"method": "POST", "path": V2, "body": '{"name": "a"}', "warnings": []}
    cut = {
        **entry,
        "warnings": ["request body cut to 8,192 bytes in the journal: 9 bytes not kept"],
    }
    whole, shortened = from_journal_document({"requests": [entry, cut]}, "journal")
    assert whole.body == b'{"name": "a"}' and whole.refusal == ""
    assert shortened.refusal.startswith("its body was cut in the journal")


def test_a_deeply_nested_body_is_refused_upstream_and_journaled_not_a_crash(tmp_path):
    deep = b"[" * 100_000 + b"]" * 100_000  # within the bound, past every parser's depth
    cassette = tmp_path / "deep.jsonl"
    with fresh() as upstream, running_proxy("sendgrid", upstream.url, record=cassette) as proxy:
        answer = httpx.post(proxy.url + V2, content=deep, headers=SEND)
        entries = httpx.get(proxy.url + "/__mockserver/requests")
        assert entries.status_code == 200
        (entry,) = entries.json()["requests"]
    assert answer.status_code == 400  # the upstream's: not JSON it can read
    assert entry["violations"][0]["path"] == "body"
    assert entry["body"].startswith("[[[")  # kept as text, cut to --journal-entry-bytes
    (line,) = cassette.read_text().splitlines()
    assert orjson.loads(line)["request"]["body"].encode() == deep
    assert canonical_body(deep) == deep


def test_a_body_orjson_cannot_hold_is_still_compared_by_value():
    big = b'{"b": 123456789012345678901234567890, "a": 1}'
    assert canonical_body(big) == b'{"a":1,"b":123456789012345678901234567890}'
    assert canonical_body(big) != canonical_body(b'{"b": 123456789012345678901234567891, "a": 1}')


def test_a_proxy_replays_a_loaded_write_cassette_by_body(recorded):
    from tests.reality.conftest import closed_port_url

    cassette, _, got, _ = recorded
    ndjson = {"content-type": "application/x-ndjson"}
    with running_proxy("sendgrid", closed_port_url()) as proxy:
        loaded = httpx.put(
            proxy.url + "/__mockserver/cassettes", headers=ndjson, content=cassette.read_bytes()
        )
        assert loaded.status_code == 200
        respelled = orjson.dumps({"name": "Austin v2", "query_dsl": AUSTIN})
        assert seen(httpx.post(proxy.url + V2, content=respelled, headers=SEND)) == got[0]
        other = orjson.dumps({"name": "Elsewhere", "query_dsl": AUSTIN})
        assert httpx.post(proxy.url + V2, content=other, headers=SEND).status_code == 502
        assert [entry["source"] for entry in journal(proxy)] == ["replay", "proxy"]


def test_verify_resends_the_bodies_of_a_journal_export(tmp_path):
    with fresh() as app_mock:
        v1_segment = httpx.get(app_mock.url + SEGMENTS, headers=AUTH).json()["results"][0]["id"]
        steps, _ = lifecycle(app_mock.url, v1_segment)
        send(app_mock.url, steps, start=1)
        export = tmp_path / "requests.json"
        export.write_bytes(httpx.get(app_mock.url + "/__mockserver/requests").content)
    with fresh() as real:
        code, output = verify(real.url, export, allow_writes=True)
        reached = [(e["method"], e["path"], (e["body"] or "").encode()) for e in journal(real)]
    assert reached[1:] == steps  # the first: the list the app read to pick a v1 segment
    assert code == 0, output
