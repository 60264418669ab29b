"""The vectorized world build: ids, addresses and events as the one-at-a-time code made them,
queries sharing a table scan select what each selects alone, memberships read as sets."""

from __future__ import annotations

import copy
import hashlib
import uuid

import numpy as np
import pytest
import yaml

from mockserver.resources import bundled_dir
from mockserver.vendors.sendgrid import store as store_module
from mockserver.vendors.sendgrid.catalog import build_catalog
from mockserver.vendors.sendgrid.emails import claim_all, local_parts
from mockserver.vendors.sendgrid.events import event_batches
from mockserver.vendors.sendgrid.fixtures import WorldSpec, resolve, with_places
from mockserver.vendors.sendgrid.query import QueryError
from mockserver.vendors.sendgrid.sql import parse_query
from mockserver.vendors.sendgrid.store import ContactStore, RowSet
from mockserver.vendors.sendgrid.values import parse_instant, stable_uuid, stable_uuids

BUNDLED = bundled_dir("fixtures") / "sendgrid"
WORLD = yaml.safe_load((BUNDLED / "world.yaml").read_text())
NOW = parse_instant("2024-06-03T12:00:00Z")
BASE = "SELECT contact_id, updated_at FROM contact_data WHERE "


def test_stable_uuids_are_the_uuid4_of_each_keys_digest():
    keys = [str(i) for i in range(3_000)] + ["", "é", "x\x1fy"]
    digests = [hashlib.sha256(f"7\x1fcontact\x1f{k}".encode()).digest() for k in keys]
    expected = [str(uuid.UUID(bytes=d[:16], version=4)) for d in digests]
    assert stable_uuids(7, "contact", keys) == expected
    assert [stable_uuid(7, "contact", k) for k in keys] == expected
    assert stable_uuids(0, "contact", []) == []


def local_part(f: str, ln: str, pattern: int, number: float) -> str:
    """The one-address-at-a-time spelling the vectorized ``local_parts`` replaces."""
    if pattern == 0:
        return f"{f}.{ln}"
    if pattern == 1:
        return f"{f}{ln}"
    if pattern == 2:
        return f"{f[0]}{ln}"
    if pattern == 3:
        return f"{f}.{ln}{1 + int(number * 99)}"
    if pattern == 4:
        return f"{f}_{ln}{60 + int(number * 40)}"
    return f"{f}{ln[0]}{1 + int(number * 999)}"


def test_local_parts_spell_names_as_one_at_a_time():
    rng = np.random.default_rng(1)
    f = [["ann", "bo", "x"][i] for i in rng.integers(0, 3, 600)]
    ln = [["lee", "smithson", "q"][i] for i in rng.integers(0, 3, 600)]
    pattern, number = rng.integers(0, 6, 600), rng.random(600)
    number[:6] = [0.0, 0.999999, 0.5, 0.010101, 0.975, 0.9999999999]
    rows = zip(f, ln, pattern.tolist(), number.tolist(), strict=True)
    expected = [local_part(a, b, p, k) for a, b, p, k in rows]
    assert local_parts(f, ln, pattern, number) == expected


def test_a_taken_address_gets_the_first_free_serial():
    claimed = claim_all(["a@x.com", "a@x.com", "a2@x.com", "a@x.com", "b@x.com", "a@y.com"])
    assert claimed == ["a@x.com", "a2@x.com", "a22@x.com", "a3@x.com", "b@x.com", "a@y.com"]


@pytest.fixture()
def store() -> ContactStore:
    store = ContactStore([("plan", "text")])
    rows = [
        ("c1", "ann@gmail.com", "CA", "pro", NOW - 5),
        ("c2", "bob@corp.com", "TX", "free", NOW - 50),
        ("c3", "cy@gmail.com", "CA", None, NOW - 500),
        ("c4", "di@corp.com", "NY", "pro", NOW - 5000),
    ]
    store.insert_contacts(
        (cid, email, None, None, None, "F", "L", "[]", "1 Main Street", "", "City", state,
         "94103", "United States", "[]", at, at, "[]", None, None, None, None, None, plan)
        for cid, email, state, plan, at in rows
    )  # fmt: skip
    return store


def test_event_batches_are_the_rows_inserted_one_by_one(store):
    times = np.array([NOW - 9, NOW - 3, NOW - 1])
    opened = ("mail", "opened", np.array([0, 2, 3]), times)
    store.insert_event_batches([opened, ("mail", "clicked", np.array([2]), times[1:2])])
    assert store.db.execute("SELECT * FROM event_data ORDER BY rowid").fetchall() == [
        ("c1", "mail", "opened", NOW - 9),
        ("c3", "mail", "opened", NOW - 3),
        ("c4", "mail", "opened", NOW - 1),
        ("c3", "mail", "clicked", NOW - 3),
    ]


