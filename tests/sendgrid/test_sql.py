"""The Segmentation Query Language subset: parsed by sqlglot, run by SQLite."""

from __future__ import annotations

import numpy as np
import pytest

from mockserver.vendors.sendgrid.query import QueryError
from mockserver.vendors.sendgrid.sql import parse_query
from mockserver.vendors.sendgrid.store import ContactStore
from mockserver.vendors.sendgrid.values import parse_instant

NOW = parse_instant("2024-06-03T12:00:00Z")
BASE = "SELECT contact_id, updated_at FROM contact_data WHERE "


@pytest.fixture()
def store() -> ContactStore:
    """Three contacts and a few events, enough to tell the operators apart."""
    store = ContactStore([("plan", "text"), ("seats", "number"), ("renews_at", "date")])
    rows = [
        ("c1", "ann@gmail.com", None, "Ann", "CA", '["L1","L2"]', "2024-05-20", "pro", 5),
        ("c2", "bob@corp.com", "+1415", "Bob", "TX", '["L2"]', "2023-01-10", "free", None),
        ("c3", "cy@gmail.com", None, "Cy", "CA", "[]", "2022-02-02", None, 50),
    ]
    store.insert_contacts(
        (cid, email, phone, None, None, first, "X", "[]", "1 Main Street", "", "City", state,
         "94103", "United States", lists, parse_instant(created), parse_instant(created),
         '["gmail.com"]', phone, None, None, None, None, plan, seats, None)
        for cid, email, phone, first, state, lists, created, plan, seats in rows
    )  # fmt: skip
    days_ago = np.array([5, 6, 40, 1]) * 86_400
    store.insert_event_batches(  # contacts by row: c1, c1, c2 opened; c3 clicked
        [
            ("mail", "opened", np.array([0, 0, 1]), NOW - days_ago[:3]),
            ("mail", "clicked", np.array([2]), NOW - days_ago[3:]),
        ]
    )
    return store


def ids(store: ContactStore, where: str) -> set[str]:
    names = {0: "c1", 1: "c2", 2: "c3"}
    return {names[i] for i in store.members(parse_query(BASE + where, NOW))}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("state_province_region = 'CA'", {"c1", "c3"}),
        ("state_province_region != 'CA'", {"c2"}),
        ("NOT state_province_region = 'CA'", {"c2"}),
        ("email LIKE '%@gmail.com'", {"c1", "c3"}),
        ("email NOT LIKE '%@gmail.com'", {"c2"}),
        ("plan IN ('pro', 'free')", {"c1", "c2"}),
        ("plan NOT IN ('pro')", {"c2"}),
        ("plan IS NULL", {"c3"}),
        ("phone_number_id IS NOT NULL", {"c2"}),
        ("seats >= 5 AND seats < 50", {"c1"}),
        ("seats > 10 OR plan = 'free'", {"c2", "c3"}),
        ("first_name = \"Bob\"", {"c2"}),
        ("CONTAINS(list_ids, 'L2')", {"c1", "c2"}),
        ("NOT CONTAINS(list_ids, 'L1')", {"c2", "c3"}),
        ("CONTAINS(email_domains, 'gmail.com')", {"c1", "c2", "c3"}),
        ("created_at >= NOW() - INTERVAL 30 DAY", {"c1"}),
        ("created_at > NOW() - INTERVAL '3 year'", {"c1", "c2", "c3"}),
        ("created_at < NOW() - INTERVAL 2 YEAR", {"c3"}),
        ("created_at >= DATE_SUB(NOW(), INTERVAL 1 MONTH)", {"c1"}),
        ("created_at >= '2023-01-01T00:00:00Z'", {"c1", "c2"}),
        ("created_at < '2023-01-10'", {"c3"}),
        ("postal_code LIKE '941%'", {"c1", "c2", "c3"}),
        ("contact_id IN (SELECT contact_id FROM event_data WHERE event_type = 'opened')",
         {"c1", "c2"}),
    ],
)  # fmt: skip
def test_operators(store, where, expected):
    assert ids(store, where) == expected


def test_a_join_on_event_data_counts_each_contact_once(store):
    query = parse_query(
        "SELECT c.contact_id, c.updated_at FROM contact_data AS c "
        "INNER JOIN event_data AS e ON c.contact_id = e.contact_id "
        "WHERE e.event_type = 'opened' AND e.event_timestamp >= NOW() - INTERVAL 30 DAY",
        NOW,
    )
    assert store.members(query) == {0}


def test_now_is_the_worlds_now_not_the_wall_clock():
    sql = parse_query(BASE + "created_at >= NOW() - INTERVAL 1 DAY", NOW).sqlite
    assert str(NOW) in sql and "NOW(" not in sql.upper()


def test_query_json_is_the_parsed_tree():
    ast = parse_query(BASE + "state_province_region = 'CA' AND seats > 3", NOW).ast
    assert ast["type"] == "select"
    assert [c["this"] for c in ast["expressions"]] == ["contact_id", "updated_at"]
    condition = ast["where"]["this"]
    assert condition["type"] == "and"
    assert condition["this"] == {
        "type": "eq",
        "this": {"type": "column", "this": "state_province_region"},
        "expression": {"type": "literal", "value": "CA"},
    }
    assert condition["expression"]["expression"] == {"type": "literal", "value": 3}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("SELECT contact_id, updated_at FROM contact_data WHERE (", "does not parse"),
        ("DELETE FROM contact_data", "single SELECT"),
        ("SELECT 1; SELECT 2", "single SELECT"),
        ("SELECT contact_id FROM contact_data", "contact_id, updated_at"),
        ("SELECT contact_id, updated_at FROM users", "FROM contact_data"),
        (BASE + "contact_id IN (SELECT id FROM secrets)", "unknown table"),
        (BASE + "created_at > NOW() - INTERVAL 3 FORTNIGHT", "interval"),
        (BASE + "x = 1 ORDER BY email", "ORDER"),
        (BASE + "created_at > '2024-13-45'", "invalid timestamp"),
    ],
)
def test_queries_outside_the_subset_are_refused(text, reason):
    with pytest.raises(QueryError, match=reason):
        parse_query(text, NOW)


def test_unknown_columns_fail_when_evaluated(store):
    with pytest.raises(QueryError, match="no such column: shoe_size"):
        store.members(parse_query(BASE + "shoe_size > 40", NOW))
