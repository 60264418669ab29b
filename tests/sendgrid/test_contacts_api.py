"""The Contacts and Lists APIs over HTTP on the mock clock: upserts and deletions are jobs that
complete 5 seconds later; reads before see nothing new; lists follow at once (created, paged,
renamed, deleted; counts from the contact jobs; parents of v2 segments), segments at their next
refresh; search agrees with segment membership; bad input changes nothing; reset."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import yaml

from mockserver.config import ServeConfig
from mockserver.control import actions
from mockserver.resources import bundled_dir
from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid.contacts import JOB_DELAY
from tests.sendgrid.conftest import bearer, sg_key
from tests.sendgrid.contacts_helpers import (
    CONTACTS,
    LISTS,
    START,
    UNKNOWN,
    V2,
    create_list,
    ok,
    people,
    set_clock,
    state,
    upsert,
)

IN_TESTVILLE = "city = 'Testville'"
SEGMENT_QUERY = f"SELECT contact_id, updated_at FROM contact_data WHERE {IN_TESTVILLE}"


def job(account: httpx.Client, job_id: str) -> dict[str, Any]:
    return ok(account.get(f"{CONTACTS}/imports/{job_id}"))


def by_email(account: httpx.Client, *emails: str) -> httpx.Response:
    return account.post(f"{CONTACTS}/search/emails", json={"emails": list(emails)})


def count(account: httpx.Client) -> int:
    return ok(account.get(f"{CONTACTS}/count"))["contact_count"]


def search(account: httpx.Client, query: str) -> dict[str, Any]:
    return ok(account.post(f"{CONTACTS}/search", json={"query": query}))


def test_an_upsert_is_a_job_seen_only_once_it_completes(account, contacts_server):
    before = count(account)
    job_id = upsert(account, people(3, first_name="Ada"))
    pending = job(account, job_id)
    assert pending["status"] == "pending" and pending["job_type"] == "upsert"
    assert pending["results"] == {"requested_count": 3}
    set_clock(contacts_server, advance="PT4S")  # not yet: jobs take 5 s
    assert count(account) == before
    assert by_email(account, "person0@example.com").status_code == 404
    set_clock(contacts_server, advance="PT1S")
    done = job(account, job_id)
    assert done["status"] == "completed"
    assert done["results"]["created_count"] == 3 and done["results"]["updated_count"] == 0
    assert count(account) == before + 3
    found = ok(by_email(account, "PERSON0@example.com", "nobody@example.com"))["result"]
    contact = found["person0@example.com"]["contact"]
    assert found["nobody@example.com"] == {"error": "contact not found"}
    assert contact["first_name"] == "Ada" and contact["list_ids"] == []
    assert ok(account.get(f"{CONTACTS}/{contact['id']}")) == contact
    batch = ok(account.post(f"{CONTACTS}/batch", json={"ids": [contact["id"], UNKNOWN]}))
    assert batch["result"] == [contact]
    recent = ok(account.get(CONTACTS))
    assert recent["contact_count"] == before + 3
    assert {c["email"] for c in recent["result"]} >= {f"person{i}@example.com" for i in range(3)}


def test_an_upsert_updates_by_email_and_keeps_what_it_leaves_out(account, contacts_server):
    existing = search(account, "plan = 'pro'")["result"][0]
    upsert(account, [{"email": existing["email"].upper(), "last_name": "Changed"}])
    set_clock(contacts_server, advance="PT5S")
    after = ok(account.get(f"{CONTACTS}/{existing['id']}"))
    assert after["last_name"] == "Changed"
    assert after["first_name"] == existing["first_name"]
    assert after["custom_fields"] == existing["custom_fields"]
    assert after["list_ids"] == existing["list_ids"]


def test_custom_fields_by_their_ids_and_types(account, contacts_server):
    definitions = ok(account.get("/v3/marketing/field_definitions"))
    ids = {d["name"]: d["id"] for d in definitions["custom_fields"]}
    assert ids["plan"].endswith("_T") and ids["lifetime_value"].endswith("_N")
    fields = {ids["plan"]: "enterprise", ids["lifetime_value"]: 123456, ids["last_purchase_at"]:
              "2026-01-02T03:04:05Z"}  # fmt: skip
    upsert(account, [{"email": "rich@example.com", "custom_fields": fields}])
    set_clock(contacts_server, advance="PT5S")
    found = search(account, "lifetime_value = 123456")
    assert [c["email"] for c in found["result"]] == ["rich@example.com"]
    assert found["result"][0]["custom_fields"] == {
        "plan": "enterprise",
        "lifetime_value": 123456,
        "last_purchase_at": "2026-01-02T03:04:05Z",
    }


def test_list_at_once_segment_at_its_refresh_and_search_agrees(account, contacts_server):
    made = create_list(account)
    segment = ok(
        account.post(
            V2,
            json={"name": "Testville", "query_dsl": SEGMENT_QUERY, "parent_list_ids": [made["id"]]},
        ),
        201,
    )
    one = f"{V2}/{segment['id']}"
    set_clock(contacts_server, advance="PT1H")  # the first scheduled refresh: nobody yet
    assert ok(account.get(one))["contacts_count"] == 0
    upsert(account, people(4, city="Testville"), [made["id"]])
    upsert(account, people(2, domain="elsewhere.org", city="Testville"))  # not in the list
    set_clock(contacts_server, advance="PT10S")
    assert ok(account.get(f"{LISTS}/{made['id']}/contacts/count"))["contact_count"] == 4
    assert ok(account.get(one))["contacts_count"] == 0  # until the segment's next refresh
    searched = search(account, f"{IN_TESTVILLE} AND CONTAINS(list_ids, '{made['id']}')")
    assert searched["contact_count"] == 4
    refresh = account.post(f"{V2}/refresh/{segment['id']}", json={"user_time_zone": "UTC"})
    assert refresh.status_code == 202, refresh.text
    refreshed = ok(account.get(one))
    assert refreshed["contacts_count"] == 4
    members = {c["id"] for c in refreshed["contacts_sample"]}
    assert members == {c["id"] for c in searched["result"]}
    for contact in refreshed["contacts_sample"]:
        assert segment["id"] in contact["segment_ids"] and made["id"] in contact["list_ids"]
        assert segment["id"] in ok(account.get(f"{CONTACTS}/{contact['id']}"))["segment_ids"]
    assert search(account, IN_TESTVILLE)["contact_count"] == 6


def test_a_job_completing_after_a_scheduled_refresh_waits_for_the_next(account, contacts_server):
    segment = ok(account.post(V2, json={"name": "Testville", "query_dsl": SEGMENT_QUERY}), 201)
    set_clock(contacts_server, advance="PT59M58S")
    upsert(account, people(2, city="Testville"))  # due 3 s after the hour's refresh
    set_clock(contacts_server, advance="PT10S")
    one = f"{V2}/{segment['id']}"
    assert ok(account.get(one))["contacts_count"] == 0  # the refresh at the hour saw nobody
    set_clock(contacts_server, advance="PT1H")
    assert ok(account.get(one))["contacts_count"] == 2


def test_deletions_by_ids_and_all(account, contacts_server):
    made = create_list(account)
    upsert(account, people(3, city="Testville"), [made["id"]])
    set_clock(contacts_server, advance="PT5S")
    ids = [c["id"] for c in search(account, IN_TESTVILLE)["result"]]
    before = count(account)
    deletion = ok(account.delete(CONTACTS, params={"ids": f"{ids[0]},{UNKNOWN}"}), 202)["job_id"]
    assert count(account) == before
    set_clock(contacts_server, advance="PT5S")
    results = job(account, deletion)["results"]
    assert results["deleted_count"] == 1 and results["errored_count"] == 1
    assert count(account) == before - 1
    assert account.get(f"{CONTACTS}/{ids[0]}").status_code == 404
    assert ok(account.get(f"{LISTS}/{made['id']}/contacts/count"))["contact_count"] == 2
    assert search(account, IN_TESTVILLE)["contact_count"] == 2
    ok(account.delete(CONTACTS, params={"delete_all_contacts": "true"}), 202)
    set_clock(contacts_server, advance="PT5S")
    assert count(account) == 0 and search(account, "1 = 1")["contact_count"] == 0
    assert ok(account.get(CONTACTS))["result"] == []
    upsert(account, [{"email": "person0@example.com"}])  # a deleted address may come back
    set_clock(contacts_server, advance="PT5S")
    assert count(account) == 1
    back = ok(by_email(account, "person0@example.com"))["result"]["person0@example.com"]
    assert back["contact"]["id"] != ids[0]


def test_bad_contact_input_is_refused_in_the_dialect_and_changes_nothing(account, contacts_server):
    made = create_list(account)
    before = state(account)
    too_many = {"contacts": [{"email": f"p{i}@x.io"} for i in range(30_001)]}
    line = "x" * 100
    too_large = {"contacts": [{"email": f"p{i}@x.io", "address_line_1": line,
                               "address_line_2": line} for i in range(30_000)]}  # fmt: skip
    cases = [
        (account.put(CONTACTS, json={"contacts": [{"email": "not-an-email"}]}), 400,
         "contacts[0].email"),
        (account.put(CONTACTS, json={"contacts": [{"email": "a@b.co", "custom_fields":
                                                   {"zz_T": "x"}}]}), 400,
         "contacts[0].custom_fields.zz_T"),
        (account.put(CONTACTS, json={"contacts": [{"email": "a@b.co", "custom_fields":
                                                   {"e2_N": "many"}}]}), 400,
         "contacts[0].custom_fields.e2_N"),
        (account.put(CONTACTS, json={"contacts": [{"email": "a@b.co", "custom_fields":
                                                   {"e3_D": "yesterday"}}]}), 400,
         "contacts[0].custom_fields.e3_D"),
        (account.put(CONTACTS, json={"contacts": [{"email": "a@b.co"}], "list_ids": [UNKNOWN]}),
         400, "list_ids"),
        (account.put(CONTACTS, json={"contacts": []}), 400, None),
        (account.put(CONTACTS, json={"list_ids": [made["id"]]}), 400, None),
        (account.put(CONTACTS, json=too_many), 400, "contacts"),
        (account.put(CONTACTS, json=too_large), 413, "body"),
        (account.put(CONTACTS, json={"contacts": [{"email": "a@b.co", "first_name": "x" * 51}]}),
         400, None),
        (account.delete(CONTACTS), 400, None),
        (account.delete(CONTACTS, params={"ids": ",".join([UNKNOWN] * 101)}), 400, "ids"),
        (account.delete(CONTACTS, params={"ids": "not-an-id"}), 400, "ids"),
        (account.delete(CONTACTS, params={"delete_all_contacts": "yes"}), 400,
         "delete_all_contacts"),
        (account.post(f"{CONTACTS}/search", json={"query": "nonsense ((("}), 400, "query"),
        (account.post(f"{CONTACTS}/search", json={"query": "no_such_column = 1"}), 400, "query"),
        (by_email(account, "not-an-email"), 400, "emails"),
        (by_email(account, "nobody@example.com"), 404, "emails"),
        (account.post(f"{CONTACTS}/batch", json={"ids": [UNKNOWN] * 101}), 400, None),
        (account.post(f"{CONTACTS}/batch", json={"ids": [UNKNOWN]}), 404, "ids"),
        (account.get(f"{CONTACTS}/{UNKNOWN}"), 404, "id"),
        (account.get(f"{CONTACTS}/imports/{UNKNOWN}"), 404, "id"),
    ]  # fmt: skip
    for response, status, field in cases:
        assert response.status_code == status, (response.request.url, response.text[:300])
        errors = response.json()["errors"]
        assert errors and all(isinstance(e["message"], str) for e in errors)
        if field is not None:
            assert errors[0]["field"] == field, response.text[:300]
    set_clock(contacts_server, advance="PT1M")
    assert state(account) == before


def test_a_full_size_upsert_is_accepted(account, contacts_server):
    batch = [{"email": f"bulk{i}@example.com", "city": "Bulkton"} for i in range(30_000)]
    job_id = upsert(account, batch)
    set_clock(contacts_server, advance="PT5S")
    assert job(account, job_id)["results"]["created_count"] == 30_000
    assert search(account, "city = 'Bulkton'")["contact_count"] == 30_000


def test_reset_forgets_every_contact_write(account, contacts_server):
    before = state(account)
    existing = search(account, "plan = 'pro'")["result"][0]
    upsert(account, [*people(2), {"email": existing["email"], "first_name": "Zed"}])
    set_clock(contacts_server, advance="PT5S")
    assert count(account) == before[0] + 2
    actions.reset(contacts_server.app.control)
    assert state(account) == before
    assert ok(account.get(f"{CONTACTS}/{existing['id']}"))["first_name"] == existing["first_name"]
    assert search(account, "first_name = 'Zed'")["contact_count"] == 0


def scripted_calls(server: LiveServer) -> list[bytes]:
    """A sync's calls on a fresh server with the clock frozen: every answer's bytes."""
    set_clock(server, now=START)
    answers = []
    with httpx.Client(base_url=server.url, headers=bearer(sg_key("d")), timeout=30) as http:
        made = http.post(LISTS, json={"name": "Determinism"})
        answers.append(made.content)
        list_id = made.json()["id"]
        body = {"contacts": people(5, city="Testville"), "list_ids": [list_id]}
        answers.append(http.put(CONTACTS, json=body).content)
        set_clock(server, advance="PT5S")
        answers.append(http.post(f"{CONTACTS}/search", json={"query": IN_TESTVILLE}).content)
        answers.append(http.get(f"{LISTS}/{list_id}", params={"contact_sample": "true"}).content)
        answers.append(http.get(CONTACTS).content)
    return answers


def test_same_seed_and_calls_give_the_same_bytes_and_ids():
    runs = []
    for _ in range(2):
        with LiveServer(ServeConfig(apis=("sendgrid",))) as fresh:
            runs.append(scripted_calls(fresh))
    assert runs[0] == runs[1]
    assert b"person4@example.com" in runs[0][2]


def test_the_spec_states_the_job_delay_the_mock_keeps():
    document = yaml.safe_load((bundled_dir("specs") / "sendgrid-segments.openapi.yaml").read_text())
    upsert_op = document["paths"]["/v3/marketing/contacts"]["put"]
    assert upsert_op["x-job-delay"]["seconds"] == JOB_DELAY
    assert upsert_op["x-max-body-bytes"] == 6 * 2**20


def test_upserted_contacts_outlive_a_data_load(account, contacts_server):
    made = create_list(account)
    upsert(account, people(2, city="Testville"), [made["id"]])
    set_clock(contacts_server, advance="PT5S")
    world = yaml.safe_load((bundled_dir("fixtures") / "sendgrid" / "world.yaml").read_text())
    smaller = copy.deepcopy(world)
    smaller["contacts"]["count"] = 500
    actions.load_data(contacts_server.app.control, "sendgrid", smaller)
    # The new data version's contact book applies the log again: the writes stay.
    assert count(account) == 502
    assert search(account, IN_TESTVILLE)["contact_count"] == 2
    assert ok(account.get(f"{LISTS}/{made['id']}/contacts/count"))["contact_count"] == 2


# -- the Lists API ----------------------------------------------------------------------------
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


def test_bad_list_input_is_refused_in_the_dialect_and_changes_nothing(account: httpx.Client):
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
