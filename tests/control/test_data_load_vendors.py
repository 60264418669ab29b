"""PUT /__mockserver/data/{api} with the real vendors' fixtures formats.

Invalid data is refused with its reasons and the data in service keeps answering
byte for byte; valid data answers at once; reset brings the seed data back.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import httpx
import pytest
import yaml

from mockserver.resources import bundled_dir
from mockserver.testing import LiveServer
from tests.conftest import AUTH, JSON, PROGRAM
from tests.harness import live_server

SEGMENTS = "/v3/marketing/segments"
WORLD = yaml.safe_load((bundled_dir("fixtures") / "sendgrid" / "world.yaml").read_text())
TINY_PROGRAM = {
    "program": "demo",
    "action_types": ["view"],
    "labels": [{"id": "l1", "name": "Label one"}],
    "assets": [{"id": "a1", "name": "Asset one", "labels": ["l1"]}],
    "recommendations": [{"user": "u_only", "asset": "a1", "action_type": "view", "weight": 0.9}],
}


@pytest.fixture(scope="module")
def live_for_loads() -> Iterator[LiveServer]:
    with live_server(validate_responses=True) as server:
        yield server


@pytest.fixture()
def loads_client(live_for_loads: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_for_loads.url, timeout=30) as http:
        yield http
        http.post("/__mockserver/reset", headers=JSON)


def snapshot(client: httpx.Client) -> list[tuple[int, bytes]]:
    """What the data in service answers: status and body bytes of list, get, segment, segments."""
    listed = client.get(SEGMENTS, headers=AUTH)
    first = listed.json()["results"][0]["id"]
    responses = [
        listed,
        client.get(f"{SEGMENTS}/{first}", headers=AUTH),
        client.get("/segments", headers=PROGRAM),
        client.get("/segment", params={"labels": "cat-tents"}, headers=PROGRAM),
    ]
    return [(r.status_code, r.content) for r in responses]


def test_invalid_sendgrid_world_changes_nothing(loads_client):
    before = snapshot(loads_client)
    broken = copy.deepcopy(WORLD)
    broken["segments"][0]["parent_list"] = "no-such-list"
    broken["segments"][1]["query"] = "SELECT nonsense FROM"
    response = loads_client.put("/__mockserver/data/sendgrid", json=broken)
    assert response.status_code == 400
    body = response.json()
    assert "nothing was changed" in body["error"]
    assert body["reasons"] and all(isinstance(reason, str) for reason in body["reasons"])
    assert snapshot(loads_client) == before


def test_invalid_sendgrid_yaml_shape_changes_nothing(loads_client):
    before = snapshot(loads_client)
    response = loads_client.put(
        "/__mockserver/data/sendgrid",
        content="now: yesterday\ncontacts: many\n",
        headers={"content-type": "application/yaml"},
    )
    assert response.status_code == 400 and response.json()["reasons"]
    assert snapshot(loads_client) == before


def test_valid_sendgrid_world_answers_then_reset_restores(loads_client):
    renamed = copy.deepcopy(WORLD)
    renamed["segments"][0]["name"] = "Renamed by the test"
    seed_names = {s["name"] for s in loads_client.get(SEGMENTS, headers=AUTH).json()["results"]}
    assert loads_client.put("/__mockserver/data/sendgrid", json=renamed).status_code == 200
    names = {s["name"] for s in loads_client.get(SEGMENTS, headers=AUTH).json()["results"]}
    assert "Renamed by the test" in names and names != seed_names
    loads_client.post("/__mockserver/reset", headers=JSON)
    assert {
        s["name"] for s in loads_client.get(SEGMENTS, headers=AUTH).json()["results"]
    } == seed_names


def test_invalid_actionhub_program_changes_nothing(loads_client):
    before = snapshot(loads_client)
    broken = copy.deepcopy(TINY_PROGRAM)
    broken["assets"][0]["labels"] = ["no-such-label"]
    response = loads_client.put("/__mockserver/data/actionhub", json=broken)
    assert response.status_code == 400 and response.json()["reasons"]
    assert snapshot(loads_client) == before


def test_valid_actionhub_program_answers_then_reset_restores(loads_client):
    seeded = loads_client.get("/segment", params={"asset_ids": "a1"}, headers=PROGRAM)
    text = yaml.safe_dump(TINY_PROGRAM)
    put = loads_client.put(
        "/__mockserver/data/actionhub", content=text, headers={"content-type": "application/yaml"}
    )
    assert put.status_code == 200
    loaded = loads_client.get("/segment", params={"asset_ids": "a1"}, headers=PROGRAM)
    assert loaded.text == "u_only\n"
    loads_client.post("/__mockserver/reset", headers=JSON)
    again = loads_client.get("/segment", params={"asset_ids": "a1"}, headers=PROGRAM)
    assert (again.status_code, again.content) == (seeded.status_code, seeded.content)
