"""The Lists API over HTTP: create, page, get, rename, delete; counts from the contact jobs;
created lists as v2 segment parents; bad input in SendGrid's dialect changing nothing."""

from __future__ import annotations

import httpx

from tests.sendgrid.contacts_helpers import (
    CONTACTS,
    LISTS,
    UNKNOWN,
    V2,
    create_list,
    ok,
    people,
    set_clock,
    state,
    upsert,
)


def test_a_created_list_is_listed_got_and_counted(account):
    made = create_list(account, "Newsletter")
    assert made["name"] == "Newsletter" and made["contact_count"] == 0
    assert made["_metadata"]["self"].endswith(f"{LISTS}/{made['id']}")
    page = ok(account.get(LISTS, params={"page_size": 1000}))
    assert made in page["result"]
    assert ok(account.get(f"{LISTS}/{made['id']}")) == made
    assert ok(account.get(f"{LISTS}/{made['id']}/contacts/count")) == {
        "contact_count": 0,
        "billable_count": 0,
    }


def test_pages_cover_every_list_once(account):
    for n in range(5):
        create_list(account, f"Page list {n}")
    everything = ok(account.get(LISTS, params={"page_size": 1000}))
    total = everything["_metadata"]["count"]
    seen, token = [], None
    while True:
        params = {"page_size": 2, **({"page_token": token} if token else {})}
        page = ok(account.get(LISTS, params=params))
        assert len(page["result"]) <= 2
        seen += [item["id"] for item in page["result"]]
        following = page["_metadata"].get("next")
        if following is None:
            break
        token = following.rsplit("page_token=", 1)[1]
    assert seen == [item["id"] for item in everything["result"]] and len(seen) == total
    past = ok(account.get(LISTS, params={"page_token": UNKNOWN}))  # no list of ours: past the end
    assert past["result"] == [] and past["_metadata"]["count"] == total


def test_rename_and_delete(account):
    made = create_list(account, "Old name")
    renamed = ok(account.patch(f"{LISTS}/{made['id']}", json={"name": "New name"}))
    assert renamed["name"] == "New name"
    assert ok(account.get(f"{LISTS}/{made['id']}"))["name"] == "New name"
    deleted = account.delete(f"{LISTS}/{made['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert account.get(f"{LISTS}/{made['id']}").status_code == 404


def test_members_join_when_the_job_completes_and_leave_by_removal(account, contacts_server):
    made = create_list(account)
    upsert(account, people(3), [made["id"]])
    count = f"{LISTS}/{made['id']}/contacts/count"
    assert ok(account.get(count))["contact_count"] == 0  # the job is pending
    set_clock(contacts_server, advance="PT10S")
    assert ok(account.get(count))["contact_count"] == 3
    got = ok(account.get(f"{LISTS}/{made['id']}", params={"contact_sample": "true"}))
    sample = got["contact_sample"]
    assert sorted(c["email"] for c in sample) == [f"person{i}@example.com" for i in range(3)]
    assert all(made["id"] in c["list_ids"] for c in sample)
    first = sample[0]["id"]
    job = ok(account.delete(f"{LISTS}/{made['id']}/contacts", params={"contact_ids": first}), 202)
    set_clock(contacts_server, advance="PT10S")
    assert ok(account.get(count))["contact_count"] == 2
    assert made["id"] not in ok(account.get(f"{CONTACTS}/{first}"))["list_ids"]
    status = ok(account.get(f"{CONTACTS}/imports/{job['job_id']}"))
    assert status["status"] == "completed"


def test_deleting_a_list_with_its_contacts(account, contacts_server):
    made = create_list(account)
    upsert(account, people(2), [made["id"]])
    set_clock(contacts_server, advance="PT10S")
    before = ok(account.get(f"{CONTACTS}/count"))["contact_count"]
    job = ok(account.delete(f"{LISTS}/{made['id']}", params={"delete_contacts": "true"}))["job_id"]
    assert account.get(f"{LISTS}/{made['id']}").status_code == 404  # the list goes at once
    assert ok(account.get(f"{CONTACTS}/count"))["contact_count"] == before  # its contacts later
    set_clock(contacts_server, advance="PT10S")
    assert ok(account.get(f"{CONTACTS}/count"))["contact_count"] == before - 2
    assert ok(account.get(f"{CONTACTS}/imports/{job}"))["results"]["deleted_count"] == 2


def test_a_created_list_is_a_parent_for_v2_segments(account):
    made = create_list(account)
    body = {"name": "In my list", "query_dsl": "SELECT contact_id, updated_at FROM contact_data"}
    segment = ok(account.post(V2, json={**body, "parent_list_ids": [made["id"]]}), 201)
    assert segment["parent_list_ids"] == [made["id"]]
    account.delete(f"{LISTS}/{made['id']}")
    refused = account.post(V2, json={**body, "name": "Other", "parent_list_ids": [made["id"]]})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "parent_list_ids"


def test_bad_input_is_refused_in_the_dialect_and_changes_nothing(account: httpx.Client):
    create_list(account, "Taken")
    before = state(account)
    cases = [
        (account.post(LISTS, json={"name": "Taken"}), 400, "name"),
        (account.post(LISTS, json={"name": ""}), 400, "name"),
        (account.post(LISTS, json={"name": "x" * 101}), 400, "name"),
        (account.post(LISTS, json={}), 400, None),
        (
            account.post(LISTS, content=b"{", headers={"content-type": "application/json"}),
            400,
            None,
        ),
        (account.get(LISTS, params={"page_size": 0}), 400, "page_size"),
        (account.get(f"{LISTS}/{UNKNOWN}"), 404, "id"),
        (account.get(f"{LISTS}/not-a-uuid"), 400, "id"),
        (account.patch(f"{LISTS}/{UNKNOWN}", json={"name": "y"}), 404, "id"),
        (account.delete(f"{LISTS}/{UNKNOWN}"), 404, "id"),
        (account.delete(f"{LISTS}/{UNKNOWN}/contacts", params={"contact_ids": UNKNOWN}), 404, "id"),
    ]
    for response, status, field in cases:
        assert response.status_code == status, (response.request.url, response.text)
        errors = response.json()["errors"]
        assert errors and all(isinstance(e["message"], str) for e in errors)
        if field is not None:
            assert errors[0]["field"] == field, response.text
    made = ok(account.get(LISTS, params={"page_size": 1000}))["result"]
    taken = next(item for item in made if item["name"] == "Taken")
    refused = account.delete(f"{LISTS}/{taken['id']}/contacts", params={"contact_ids": UNKNOWN})
    assert refused.status_code == 404 and refused.json()["errors"][0]["field"] == "contact_ids"
    assert state(account) == before


def test_the_console_inventory_lists_created_lists_and_contacts(account, contacts_server):
    made = create_list(account, "Inventory")
    upsert(account, people(1))
    set_clock(contacts_server, advance="PT5S")
    inventory = contacts_server.app.runtimes["sendgrid"].backend.inventory()
    assert made["id"] in inventory["lists"]
    contact = ok(
        account.post(f"{CONTACTS}/search", json={"query": "email = 'person0@example.com'"})
    )
    assert contact["result"][0]["id"] in inventory["contacts"]
    ok(account.delete(CONTACTS, params={"ids": contact["result"][0]["id"]}), 202)
    set_clock(contacts_server, advance="PT5S")
    inventory = contacts_server.app.runtimes["sendgrid"].backend.inventory()
    assert contact["result"][0]["id"] not in inventory["contacts"]
