"""The official ``sendgrid`` Python client, pointed at the mock, works unchanged."""

from __future__ import annotations

import json

import pytest
from python_http_client.exceptions import (
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from sendgrid import SendGridAPIClient

from mockserver.config import ServeConfig
from tests.harness import live_server
from tests.sendgrid.conftest import sg_key


@pytest.fixture(scope="module")
def sg_client(sg_live) -> SendGridAPIClient:
    return SendGridAPIClient(sg_key("c"), host=sg_live.url)


def body(response) -> dict:
    return json.loads(response.body)


def test_list_segments(sg_client, catalog):
    response = sg_client.client.marketing.segments.get()
    assert response.status_code == 200
    results = body(response)["results"]
    assert [s["id"] for s in results] == [s.id for s in catalog.segments]
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert response.headers.get(name, "").isdigit()


def test_get_each_segment_agrees_with_the_list(sg_client):
    listed = body(sg_client.client.marketing.segments.get())["results"]
    for summary in listed:
        response = sg_client.client.marketing.segments._(summary["id"]).get()
        assert response.status_code == 200
        full = body(response)
        assert {key: full[key] for key in summary} == summary
        assert len(full["contacts_sample"]) == min(50, summary["contacts_count"])
        assert "query_json" not in full


def test_filters_through_the_client(sg_client, catalog):
    parented = [s for s in catalog.segments if s.parent_list_id]
    parent = parented[0].parent_list_id
    response = sg_client.client.marketing.segments.get(query_params={"parent_list_ids": parent})
    ids = [s["id"] for s in body(response)["results"]]
    assert ids == [s.id for s in catalog.segments if s.parent_list_id == parent]

    chosen = [catalog.segments[3].id, catalog.segments[1].id]
    response = sg_client.client.marketing.segments.get(query_params={"ids": chosen})
    assert [s["id"] for s in body(response)["results"]] == [catalog.segments[1].id, chosen[0]]

    response = sg_client.client.marketing.segments.get(query_params={"no_parent_list_id": True})
    ids = [s["id"] for s in body(response)["results"]]
    assert ids == [s.id for s in catalog.segments if s.parent_list_id is None]


def test_query_json_through_the_client(sg_client, catalog):
    segment = catalog.segments[0]
    response = sg_client.client.marketing.segments._(segment.id).get(
        query_params={"query_json": "true"}
    )
    full = body(response)
    assert full["query_json"]["type"] == "select"
    assert full["query_dsl"] == segment.spec.query.text


def test_unknown_segment_is_the_clients_not_found(sg_client):
    with pytest.raises(NotFoundError) as caught:
        sg_client.client.marketing.segments._("00000000-0000-4000-8000-000000000000").get()
    assert json.loads(caught.value.body)["errors"][0]["field"] == "segment_id"


def test_bad_key_is_the_clients_unauthorized_error(sg_live):
    client = SendGridAPIClient("SG.not-a-real-key", host=sg_live.url)
    with pytest.raises(UnauthorizedError) as caught:
        client.client.marketing.segments.get()
    message = json.loads(caught.value.body)["errors"][0]["message"]
    assert message == "The provided authorization grant is invalid, expired, or revoked"


def test_scope_and_rate_limit_errors_through_the_client():
    reader, sender = sg_key("r"), sg_key("s")
    config = ServeConfig(
        apis=("sendgrid",),
        vendor_options={
            "sendgrid": {
                "keys": [f"{reader}:marketing.read", f"{sender}:mail.send"],
                "rate_limit": 2,
            }
        },
    )
    # A fixed clock: a minute boundary mid-test would otherwise reset the counts.
    with live_server(config, clock=lambda: 1_700_000_000.0) as server:
        with pytest.raises(ForbiddenError):
            SendGridAPIClient(sender, host=server.url).client.marketing.segments.get()
        client = SendGridAPIClient(reader, host=server.url)
        assert client.client.marketing.segments.get().status_code == 200
        assert client.client.marketing.segments.get().status_code == 200
        with pytest.raises(TooManyRequestsError) as caught:
            client.client.marketing.segments.get()
        assert caught.value.headers["X-RateLimit-Remaining"] == "0"
