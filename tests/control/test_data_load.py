"""PUT /__mockserver/data/{api}: validated completely first; invalid data changes nothing.

These tests hold the engine side of the contract with a stand-in vendor whose
``build(options, data=...)`` answers from the document and refuses a bad one, so they
do not depend on any vendor's fixtures format.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockserver.errors import DataError
from mockserver.serialize import json_bytes
from mockserver.testing import LiveServer
from mockserver.vendors import vendor
from mockserver.vendors.interface import Backend, Reply, VendorOptions
from tests.conftest import AUTH, JSON
from tests.harness import live_server

SEGMENTS = "/v3/marketing/segments"
DATA = "/__mockserver/data/sendgrid"
SEED = {"segments": [{"id": "seed", "name": "Seeded"}]}


@dataclass(frozen=True)
class DocumentBackend(Backend):
    document: dict[str, Any]
    handlers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        body = {"results": [{"id": s["id"], "name": s["name"]} for s in self.document["segments"]]}
        self.handlers["ListSegment"] = lambda call: Reply(200, json_bytes(body))

    def inventory(self) -> dict[str, list[str]]:
        return {"segments": [s["id"] for s in self.document["segments"]]}


@dataclass(frozen=True)
class DocumentVendor:
    """Wraps the real vendor (name, spec, dialect) and builds from a tiny document format."""

    real: Any
    builds: list[Any] = field(default_factory=list)
    operations: frozenset[str] = frozenset({"ListSegment"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def build(self, options: VendorOptions, data: Any | None = None) -> DocumentBackend:
        self.builds.append(data)
        document = SEED if data is None else data
        if not isinstance(document, dict) or not isinstance(document.get("segments"), list):
            raise DataError(["segments: must be a list"])
        reasons = [
            f"segments[{i}]: needs id and name"
            for i, s in enumerate(document["segments"])
            if not isinstance(s, dict) or not {"id", "name"} <= set(s)
        ]
        if reasons:
            raise DataError(reasons)
        if document.get("crash"):
            raise RuntimeError("a bug in the vendor's build")
        return DocumentBackend(document)


@pytest.fixture(scope="module")
def live_stand_in() -> Iterator[LiveServer]:
    stand_in = DocumentVendor(vendor("sendgrid"))
    with live_server(apis=("sendgrid",), vendors={"sendgrid": stand_in}) as server:
        yield server


@pytest.fixture()
def stand_in_client(live_stand_in: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_stand_in.url, timeout=10) as client:
        client.post("/__mockserver/reset", headers=JSON)
        yield client


def names(client: httpx.Client) -> list[str]:
    return [s["name"] for s in client.get(SEGMENTS, headers=AUTH).json()["results"]]


def test_valid_json_document_replaces_the_data(stand_in_client):
    document = {"segments": [{"id": "a", "name": "Alpha"}, {"id": "b", "name": "Beta"}]}
    response = stand_in_client.put(DATA, json=document)
    assert response.status_code == 200
    loaded = response.json()
    assert loaded == {"status": "loaded", "api": "sendgrid", "version": loaded["version"]}
    health = stand_in_client.get("/__mockserver/health").json()
    assert loaded["version"] == health["data_versions"]["sendgrid"] >= 1
    assert names(stand_in_client) == ["Alpha", "Beta"]


def test_valid_yaml_document_replaces_the_data(stand_in_client):
    text = "segments:\n  - id: y\n    name: From YAML\n"
    response = stand_in_client.put(DATA, content=text, headers={"content-type": "application/yaml"})
    assert response.status_code == 200
    assert names(stand_in_client) == ["From YAML"]


def test_invalid_document_is_refused_with_all_reasons_and_nothing_changes(stand_in_client):
    stand_in_client.put(DATA, json={"segments": [{"id": "a", "name": "Alpha"}]})
    before = stand_in_client.get(SEGMENTS, headers=AUTH)
    bad = {"segments": [{"id": "x"}, {"id": "ok", "name": "Fine"}, "nope"]}
    response = stand_in_client.put(DATA, json=bad)
    assert response.status_code == 400
    body = response.json()
    assert "nothing was changed" in body["error"]
    assert body["reasons"] == ["segments[0]: needs id and name", "segments[2]: needs id and name"]
    after = stand_in_client.get(SEGMENTS, headers=AUTH)
    assert after.status_code == before.status_code
    assert after.content == before.content  # byte for byte
    assert after.headers.get("content-type") == before.headers.get("content-type")


@pytest.mark.parametrize(
    ("content", "ctype", "error"),
    [
        (b"", "application/json", "empty"),
        (b"{nope", "application/json", "not valid JSON or YAML"),
        (b"segments: [a, b", "application/yaml", "not valid JSON or YAML"),
        (b"null", "application/yaml", "empty"),
    ],
)
def test_unparseable_documents_are_400_and_change_nothing(stand_in_client, content, ctype, error):
    before = stand_in_client.get(SEGMENTS, headers=AUTH).content
    response = stand_in_client.put(DATA, content=content, headers={"content-type": ctype})
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert stand_in_client.get(SEGMENTS, headers=AUTH).content == before


def test_unknown_api_is_404(stand_in_client):
    response = stand_in_client.put("/__mockserver/data/nope", json={"segments": []})
    assert response.status_code == 404
    assert "sendgrid" in response.json()["error"]


def test_reset_brings_the_seed_data_back_without_building(stand_in_client, live_stand_in):
    stand_in_client.put(DATA, json={"segments": [{"id": "a", "name": "Alpha"}]})
    assert names(stand_in_client) == ["Alpha"]
    builds = len(live_stand_in.app.runtimes["sendgrid"].vendor.builds)
    stand_in_client.post("/__mockserver/reset", headers=JSON)
    assert names(stand_in_client) == ["Seeded"]
    assert len(live_stand_in.app.runtimes["sendgrid"].vendor.builds) == builds  # swapped back


def test_a_bug_in_the_vendor_is_a_logged_500_not_invalid_data(stand_in_client, caplog):
    stand_in_client.put(DATA, json={"segments": [{"id": "a", "name": "Alpha"}]})
    with caplog.at_level(logging.ERROR, logger="mockserver"):
        response = stand_in_client.put(DATA, json={"segments": [], "crash": True})
    assert response.status_code == 500
    assert "invalid" not in response.json()["error"]
    assert "a bug in the vendor's build" in caplog.text and "Traceback" in caplog.text
    assert names(stand_in_client) == ["Alpha"]


def test_index_page_shows_the_data_in_service(stand_in_client):
    ids = ["<i>x</i>"] + [f"id-{n}" for n in range(7)]
    stand_in_client.put(DATA, json={"segments": [{"id": i, "name": "N"} for i in ids]})
    page = stand_in_client.get("/__mockserver/").text
    assert "<td>segments</td><td>8</td>" in page
    assert "<code>id-0</code>" in page and "<code>id-3</code>" in page
    assert "id-4" not in page  # a sample, not the whole collection
    assert "<code>&lt;i&gt;x&lt;/i&gt;</code>" in page and "<i>x</i>" not in page  # escaped


def test_versions_are_ordered_and_reported_by_health(stand_in_client):
    before = stand_in_client.get("/__mockserver/health").json()["data_versions"]["sendgrid"]
    stand_in_client.put(DATA, json={"segments": [{"id": "a", "name": "Alpha"}]})
    after_load = stand_in_client.get("/__mockserver/health").json()["data_versions"]["sendgrid"]
    stand_in_client.post("/__mockserver/reset", headers=JSON)
    after_reset = stand_in_client.get("/__mockserver/health").json()["data_versions"]["sendgrid"]
    assert before < after_load < after_reset


def test_a_load_overtaken_by_a_reset_never_lands(live_stand_in, stand_in_client):
    """The reset begins while the load is being built: the load must not replace the seed data."""
    from mockserver.control import actions

    target = live_stand_in.app.control
    vendor = target.runtimes["sendgrid"].vendor
    real_build = type(vendor).build

    def build_then_reset(self, options, data=None):
        backend = real_build(self, options, data)
        if data is not None:
            actions.reset(target)  # overtakes the load in flight
        return backend

    type(vendor).build = build_then_reset
    try:
        response = stand_in_client.put(DATA, json={"segments": [{"id": "late", "name": "Late"}]})
    finally:
        type(vendor).build = real_build
    assert response.status_code == 409 and "nothing was changed" in response.json()["error"]
    assert names(stand_in_client) == ["Seeded"]
