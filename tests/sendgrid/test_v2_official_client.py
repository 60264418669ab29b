"""The official ``sendgrid`` Python client drives the whole Segmentation v2 lifecycle against the
mock, unchanged: create, list, get, update, refresh, delete, and the v1 DELETE, with the
client's own exceptions for each documented failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from python_http_client.exceptions import BadRequestsError, NotFoundError, TooManyRequestsError
from sendgrid import SendGridAPIClient

from mockserver.testing import LiveServer
from tests.harness import live_server
from tests.sendgrid.conftest import SEGMENTS, bearer, sg_key

KEY = sg_key("o")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture()
def live_sendgrid() -> Iterator[LiveServer]:
    """A fresh mock per test: these tests write."""
    with live_server(apis=("sendgrid",), validate_responses=True) as live:
        yield live


@pytest.fixture()
def sg(live_sendgrid: LiveServer) -> SendGridAPIClient:
    return SendGridAPIClient(KEY, host=live_sendgrid.url)


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def error_fields(caught: pytest.ExceptionInfo) -> list[str]:
    return [e["field"] for e in json.loads(caught.value.body)["errors"]]


def advance(server: LiveServer, duration: str) -> None:
    """Move the mock clock (the control API), so a scheduled refresh is due without waiting."""
    response = httpx.put(f"{server.url}/__mockserver/clock", json={"advance": duration})
    assert response.status_code == 200, response.text


def v1_segments(server: LiveServer) -> list[dict[str, Any]]:
    return httpx.get(f"{server.url}{SEGMENTS}", headers=bearer(KEY)).json()["results"]


def test_the_whole_lifecycle(sg, live_sendgrid):
    v2 = sg.client.marketing.segments._("2.0")
    query = "SELECT contact_id, updated_at FROM contact_data WHERE state_province_region = 'CA'"
    created = v2.post(request_body={"name": "Californians", "query_dsl": query})
    assert created.status_code == 201
    segment = body(created)
    segment_id = segment["id"]
    assert (segment["name"], segment["query_dsl"], segment["query_version"]) == (
        "Californians",
        query,
        "2",
    )
    assert segment["status"]["query_validation"] == "PENDING"

    listed = body(v2.get(query_params={"ids": segment_id}))["results"]
    assert [s["id"] for s in listed] == [segment_id]

    advance(live_sendgrid, "PT1H")
    got = body(v2._(segment_id).get())
    assert got["status"]["query_validation"] == "VALID"
    assert got["contacts_count"] > 0
    assert {c["state_province_region"] for c in got["contacts_sample"]} == {"CA"}
    without = body(v2._(segment_id).get(query_params={"contacts_sample": "false"}))
    assert (without["contacts_sample"], without["contacts_count"]) == ([], got["contacts_count"])

    renamed = v2._(segment_id).patch(request_body={"name": "California"})
    assert renamed.status_code == 200
    assert body(renamed)["name"] == "California"

    refreshed = v2.refresh._(segment_id).post(request_body={"user_time_zone": "America/Chicago"})
    assert refreshed.status_code == 202
    assert len(body(refreshed)["job_id"]) == 36
    after = body(v2._(segment_id).get())
    assert (after["refreshes_used"], after["max_refreshes"]) == (1, 2)
    with pytest.raises(TooManyRequestsError):
        v2.refresh._(segment_id).post(request_body={"user_time_zone": "America/Chicago"})

    deleted = v2._(segment_id).delete()
    assert deleted.status_code == 202
    assert deleted.body in (b"", "", None)
    with pytest.raises(NotFoundError):
        v2._(segment_id).get()
    assert segment_id not in {s["id"] for s in body(v2.get())["results"]}


def test_count_sample_and_segment_ids_agree(sg, live_sendgrid):
    """A segment of five known contacts: after its refresh it counts five, samples exactly them,
    and each of them names it in ``segment_ids``."""
    v1 = v1_segments(live_sendgrid)
    sample = body(sg.client.marketing.segments._(v1[0]["id"]).get())["contacts_sample"]
    chosen = [c for c in sample if c.get("email")][:5]
    assert len(chosen) == 5
    emails = ", ".join(f"'{c['email']}'" for c in chosen)
    query = f"SELECT contact_id, updated_at FROM contact_data WHERE email IN ({emails})"
    v2 = sg.client.marketing.segments._("2.0")
    segment_id = body(v2.post(request_body={"name": "Five", "query_dsl": query}))["id"]
    v2.refresh._(segment_id).post(request_body={"user_time_zone": "UTC"})
    got = body(v2._(segment_id).get())
    assert got["contacts_count"] == 5
    assert sorted(c["id"] for c in got["contacts_sample"]) == sorted(c["id"] for c in chosen)
    assert all(segment_id in c["segment_ids"] for c in got["contacts_sample"])
    listed = {s["id"]: s for s in body(v2.get())["results"]}
    assert listed[segment_id]["contacts_count"] == 5


def test_failures_are_the_clients_exceptions(sg, live_sendgrid):
    v2 = sg.client.marketing.segments._("2.0")
    query = "SELECT contact_id, updated_at FROM contact_data"
    everyone = body(v2.post(request_body={"name": "Everyone", "query_dsl": query}))["id"]
    cases = [
        ({"name": "Everyone", "query_dsl": query}, "name"),
        ({"name": "x" * 101, "query_dsl": query}, "name"),
        ({"name": "No query"}, "query_dsl"),
        ({"name": "Bad", "query_dsl": "SELECT FROM WHERE"}, "query_dsl"),
        (
            {"name": "Orphan", "query_dsl": query, "parent_list_ids": [UNKNOWN_ID]},
            "parent_list_ids",
        ),
    ]
    for request_body, field in cases:
        with pytest.raises(BadRequestsError) as caught:
            v2.post(request_body=request_body)
        assert field in error_fields(caught), request_body
    with pytest.raises(NotFoundError):
        v2._(UNKNOWN_ID).patch(request_body={"name": "x"})
    with pytest.raises(NotFoundError) as caught:
        v2.refresh._(UNKNOWN_ID).post(request_body={"user_time_zone": "UTC"})
    assert json.loads(caught.value.body) == {"error": "Segment does not exist."}
    with pytest.raises(BadRequestsError) as caught:
        v2.refresh._(everyone).post(request_body={"user_time_zone": "Nowhere/Else"})
    assert error_fields(caught) == ["user_time_zone"]
    names = [s["name"] for s in body(v2.get())["results"]]
    assert names.count("Everyone") == 1 and "Orphan" not in names  # nothing bad was created


def test_v1_delete(sg, live_sendgrid):
    v1 = v1_segments(live_sendgrid)
    segment_id = v1[-1]["id"]
    deleted = sg.client.marketing.segments._(segment_id).delete()
    assert deleted.status_code == 202
    assert segment_id not in {s["id"] for s in v1_segments(live_sendgrid)}
    with pytest.raises(NotFoundError) as caught:
        sg.client.marketing.segments._(segment_id).delete()
    assert error_fields(caught) == ["segment_id"]
    v2_list = body(sg.client.marketing.segments._("2.0").get())["results"]
    assert segment_id not in {s["id"] for s in v2_list}
