"""Contacts and lists on one Redis: two replicas are one account - contacts upserted through
one are counted, searched and segmented on the other once the job is due, list names are
unique across both, a reset on one forgets them on both."""

from __future__ import annotations

import httpx

from tests.conftest import JSON

LISTS = "/v3/marketing/lists"
CONTACTS = "/v3/marketing/contacts"
V2 = "/v3/marketing/segments/2.0"
QUERY = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Replica City'"


def advance(client: httpx.Client, by: str) -> None:
    assert client.put("/__mockserver/clock", json={"advance": by}, headers=JSON).status_code == 200


def test_contacts_upserted_on_one_are_the_others(sendgrid_replicas):
    a, b = sendgrid_replicas
    made = a.post(LISTS, json={"name": "Shared"})
    assert made.status_code == 201
    list_id = made.json()["id"]
    assert b.post(LISTS, json={"name": "Shared"}).status_code == 400  # the name is taken
    segment = b.post(V2, json={"name": "Replicas", "query_dsl": QUERY,
                               "parent_list_ids": [list_id]}).json()  # fmt: skip
    before = b.get(f"{CONTACTS}/count").json()["contact_count"]
    contacts = [{"email": f"r{i}@example.com", "city": "Replica City"} for i in range(3)]
    job = a.put(CONTACTS, json={"contacts": contacts, "list_ids": [list_id]}).json()["job_id"]
    assert b.get(f"{CONTACTS}/imports/{job}").json()["status"] == "pending"
    advance(b, "PT10S")
    assert b.get(f"{CONTACTS}/imports/{job}").json()["status"] == "completed"
    assert b.get(f"{CONTACTS}/count").json()["contact_count"] == before + 3
    assert a.get(f"{LISTS}/{list_id}/contacts/count").json()["contact_count"] == 3
    found_a = a.post(f"{CONTACTS}/search", json={"query": "city = 'Replica City'"}).json()
    found_b = b.post(f"{CONTACTS}/search", json={"query": "city = 'Replica City'"}).json()
    assert found_a == found_b and found_a["contact_count"] == 3
    assert (
        a.post(f"{V2}/refresh/{segment['id']}", json={"user_time_zone": "UTC"}).status_code == 202
    )
    seen_a, seen_b = a.get(f"{V2}/{segment['id']}").json(), b.get(f"{V2}/{segment['id']}").json()
    assert seen_a == seen_b and seen_a["contacts_count"] == 3


def test_a_reset_on_one_forgets_the_contacts_on_both(sendgrid_replicas):
    a, b = sendgrid_replicas
    before = b.get(f"{CONTACTS}/count").json()["contact_count"]
    a.put(CONTACTS, json={"contacts": [{"email": "gone@example.com"}]})
    advance(a, "PT10S")
    assert b.get(f"{CONTACTS}/count").json()["contact_count"] == before + 1
    assert b.post("/__mockserver/reset", headers=JSON).status_code == 200
    assert a.get(f"{CONTACTS}/count").json()["contact_count"] == before
    gone = a.post(f"{CONTACTS}/search/emails", json={"emails": ["gone@example.com"]})
    assert gone.status_code == 404
