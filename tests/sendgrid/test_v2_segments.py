"""Segmentation v2 over HTTP: the lifecycle on the mock clock, members that agree everywhere,
the filter table, refresh limits at their edges, bad input that changes nothing, data loads,
reset, the clock API and the fixture's ``advance``."""

from __future__ import annotations

import asyncio
import copy
import hashlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.control import actions
from mockserver.pytest_plugin import MockServerFixture
from mockserver.resources import bundled_dir
from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid.catalog import Catalog
from tests.conftest import JSON
from tests.harness import live_server
from tests.processes import run_snippet
from tests.sendgrid.conftest import bearer, sg_key
from tests.sendgrid.contacts_helpers import START, UNKNOWN, V2, set_clock

V1 = "/v3/marketing/segments"
AUSTIN = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'"
WORLD = yaml.safe_load((bundled_dir("fixtures") / "sendgrid" / "world.yaml").read_text())


def catalog_of(server: LiveServer) -> Catalog:
    return server.app.runtimes["sendgrid"].backend.catalog


def create(account: httpx.Client, name: str = "Austin", query: str = AUSTIN, **extra: Any) -> dict:
    response = account.post(V2, json={"name": name, "query_dsl": query, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def in_city(catalog: Catalog, city: str) -> set[str]:
    contacts = catalog.contacts
    return {contacts.ids[i] for i, c in enumerate(contacts.cities) if c == city}


def v2_list(account: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = account.get(V2, params=params)
    assert response.status_code == 200, response.text
    return response.json()["results"]


# -- lifecycle ------------------------------------------------------------------------------------
def test_a_new_segment_waits_for_its_first_hour(account, contacts_server):
    segment = create(account)
    assert segment["status"] == {"query_validation": "PENDING"}
    assert (segment["contacts_count"], segment["contacts_sample"]) == (0, [])
    assert segment["created_at"] == segment["sample_updated_at"] == "2026-03-10T15:00:00.000Z"
    assert segment["next_sample_update"] == "2026-03-10T16:00:00.000Z"
    assert segment["query_version"] == "2" and segment["refreshes_used"] == 0

    set_clock(contacts_server, advance="PT59M59S")
    assert account.get(f"{V2}/{segment['id']}").json()["contacts_count"] == 0
    set_clock(contacts_server, advance="PT1S")
    found = account.get(f"{V2}/{segment['id']}").json()
    assert found["status"] == {"query_validation": "VALID"}
    assert found["contacts_count"] == len(in_city(catalog_of(contacts_server), "Austin")) > 0
    assert found["sample_updated_at"] == "2026-03-10T16:00:00.000Z"
    assert found["next_sample_update"] == "2026-03-10T17:00:00.000Z"


def test_count_sample_and_segment_ids_agree_across_both_apis(account, contacts_server):
    segment = create(account)
    set_clock(contacts_server, advance="PT1H")
    members = in_city(catalog_of(contacts_server), "Austin")
    found = account.get(f"{V2}/{segment['id']}").json()
    assert found["contacts_count"] == len(members)
    assert len(found["contacts_sample"]) == min(50, len(members))
    for contact in found["contacts_sample"]:
        assert contact["id"] in members and contact["city"] == "Austin"
        assert segment["id"] in contact["segment_ids"]
    listed = {s["id"]: s["contacts_count"] for s in v2_list(account)}
    assert listed[segment["id"]] == len(members)
    # Every other segment's sampled contacts name the new one exactly when they are members.
    for other in v2_list(account):
        if other["id"] == segment["id"]:
            continue
        for contact in account.get(f"{V2}/{other['id']}").json()["contacts_sample"]:
            assert (segment["id"] in contact["segment_ids"]) == (contact["id"] in members)
    # The v1 API sees v1 segments only: neither the new segment nor its id in samples.
    assert segment["id"] not in {s["id"] for s in account.get(V1).json()["results"]}
    assert account.get(f"{V1}/{segment['id']}").status_code == 404
    v1 = account.get(V1).json()["results"][0]["id"]
    for contact in account.get(f"{V1}/{v1}").json()["contacts_sample"]:
        assert segment["id"] not in contact["segment_ids"]


def test_a_parent_list_bounds_the_members(account, contacts_server):
    catalog = catalog_of(contacts_server)
    newsletter = next(item for item in catalog.spec.lists if item.key == "newsletter")
    segment = create(account, parent_list_ids=[newsletter.id])
    set_clock(contacts_server, advance="PT1H")
    members = catalog.list_members[newsletter.id]
    expected = {catalog.contacts.ids[i] for i in members} & in_city(catalog, "Austin")
    found = account.get(f"{V2}/{segment['id']}").json()
    assert found["contacts_count"] == len(expected) < len(in_city(catalog, "Austin"))
    assert found["parent_list_ids"] == [newsletter.id]
    assert all(newsletter.id in c["list_ids"] for c in found["contacts_sample"])


def test_update_then_delete(account, contacts_server):
    segment = create(account)
    set_clock(contacts_server, advance="PT1H")
    renamed = account.patch(f"{V2}/{segment['id']}", json={"name": "Austin, TX"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Austin, TX"
    assert renamed.json()["contacts_count"] > 0  # a new name keeps the counts
    query = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Denver'"
    edited = account.patch(f"{V2}/{segment['id']}", json={"query_dsl": query}).json()
    assert edited["status"]["query_validation"] == "PENDING" and edited["contacts_count"] == 0
    set_clock(contacts_server, advance="PT1H")
    assert account.get(f"{V2}/{segment['id']}").json()["contacts_count"] == len(
        in_city(catalog_of(contacts_server), "Denver")
    )
    deleted = account.delete(f"{V2}/{segment['id']}")
    assert (deleted.status_code, deleted.content) == (202, b"")
    assert account.get(f"{V2}/{segment['id']}").status_code == 404
    assert segment["id"] not in {s["id"] for s in v2_list(account)}


def test_the_v1_delete_removes_a_v1_segment_from_every_answer(account):
    before = account.get(V1).json()["results"]
    gone = before[0]["id"]
    account.get(V1)  # memoized: the delete must still show
    response = account.delete(f"{V1}/{gone}")
    assert (response.status_code, response.json()) == (202, {})
    assert gone not in {s["id"] for s in account.get(V1).json()["results"]}
    assert len(account.get(V1).json()["results"]) == len(before) - 1
    assert account.get(f"{V1}/{gone}").status_code == 404
    assert gone not in {s["id"] for s in v2_list(account)}
    for other in account.get(V1).json()["results"][:3]:
        for contact in account.get(f"{V1}/{other['id']}").json()["contacts_sample"]:
            assert gone not in contact["segment_ids"]
    assert account.delete(f"{V1}/{gone}").status_code == 404


def test_the_first_write_of_a_fresh_app_shows_in_the_v1_reads_answered_before_it():
    """The write stack is built on the first stateful call (issue 25): the v1 reads answered
    before it, memoized, must still see the first write."""
    app = build_app(ServeConfig(apis=("sendgrid",)))

    async def run() -> tuple[list[str], int, list[str], int]:
        transport = httpx.ASGITransport(app=app)
        headers = bearer(sg_key("f"))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            before = [s["id"] for s in (await http.get(V1, headers=headers)).json()["results"]]
            await http.get(V1, headers=headers)  # memoized
            deleted = await http.delete(f"{V1}/{before[0]}", headers=headers)
            after = (await http.get(V1, headers=headers)).json()["results"]
            found = await http.get(f"{V1}/{before[0]}", headers=headers)
            return before, deleted.status_code, [s["id"] for s in after], found.status_code

    before, deleted, after, found = asyncio.run(run())
    assert (deleted, found) == (202, 404)
    assert after == before[1:]


def test_the_v1_delete_does_not_see_v2_segments_and_v2_deletes_both(account):
    segment = create(account)
    refused = account.delete(f"{V1}/{segment['id']}")
    assert refused.status_code == 404
    assert refused.json() == {"errors": [{"field": "segment_id", "message": "segment not found"}]}
    v1 = account.get(V1).json()["results"][0]["id"]
    assert account.delete(f"{V2}/{v1}").status_code == 202
    assert account.get(f"{V1}/{v1}").status_code == 404


def test_the_v2_list_shows_v1_segments_as_query_version_1(account, contacts_server):
    created = create(account)
    listed = {s["id"]: s for s in v2_list(account)}
    v1_ids = {s.id for s in catalog_of(contacts_server).segments}
    assert v1_ids | {created["id"]} == set(listed)
    assert {listed[i]["query_version"] for i in v1_ids} == {"1"}
    one = account.get(f"{V2}/{next(iter(v1_ids))}").json()
    assert one["query_version"] == "1" and one["status"] == {"query_validation": "VALID"}


# -- the filter table -----------------------------------------------------------------------------
def test_the_v2_list_filters_as_the_v1_table_says(account, contacts_server):
    catalog = catalog_of(contacts_server)
    newsletter = next(item.id for item in catalog.spec.lists if item.key == "newsletter")
    with_parent = create(account, "A", parent_list_ids=[newsletter])
    without = create(account, "B")
    every = v2_list(account)

    def parents(segment: dict[str, Any]) -> list[str]:
        return segment["parent_list_ids"]

    def ids_of(results: list[dict[str, Any]]) -> list[str]:
        return [s["id"] for s in results]

    assert ids_of(v2_list(account, ids=with_parent["id"])) == [with_parent["id"]]
    assert ids_of(
        v2_list(account, ids=f"{without['id']},{with_parent['id']}", no_parent_list_id="true")
    )
    assert ids_of(v2_list(account, parent_list_ids=newsletter)) == [
        s["id"] for s in every if newsletter in parents(s)
    ]
    assert ids_of(v2_list(account, no_parent_list_id="true")) == [
        s["id"] for s in every if not parents(s)
    ]
    both = v2_list(account, parent_list_ids=newsletter, no_parent_list_id="true")
    assert ids_of(both) == [s["id"] for s in every if not parents(s) or newsletter in parents(s)]
    assert v2_list(account, parent_list_ids=UNKNOWN) == []


# -- bad input changes nothing --------------------------------------------------------------------
BAD = [
    ("not JSON", "POST", V2, {"content": b"{nope"}, 400, "body"),
    ("an array", "POST", V2, {"json": []}, 400, "body"),
    ("no name", "POST", V2, {"json": {"query_dsl": AUSTIN}}, 400, "name"),
    ("no query", "POST", V2, {"json": {"name": "n"}}, 400, "query_dsl"),
    ("name not text", "POST", V2, {"json": {"name": 5, "query_dsl": AUSTIN}}, 400, "name"),
    ("name > 100", "POST", V2, {"json": {"name": "n" * 101, "query_dsl": AUSTIN}}, 400, "name"),
    ("empty name", "POST", V2, {"json": {"name": "", "query_dsl": AUSTIN}}, 400, "name"),
    ("duplicate", "POST", V2, {"json": {"name": "Taken", "query_dsl": AUSTIN}}, 400, "name"),
    (
        "unknown list",
        "POST",
        V2,
        {"json": {"name": "n", "query_dsl": AUSTIN, "parent_list_ids": [UNKNOWN]}},
        400,
        "parent_list_ids",
    ),
    (
        "two lists",
        "POST",
        V2,
        {"json": {"name": "n", "query_dsl": AUSTIN, "parent_list_ids": ["LIST", UNKNOWN]}},
        400,
        "parent_list_ids",
    ),
    ("unparsable", "POST", V2, {"json": {"name": "n", "query_dsl": "SELEC x"}}, 400, "query_dsl"),
    ("too large", "POST", V2, {"content": b'{"name":"' + b"n" * 300_000 + b'"}'}, 413, "body"),
    ("patch unknown", "PATCH", f"{V2}/{UNKNOWN}", {"json": {"name": "n"}}, 404, "segment_id"),
    ("patch nothing", "PATCH", f"{V2}/CREATED", {"json": {}}, 400, "body"),
    ("patch dup", "PATCH", f"{V2}/CREATED", {"json": {"name": "Taken"}}, 400, "name"),
    ("patch query", "PATCH", f"{V2}/CREATED", {"json": {"query_dsl": "x"}}, 400, "query_dsl"),
    ("get unknown", "GET", f"{V2}/{UNKNOWN}", {}, 404, "segment_id"),
    ("delete unknown", "DELETE", f"{V2}/{UNKNOWN}", {}, 404, "segment_id"),
    ("v1 delete unknown", "DELETE", f"{V1}/{UNKNOWN}", {}, 404, "segment_id"),
    ("refresh no zone", "POST", f"{V2}/refresh/CREATED", {"json": {}}, 400, "user_time_zone"),
    (
        "refresh not IANA",
        "POST",
        f"{V2}/refresh/CREATED",
        {"json": {"user_time_zone": "Mars/Olympus"}},
        400,
        "user_time_zone",
    ),
    (
        "refresh zone not text",
        "POST",
        f"{V2}/refresh/CREATED",
        {"json": {"user_time_zone": 3}},
        400,
        "user_time_zone",
    ),
]


@pytest.mark.parametrize(("what", "method", "path", "send", "status", "field"), BAD,
                         ids=[case[0] for case in BAD])  # fmt: skip
def test_bad_input_is_answered_in_the_dialect_and_changes_nothing(
    account, contacts_server, what, method, path, send, status, field
):
    catalog = catalog_of(contacts_server)
    create(account, "Taken")
    mine = create(account, "Mine")
    send = copy.deepcopy(send)
    if "json" in send and isinstance(send["json"], dict) and "parent_list_ids" in send["json"]:
        send["json"]["parent_list_ids"] = [
            catalog.spec.lists[0].id if i == "LIST" else i for i in send["json"]["parent_list_ids"]
        ]
    path = path.replace("CREATED", mine["id"])
    before = (
        v2_list(account),
        account.get(f"{V2}/{mine['id']}").json(),
        contacts_server.app.state.writes.position,
    )
    response = account.request(method, path, **send)
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors] and all(e["message"] for e in errors)
    after = (
        v2_list(account),
        account.get(f"{V2}/{mine['id']}").json(),
        contacts_server.app.state.writes.position,
    )
    assert after == before


def test_a_refresh_of_an_unknown_segment_is_the_vendors_404(account):
    response = account.post(f"{V2}/refresh/{UNKNOWN}", json={"user_time_zone": "UTC"})
    assert (response.status_code, response.json()) == (404, {"error": "Segment does not exist."})


# -- refresh limits -------------------------------------------------------------------------------
def local(zone: str, day: str, time: str) -> str:
    """``day`` at ``time`` in ``zone``, as an ISO-8601 instant."""
    when = datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=ZoneInfo(zone))
    return when.isoformat()


@pytest.mark.parametrize("zone", ["America/Chicago", "Asia/Tokyo", "Australia/Adelaide", "UTC"])
def test_refresh_limits_at_the_hour_and_the_day_edges(account, contacts_server, zone):
    set_clock(contacts_server, now=local(zone, "2026-03-10", "10:00:00"))
    segment = create(account)["id"]
    refresh = f"{V2}/refresh/{segment}"
    body = {"user_time_zone": zone}
    assert account.post(refresh, json=body).status_code == 202
    set_clock(contacts_server, advance="PT59M59S")
    hourly = account.post(refresh, json=body)
    assert hourly.status_code == 429 and "per hour" in hourly.json()["errors"][0]["message"]
    set_clock(contacts_server, advance="PT1S")
    assert account.post(refresh, json=body).status_code == 202
    set_clock(contacts_server, advance="PT3H")
    daily = account.post(refresh, json=body)
    assert daily.status_code == 429 and "per day" in daily.json()["errors"][0]["message"]
    found = account.get(f"{V2}/{segment}").json()
    assert (found["refreshes_used"], found["max_refreshes"]) == (2, 2)
    set_clock(contacts_server, now=local(zone, "2026-03-10", "23:59:59"))
    assert account.post(refresh, json=body).status_code == 429
    set_clock(contacts_server, advance="PT1S")  # midnight in the zone: a new day
    assert account.post(refresh, json=body).status_code == 202
    found = account.get(f"{V2}/{segment}").json()
    assert found["refreshes_used"] == 1
    midnight = datetime.fromisoformat(local(zone, "2026-03-11", "00:00:00"))
    utc = midnight.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert found["last_refreshed_at"] == found["sample_updated_at"] == utc


def test_the_day_starts_at_midnight_in_the_requests_zone(account, contacts_server):
    segment = create(account)["id"]
    refresh = f"{V2}/refresh/{segment}"
    # Chicago's day began at 05:00 UTC (CDT); at 15:30 UTC Tokyo's next day has begun.
    set_clock(contacts_server, now="2026-03-10T06:00:00Z")
    assert account.post(refresh, json={"user_time_zone": "UTC"}).status_code == 202
    set_clock(contacts_server, now="2026-03-10T08:00:00Z")
    assert account.post(refresh, json={"user_time_zone": "UTC"}).status_code == 202
    set_clock(contacts_server, now="2026-03-10T15:30:00Z")
    assert account.post(refresh, json={"user_time_zone": "America/Chicago"}).status_code == 429
    assert account.post(refresh, json={"user_time_zone": "Asia/Tokyo"}).status_code == 202


def test_ten_refreshes_a_day_across_all_segments(account, contacts_server):
    ids = [create(account, f"S{i}")["id"] for i in range(11)]
    body = {"user_time_zone": "Europe/Berlin"}
    for segment in ids[:10]:
        assert account.post(f"{V2}/refresh/{segment}", json=body).status_code == 202
    refused = account.post(f"{V2}/refresh/{ids[10]}", json=body)
    assert refused.status_code == 429 and "in all" in refused.json()["errors"][0]["message"]
    set_clock(contacts_server, advance="P1D")
    assert account.post(f"{V2}/refresh/{ids[10]}", json=body).status_code == 202


def test_the_account_limit_counts_per_utc_day_whatever_the_zone(account, contacts_server):
    set_clock(contacts_server, now="2026-03-10T20:00:00Z")  # 05:00 on the 11th in Tokyo
    ids = [create(account, f"T{i}")["id"] for i in range(11)]
    body = {"user_time_zone": "Asia/Tokyo"}
    for segment in ids[:10]:
        assert account.post(f"{V2}/refresh/{segment}", json=body).status_code == 202
    set_clock(contacts_server, now="2026-03-10T23:59:59Z")
    assert account.post(f"{V2}/refresh/{ids[10]}", json=body).status_code == 429
    set_clock(contacts_server, advance="PT1S")  # 0:00 UTC; still the 11th in Tokyo
    assert account.post(f"{V2}/refresh/{ids[10]}", json=body).status_code == 202


def test_a_manual_refresh_evaluates_at_once(account, contacts_server):
    segment = create(account)["id"]
    assert account.get(f"{V2}/{segment}").json()["contacts_count"] == 0
    job = account.post(f"{V2}/refresh/{segment}", json={"user_time_zone": "UTC"})
    assert job.status_code == 202 and len(job.json()["job_id"]) == 36
    found = account.get(f"{V2}/{segment}").json()
    assert found["contacts_count"] == len(in_city(catalog_of(contacts_server), "Austin"))
    assert found["last_refreshed_at"] == "2026-03-10T15:00:00.000Z"


# -- data loads, reset ----------------------------------------------------------------------------
def test_a_data_load_shows_in_a_segment_only_after_its_next_refresh(account, contacts_server):
    segment = create(account)["id"]
    set_clock(contacts_server, advance="PT1H")
    before = account.get(f"{V2}/{segment}").json()
    smaller = copy.deepcopy(WORLD)
    smaller["contacts"]["count"] = 500
    actions.load_data(contacts_server.app.control, "sendgrid", smaller)
    try:
        stale = account.get(f"{V2}/{segment}").json()
        assert stale["contacts_count"] == before["contacts_count"]
        assert stale["contacts_sample"] == before["contacts_sample"]
        set_clock(contacts_server, advance="PT1H")
        fresh = account.get(f"{V2}/{segment}").json()
        assert fresh["contacts_count"] == len(in_city(catalog_of(contacts_server), "Austin"))
        assert fresh["contacts_count"] < before["contacts_count"]
    finally:
        actions.reset(contacts_server.app.control)


def test_reset_returns_to_the_seed_world(account, contacts_server):
    v1 = account.get(V1).json()["results"]
    create(account)
    account.delete(f"{V1}/{v1[0]['id']}")
    actions.reset(contacts_server.app.control)
    assert account.get(V1).json()["results"] == v1
    assert {s["id"] for s in v2_list(account)} == {s["id"] for s in v1}
    assert httpx.get(f"{contacts_server.url}/__mockserver/clock").json()["frozen"] is False
    assert create(account)["name"] == "Austin"  # the name is free again


# -- the clock ------------------------------------------------------------------------------------
def test_the_clock_api(account, contacts_server):
    assert (
        set_clock(contacts_server, now="2030-01-01T00:00:00+02:00")["now"]
        == "2029-12-31T22:00:00.000Z"
    )
    assert set_clock(contacts_server, advance="P1DT2H")["now"] == "2030-01-02T00:00:00.000Z"
    assert set_clock(contacts_server, advance="-PT1H")["now"] == "2030-01-01T23:00:00.000Z"
    running = set_clock(contacts_server, real=True)
    assert running["frozen"] is False and abs(running["offset_seconds"]) < 5
    assert set_clock(contacts_server, advance="PT2H")["offset_seconds"] == pytest.approx(
        7200, abs=5
    )
    for bad in ({"advance": "1 hour"}, {"advance": "P1M"}, {"now": "tomorrow"},
                {"now": "2030-01-01T00:00:00"}, {}, {"advance": "PT1H", "now": START},
                {"real": False}):  # fmt: skip
        response = httpx.put(f"{contacts_server.url}/__mockserver/clock", json=bad, headers=JSON)
        assert response.status_code == 400, bad


def test_the_fixture_advances_the_clock(account, contacts_server):
    fixture = MockServerFixture(contacts_server)
    segment = create(account)["id"]
    fixture.advance(minutes=59)
    assert account.get(f"{V2}/{segment}").json()["status"]["query_validation"] == "PENDING"
    assert fixture.advance(minutes=1)["now"] == "2026-03-10T16:00:00.000Z"
    assert account.get(f"{V2}/{segment}").json()["status"]["query_validation"] == "VALID"


def test_an_invalid_query_that_parses_is_reported_on_refresh(account):
    query = "SELECT contact_id, updated_at FROM contact_data WHERE no_such_field = 1"
    created = account.post(V2, json={"name": "Odd", "query_dsl": query})
    if created.status_code == 400:  # refused at once: the parser knows the columns
        assert created.json()["errors"][0]["field"] == "query_dsl"
        return
    segment = created.json()["id"]
    account.post(f"{V2}/refresh/{segment}", json={"user_time_zone": "UTC"})
    status = account.get(f"{V2}/{segment}").json()["status"]
    assert status["query_validation"] == "INVALID" and status["error_message"]


def test_a_heavy_query_is_stopped_by_its_budget_and_reported(account):
    query = (
        "SELECT c.contact_id, c.updated_at FROM contact_data AS c, event_data AS e1, "
        "event_data AS e2 WHERE e1.event_type = e2.event_type"
    )
    segment = create(account, "Heavy", query)["id"]
    assert (
        account.post(f"{V2}/refresh/{segment}", json={"user_time_zone": "UTC"}).status_code == 202
    )
    found = account.get(f"{V2}/{segment}")
    assert found.status_code == 200
    status = found.json()["status"]
    assert status["query_validation"] == "INVALID" and "stopped" in status["error_message"]
    assert found.json()["contacts_count"] == 0
    assert account.get(V1).status_code == 200  # the mock goes on serving


# -- determinism ----------------------------------------------------------------------------------
SCRIPT = """
import hashlib, httpx, sys
from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.testing import LiveServer
key = {"Authorization": "Bearer SG." + "d" * 22 + "." + "e" * 43}
out = hashlib.sha256()
with LiveServer(ServeConfig(apis=("sendgrid",))) as live:
    http = httpx.Client(base_url=live.url, headers=key, timeout=30)
    httpx.put(live.url + "/__mockserver/clock", json={"now": sys.argv[1]})
    query = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'"
    made = http.post("/v3/marketing/segments/2.0", json={"name": "A", "query_dsl": query})
    sid = made.json()["id"]
    steps = [made,
             http.post(f"/v3/marketing/segments/2.0/refresh/{sid}", json={"user_time_zone": "UTC"}),
             http.get(f"/v3/marketing/segments/2.0/{sid}"),
             http.get("/v3/marketing/segments/2.0")]
    for response in steps:
        out.update(response.content)
print(sid, out.hexdigest())
"""


@pytest.mark.slow
def test_same_seed_and_calls_give_the_same_bytes_in_two_processes():
    first = run_snippet(SCRIPT, START, hash_seed="1")
    second = run_snippet(SCRIPT, START, hash_seed="2")
    assert first == second
    assert len(first.split()[0]) == 36
    assert hashlib.sha256(b"").hexdigest() not in first


def test_ids_follow_the_seed_and_the_write_number(account, contacts_server):
    first = create(account)["id"]
    actions.reset(contacts_server.app.control)
    set_clock(contacts_server, now=START)
    assert create(account)["id"] == first
    assert create(account, "Other")["id"] != first


def test_the_clock_is_reported_with_iso_instants(contacts_server):
    described = httpx.get(f"{contacts_server.url}/__mockserver/clock").json()
    parsed = datetime.fromisoformat(described["now"].replace("Z", "+00:00"))
    assert abs(parsed - datetime.now(ZoneInfo("UTC"))) < timedelta(days=36500)


# -- the journal ----------------------------------------------------------------------------------
def test_the_journal_keeps_request_bodies_masked_and_bounded():
    config = ServeConfig(apis=("sendgrid",), journal_entry_bytes=256)
    with (
        live_server(config) as live,
        httpx.Client(base_url=live.url, headers=bearer(sg_key("j"))) as account,
    ):
        account.post(V2, json={"name": "Journaled", "query_dsl": AUSTIN, "api_key": "SG.leak"})
        account.post(V2, json={"password": "hunter2", "name": "n" * 400, "query_dsl": AUSTIN})
        account.get(V1)
        kept, cut, read = httpx.get(f"{live.url}/__mockserver/requests").json()["requests"]
    assert kept["body"] == '{"name":"Journaled","query_dsl":"' + AUSTIN + '","api_key":"***"}'
    assert len(cut["body"]) <= 256 and cut["body"].startswith('{"password":"***"')
    assert any("body cut to 256 bytes" in warning for warning in cut["warnings"])
    assert read["body"] is None


# -- what every operation has: Prefer, scenarios, faults, the console's inventory ----------------
def test_prefer_and_faults_answer_without_writing(account, contacts_server):
    before = contacts_server.app.state.writes.position
    body = {"name": "Forced", "query_dsl": AUSTIN}
    forced = account.post(V2, json=body, headers={"Prefer": "code=400"})
    assert forced.status_code == 400 and forced.json()["errors"]
    generated = account.post(V2, json=body, headers={"Prefer": "dynamic=true"})
    assert generated.status_code == 201
    faults = f"{contacts_server.url}/__mockserver/faults/sendgrid/DeleteSegmentV2"
    assert httpx.put(faults, json={"error_rate": 1}, headers=JSON).status_code == 200
    assert account.delete(f"{V2}/{UNKNOWN}").status_code >= 500
    assert contacts_server.app.state.writes.position == before
    assert "Forced" not in {s["name"] for s in v2_list(account)}
    # The success code asks for the operation's own behaviour: it writes.
    real = account.post(V2, json=body, headers={"Prefer": "code=201"})
    assert real.status_code == 201 and real.json()["id"] in {s["id"] for s in v2_list(account)}


def test_the_console_inventory_lists_created_segments(account, contacts_server):
    created = create(account)
    gone = account.get(V1).json()["results"][0]["id"]
    account.delete(f"{V1}/{gone}")
    inventory = contacts_server.app.runtimes["sendgrid"].backend.inventory()
    assert created["id"] in inventory["segments"] and gone not in inventory["segments"]
    assert inventory["created segments"] == [f"{created['id']} Austin"]
    page = httpx.get(f"{contacts_server.url}/__mockserver/").text
    assert "created segments" in page


def test_a_full_write_log_refuses_writes_until_a_reset(account, contacts_server, monkeypatch):
    from mockserver.state import ledger

    monkeypatch.setattr(ledger, "MAX_ENTRIES", contacts_server.app.state.writes.position + 1)
    create(account, "Last")
    refused = account.post(V2, json={"name": "One more", "query_dsl": AUSTIN})
    assert refused.status_code == 429 and "reset" in refused.json()["errors"][0]["message"]
    clock = httpx.put(
        f"{contacts_server.url}/__mockserver/clock", json={"advance": "PT1H"}, headers=JSON
    )
    assert clock.status_code == 429
    actions.reset(contacts_server.app.control)
    create(account, "One more")
