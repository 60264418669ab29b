"""The write rows of bench/load.py --writes: every write operation of the specs has one, each
row's request stays valid when repeated against the mock, and the baseline parses the JSON body
before answering the captured bytes."""

from __future__ import annotations

import base64
import importlib
import json
from pathlib import Path

import httpx
import pytest

from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.testing import LiveServer, ThreadedServer
from mockserver.vendors import REGISTRY, vendor

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench(monkeypatch):
    """bench/'s modules, imported as its scripts import one another (by their own names)."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("writes"), importlib.import_module("baseline_app")


def write_operations() -> set[str]:
    return {
        op.operation_id
        for api in REGISTRY
        for op in load_spec(api, bundled_dir("specs") / vendor(api).spec_file).operations
        if op.method != "GET"
    }


def test_every_write_operation_of_the_specs_has_a_row(bench):
    writes, _ = bench
    assert writes.covered() == write_operations()


def test_baseline_parses_the_json_body_then_answers_the_captured_bytes(bench, tmp_path):
    _, baseline_app = bench

    def entry(method: str, path: str, status: int, body: bytes, parses: bool) -> dict:
        b64 = base64.b64encode(body).decode()
        return {"method": method, "path": path, "query": "", "json": parses, "status": status,
                "headers": [["content-type", "application/json"]], "body_b64": b64}  # fmt: skip

    captured = tmp_path / "captured.json"
    entries = [
        entry("POST", "/v3/marketing/lists", 201, b'{"id":"x"}', True),
        entry("DELETE", "/v3/marketing/lists/{id}", 204, b"", False),
    ]
    captured.write_text(json.dumps(entries))
    with ThreadedServer(baseline_app.build_app(captured)) as server, httpx.Client() as client:
        created = client.post(f"{server.url}/v3/marketing/lists", content=b'{"name": "a"}')
        assert (created.status_code, created.content) == (201, b'{"id":"x"}')
        assert client.delete(f"{server.url}/v3/marketing/lists/any-id").status_code == 204
        # The body is parsed: not JSON, the handler fails (a 500 from Starlette).
        assert client.post(f"{server.url}/v3/marketing/lists", content=b"{no").status_code == 500


@pytest.mark.slow
def test_each_row_answers_its_expected_status_when_repeated(bench):
    writes, _ = bench
    with LiveServer() as server:
        entries, fixture = writes.capture(server.url, writes.ROWS)  # exits on a wrong status
        assert writes.make_fixture(server.url) == fixture  # the same ids after every reset
    by_row = iter(entries)
    for row in writes.ROWS:
        for _ in row.sends(fixture):
            assert next(by_row)["status"] in row.expect, row.name