def test_list_ids_are_set_in_chunks(store, monkeypatch):
    monkeypatch.setattr(store_module, "LIST_IDS_CHUNK", 3)
    store.set_list_ids(['["L1"]', None, None, '["L1","L2"]'])
    got = store.db.execute("SELECT contact_id, list_ids FROM contact_data ORDER BY rowid")
    assert got.fetchall() == [("c1", '["L1"]'), ("c2", "[]"), ("c3", "[]"), ("c4", '["L1","L2"]')]


def test_queries_sharing_one_scan_select_what_each_selects_alone(store):
    wheres = [
        "state_province_region = 'CA'",
        "plan IS NULL OR created_at < (1717416000 - 100)",
        "email LIKE '%@corp.com' AND plan = 'pro'",
        "CONTAINS(list_ids, 'L9')",  # a subquery of the row's own list_ids
        "contact_id IN (SELECT contact_id FROM event_data)",  # reads a table: run by itself
        "created_at > NOW()",
    ]
    queries = [parse_query(BASE + where, NOW) for where in wheres]
    queries.append(parse_query("SELECT c.contact_id, c.updated_at FROM contact_data AS c", NOW))
    assert [q.scan is not None for q in queries] == [True, True, True, True, False, True, True]
    together = store.members_of(queries)
    alone = [store.members(query) for query in queries]
    assert together == alone
    assert [set(members) for members in together] == [
        {0, 2},
        {2, 3},
        {3},
        set(),
        set(),
        set(),
        {0, 1, 2, 3},
    ]


def test_a_failing_query_is_told_apart_from_those_sharing_its_scan(store):
    queries = [parse_query(BASE + where, NOW) for where in ("plan = 'pro'", "shoe_size > 40")]
    good, bad = store.members_of(queries)
    assert good == {0, 3}
    assert isinstance(bad, QueryError) and "no such column: shoe_size" in str(bad)


def test_a_row_set_reads_as_a_frozen_set():
    rows = RowSet(np.array([1, 4, 9]))
    assert rows == {1, 4, 9} == frozenset(rows) and rows != {1, 4}
    assert 4 in rows and 5 not in rows and "4" not in rows and np.int64(9) in rows
    assert len(rows) == 3 and list(rows) == [1, 4, 9] and max(rows) == 9
    assert rows & RowSet(np.array([0, 4, 9])) == {4, 9}
    assert rows & {9, 10} == {9}
    assert hash(rows) == hash(RowSet(np.array([1, 4, 9])))


def world_with_lists(*rules: dict) -> WorldSpec:
    """The bundled world with 400 contacts and ``rules`` as extra lists."""
    document = copy.deepcopy(WORLD)
    document["contacts"]["count"] = 400
    document["lists"] = [*document["lists"], *rules]
    return resolve(with_places(document, BUNDLED), 0)


def test_a_list_rule_reading_events_sees_every_event():
    """Such a rule runs after contacts and events are in; the others run before."""
    spec = world_with_lists(
        {
            "key": "openers",
            "name": "Opened anything",
            "where": "contact_id IN"
            " (SELECT contact_id FROM event_data WHERE event_type = 'opened')",
        }
    )
    catalog = build_catalog(spec, 0)
    openers = {
        catalog.contacts.ids[row]
        for batch in event_batches(spec, 0, catalog.contacts)
        if batch.type == "opened"
        for row in batch.contacts.tolist()
    }
    list_id = next(item.id for item in spec.lists if item.key == "openers")
    assert openers and {catalog.contacts.ids[i] for i in catalog.list_members[list_id]} == openers
    customers = next(item.id for item in spec.lists if item.key == "customers")
    plan = catalog.contacts.custom["plan"]
    assert catalog.list_members[customers] == {i for i in range(400) if plan[i] != "free"}


def test_rules_run_before_the_contacts_are_in_see_every_column():
    spec = world_with_lists(
        {"key": "no-whatsapp", "name": "No WhatsApp", "where": "whatsapp IS NULL"},
        {"key": "unlisted", "name": "In no list yet", "where": "list_ids = '[]'"},
        {"key": "tx", "name": "Texans", "where": "state_province_region = 'TX'"},
    )
    catalog = build_catalog(spec, 0)
    by_key = {item.key: item.id for item in spec.lists}
    everyone = set(range(400))
    assert catalog.list_members[by_key["no-whatsapp"]] == everyone
    assert catalog.list_members[by_key["unlisted"]] == everyone
    states = catalog.contacts.states
    assert catalog.list_members[by_key["tx"]] == {i for i in everyone if states[i] == "TX"}
    # and the contacts went in with their lists
    texans = [i for i in everyone if states[i] == "TX"]
    assert texans and all(by_key["tx"] in catalog.contacts.list_ids[i] for i in texans)
