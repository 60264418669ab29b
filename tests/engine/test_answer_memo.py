"""The answer memo: a call the backend declares memoizable is answered from the engine's memo
when it repeats, for as long as its data version serves - never past a scenario, a forced
answer, or a new data version, and never for a call the backend does not declare."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.serialize import json_bytes
from mockserver.testing import LiveServer
from mockserver.vendors import vendor
from mockserver.vendors.interface import Backend, Reply, VendorOptions
from tests.conftest import AUTH, JSON
from tests.harness import live_server

SEGMENTS = "/v3/marketing/segments"
SCENARIO = "/__mockserver/scenarios/sendgrid/ListSegment"


def ids(n: int) -> dict[str, str]:
    """Parameters no other test sends (the memo outlives a reset: the same data version)."""
    return {"ids": f"00000000-0000-4000-8000-{n:012d}"}


@dataclass(frozen=True)
class CountingBackend(Backend):
    """Answers ListSegment with its name and counts the handler's calls; memoizable unless
    ``no_parent_list_id`` is true (standing in for a vendor's "compute again" flag)."""

    name: str
    calls: list[str]
    handlers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        def list_segments(call: Any) -> Reply:
            self.calls.append(self.name)
            return Reply(200, json_bytes({"results": [], "version": self.name}))

        def search(call: Any) -> Reply:
            self.calls.append(call.body["query"])
            return Reply(200, json_bytes({"result": [], "contact_count": 0, "q": call.body}))

        self.handlers["ListSegment"] = list_segments
        self.handlers["SearchContacts"] = search

    def memoizable(self, operation_id: str, params: Any) -> bool:
        return not params.get("no_parent_list_id")


@dataclass(frozen=True)
class CountingVendor:
    real: Any
    calls: list[str] = field(default_factory=list)
    operations: frozenset[str] = frozenset({"ListSegment", "SearchContacts"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def build(self, options: VendorOptions, data: Any | None = None) -> CountingBackend:
        return CountingBackend("seed" if data is None else data["name"], self.calls)


@pytest.fixture(scope="module")
def live_counting() -> Iterator[tuple[LiveServer, list[str]]]:
    stand_in = CountingVendor(vendor("sendgrid"))
    config = ServeConfig(apis=("sendgrid",), cors_origins=())
    with live_server(config, vendors={"sendgrid": stand_in}) as server:
        yield server, stand_in.calls


@pytest.fixture()
def client_and_calls(
    live_counting: tuple[LiveServer, list[str]],
) -> Iterator[tuple[httpx.Client, list[str]]]:
    server, calls = live_counting
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as http:
        assert http.post("/__mockserver/reset", headers=JSON).status_code == 200
        calls.clear()
        yield http, calls


def test_a_repeated_memoizable_call_is_answered_without_the_handler(client_and_calls):
    http, calls = client_and_calls
    first = http.get(SEGMENTS, params=ids(1))
    again = http.get(SEGMENTS, params=ids(1))
    assert again.content == first.content and again.status_code == 200
    assert calls == ["seed"]
    http.get(SEGMENTS, params=ids(2))  # other parameters: answered anew
    assert calls == ["seed", "seed"]


def test_a_call_with_a_body_is_memoized_by_its_body(client_and_calls):
    http, calls = client_and_calls
    search = "/v3/marketing/contacts/search"
    austin, boston = ({"query": f"city = '{city}'"} for city in ("Austin", "Boston"))
    first = http.post(search, json=austin)
    other = http.post(search, json=boston)  # another body: answered anew
    assert other.json()["q"] == boston and first.json()["q"] == austin
    again = http.post(search, json=austin)
    assert again.content == first.content and calls == [austin["query"], boston["query"]]
    long = {"query": f"city = '{'x' * 3000}'"}  # past the memo's key bound: never kept
    assert http.post(search, json=long).json()["q"] == long
    assert http.post(search, json=long).json()["q"] == long
    assert calls[2:] == [long["query"]] * 2


def test_a_call_the_backend_does_not_declare_memoizable_reaches_the_handler_each_time(
    client_and_calls,
):
    http, calls = client_and_calls
    for _ in range(3):
        assert http.get(SEGMENTS, params={"no_parent_list_id": "true"}).status_code == 200
    assert calls == ["seed"] * 3


def test_a_scenario_is_answered_before_the_memo_and_the_memo_after_it(client_and_calls):
    http, calls = client_and_calls
    memoized = http.get(SEGMENTS, params=ids(3)).content
    assert http.put(SCENARIO, json={"code": 500}).status_code == 200
    assert http.get(SEGMENTS, params=ids(3)).status_code == 500
    assert http.request("DELETE", SCENARIO, headers=JSON).status_code == 200
    assert http.get(SEGMENTS, params=ids(3)).content == memoized
    assert http.get(SEGMENTS, params=ids(3), headers={"Prefer": "code=500"}).status_code == 500
    assert calls == ["seed"]


def test_a_new_data_version_is_answered_anew(client_and_calls):
    http, calls = client_and_calls
    assert http.get(SEGMENTS, params=ids(4)).json()["version"] == "seed"
    loaded = http.put("/__mockserver/data/sendgrid", json={"name": "second"})
    assert loaded.status_code == 200
    assert http.get(SEGMENTS, params=ids(4)).json()["version"] == "second"
    assert http.get(SEGMENTS, params=ids(4)).json()["version"] == "second"
    assert http.post("/__mockserver/reset", headers=JSON).status_code == 200
    assert http.get(SEGMENTS, params=ids(4)).json()["version"] == "seed"
    assert calls == ["seed", "second", "seed"]
