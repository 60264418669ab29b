"""The sync app against the mock, through the pytest plugin's ``mockserver`` fixture: the
whole story, a second run that only updates, and a run through a SendGrid 429 mid-sync and an
ActionHub 503 that it survives."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sendgrid import SendGridAPIClient

from examples.actionhub_to_sendgrid.sync import (
    ActionHub,
    Retry,
    SendGrid,
    SyncError,
    email_of,
    sync,
)

KEY = "SG." + "x" * 22 + "." + "X" * 43
LABELS = "col-bestsellers"


@pytest.fixture()
def mock(mockserver) -> Iterator:
    mockserver.reset()
    mockserver.set_now("2026-03-10T15:00:00Z")
    yield mockserver
    mockserver.reset()


@pytest.fixture()
def parts(mock) -> Iterator[tuple[ActionHub, SendGrid, Retry]]:
    retry = Retry(sleep=lambda seconds: None)  # no real pauses in tests
    with httpx.Client(base_url=mock.url, timeout=30) as http:
        client = SendGridAPIClient(KEY, host=mock.url)
        yield ActionHub(http, "demo", retry), SendGrid(client, retry), retry


def run(mock, parts) -> object:
    actionhub, sendgrid, _ = parts
    return sync(actionhub, sendgrid, LABELS, "Bestsellers", "Bestsellers: everyone",
                wait=lambda: mock.advance(seconds=5))  # fmt: skip


def search(mock, query: str) -> dict:
    response = httpx.post(
        f"{mock.url}/v3/marketing/contacts/search",
        json={"query": query},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    return response.json()


def test_the_segment_arrives_in_sendgrid(mock, parts):
    users = httpx.get(f"{mock.url}/segment", params={"labels": LABELS},
                      headers={"program-id": "demo"}).text.split()  # fmt: skip
    report = run(mock, parts)
    assert report.members == len(users) == report.created and report.updated == 0
    assert report.segment_count == len(users)
    found = search(mock, f"CONTAINS(list_ids, '{report.list_id}')")
    assert found["contact_count"] == len(users)
    assert {c["email"] for c in found["result"]} <= {email_of(u) for u in users}


def test_a_second_run_updates_and_keeps_one_list_and_segment(mock, parts):
    first = run(mock, parts)
    second = run(mock, parts)
    assert (second.list_id, second.segment_id) == (first.list_id, first.segment_id)
    assert second.created == 0 and second.updated == first.members
    assert second.segment_count is None  # refreshed once this hour already: SendGrid says 429


def test_it_survives_a_sendgrid_429_and_an_actionhub_503(mock, parts):
    mock.scenario("actionhub", "get_segment_segment_get", code=503, times=1)
    mock.scenario("sendgrid", "UpsertContacts", code=429, times=1)
    report = run(mock, parts)
    assert ("ActionHub GET /segment", 503) in report.retried
    assert ("SendGrid PUT contacts", 429) in report.retried
    assert report.segment_count == report.members > 0
    puts = mock.requests_to("/v3/marketing/contacts", "PUT")
    assert [entry["status"] for entry in puts] == [429, 202]


def test_it_stops_when_sendgrid_keeps_failing(mock, parts):
    mock.scenario("sendgrid", "UpsertContacts", code=500)
    with pytest.raises(SyncError, match="PUT contacts"):
        run(mock, parts)
    counted = httpx.get(f"{mock.url}/v3/marketing/contacts/count",
                        headers={"Authorization": f"Bearer {KEY}"}).json()  # fmt: skip
    assert json.dumps(counted)  # the mock still answers; nothing was upserted
    assert search(mock, "email LIKE '%@users.example.com'")["contact_count"] == 0
