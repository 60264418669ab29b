"""The vendor's own published schemas (sendgrid/sendgrid-oai, copied in
vendor_schemas/contacts_lists.json) accept the mock's contacts and lists answers along a
lifecycle and for the documented failures. Where the mock departs from a published schema on
purpose (each said in the spec's x-inferred), the departure is named here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from tests.sendgrid.contacts_helpers import CONTACTS, LISTS, UNKNOWN, set_clock

VENDOR = json.loads(
    (Path(__file__).with_name("vendor_schemas") / "contacts_lists.json").read_text()
)
#: Our status where the vendor documents another one for the same answer (a create is 201).
VENDOR_STATUS = {("CreateList", 201): "200"}


def check(operation: str, response: httpx.Response, drop: tuple[str, ...] = ()) -> None:
    """The vendor's schema of this operation and status accepts the answer (``drop``: keys the
    mock answers differently on purpose)."""
    status = VENDOR_STATUS.get((operation, response.status_code), str(response.status_code))
    assert status in VENDOR["responses"][operation], (operation, status)
    schema = VENDOR["responses"][operation][status]
    if schema is None:
        return
    body: Any = response.json() if response.content else ""
    for key in drop:
        body.pop(key, None)
    validator = Draft202012Validator({**schema, "$defs": VENDOR["$defs"]})
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not problems, (operation, status, problems)


def test_the_vendor_schemas_accept_the_answers(account, contacts_server):
    made = account.post(LISTS, json={"name": "Vendor shapes"})
    check("CreateList", made)
    list_id = made.json()["id"]
    check("ListLists", account.get(LISTS, params={"page_size": 2}))
    check("UpdateList", account.patch(f"{LISTS}/{list_id}", json={"name": "Vendor shapes 2"}))
    body = {
        "list_ids": [list_id],
        "contacts": [{"email": "shape@example.com", "first_name": "Shape", "custom_fields":
                      {"e1_T": "pro"}}],
    }  # fmt: skip
    upserted = account.put(CONTACTS, json=body)
    check("UpsertContacts", upserted)
    job = upserted.json()["job_id"]
    check("GetImportStatus", account.get(f"{CONTACTS}/imports/{job}"))
    set_clock(contacts_server, advance="PT5S")
    check("GetImportStatus", account.get(f"{CONTACTS}/imports/{job}"))
    check("GetListContactCount", account.get(f"{LISTS}/{list_id}/contacts/count"))
    # The vendor's schema types contact_sample as ONE contact; its text, and the mock, a list.
    check("GetList", account.get(f"{LISTS}/{list_id}", params={"contact_sample": "true"}),
          drop=("contact_sample",))  # fmt: skip
    check("ListContacts", account.get(CONTACTS))
    check("GetContactCount", account.get(f"{CONTACTS}/count"))
    found = account.post(f"{CONTACTS}/search/emails", json={"emails": ["shape@example.com"]})
    check("SearchContactsByEmails", found)
    contact = found.json()["result"]["shape@example.com"]["contact"]["id"]
    check("GetContact", account.get(f"{CONTACTS}/{contact}"))
    check("GetContactsBatch", account.post(f"{CONTACTS}/batch", json={"ids": [contact]}))
    check("SearchContacts", account.post(f"{CONTACTS}/search", json={"query": "1 = 1"}))
    check("ListFieldDefinitions", account.get("/v3/marketing/field_definitions"))
    removal = f"{LISTS}/{list_id}/contacts"
    check("RemoveListContacts", account.delete(removal, params={"contact_ids": contact}))
    # The vendor types this job_id as an object; the job ids of its other answers are strings.
    deleted = account.delete(CONTACTS, params={"ids": contact})
    assert deleted.status_code == 202 and isinstance(deleted.json()["job_id"], str)
    check("DeleteList", account.delete(f"{LISTS}/{list_id}", params={"delete_contacts": "true"}))
    other = account.post(LISTS, json={"name": "Deleted alone"}).json()["id"]
    check("DeleteList", account.delete(f"{LISTS}/{other}"))


def test_the_vendor_schemas_accept_the_failures(account):
    check("CreateList", account.post(LISTS, json={"name": ""}))
    check("UpdateList", account.patch(f"{LISTS}/{UNKNOWN}", json={"name": "x"}))
    check("DeleteList", account.delete(f"{LISTS}/{UNKNOWN}"))
    check("GetListContactCount", account.get(f"{LISTS}/{UNKNOWN}/contacts/count"))
    check("UpsertContacts", account.put(CONTACTS, json={"contacts": [{"email": "nope"}]}))
    check("DeleteContacts", account.delete(CONTACTS))
    check("SearchContacts", account.post(f"{CONTACTS}/search", json={"query": "((("}))
    nobody = {"emails": ["nobody@example.com"]}
    check("SearchContactsByEmails", account.post(f"{CONTACTS}/search/emails", json=nobody))
    check("GetContactsBatch", account.post(f"{CONTACTS}/batch", json={"ids": [UNKNOWN]}))
    # RemoveListContacts' 400 is one `error` object in the vendor's schema; the mock answers
    # SendGrid's usual {"errors": [...]} as every other operation does (not checked).
    # GetList's 404 is an array in the vendor's schema: likewise the usual body (not checked).
