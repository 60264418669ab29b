"""Segment membership recomputed here, in plain Python, from the contacts' fields.

SQLite computed the mock's memberships from each segment's query; these predicates
restate a few of those queries independently. Counts and samples served over HTTP
must agree with them, and with the lists' own rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from mockserver.vendors.sendgrid.events import event_batches
from tests.sendgrid.conftest import SEGMENTS

DAY = 86_400
Predicate = Callable[[int], bool]


@pytest.fixture(scope="module")
def facts(catalog):
    """Per-contact facts the predicates read: fields, list names, last open."""
    spec, contacts = catalog.spec, catalog.contacts
    list_names = {item.id: item.key for item in spec.lists}
    lists = [{list_names[i] for i in ids} for ids in contacts.list_ids]
    last_open: dict[str, int] = {}
    for batch in event_batches(spec, 0, contacts):
        if batch.type == "opened":
            for row, at in zip(batch.contacts.tolist(), batch.timestamps.tolist(), strict=True):
                contact_id = contacts.ids[row]
                last_open[contact_id] = max(at, last_open.get(contact_id, 0))
    return spec.now, contacts, lists, last_open


def predicates(facts) -> dict[str, Predicate]:
    now, c, lists, last_open = facts
    plan, ltv = c.custom["plan"], c.custom["lifetime_value"]
    purchase = c.custom["last_purchase_at"]
    year_ago = datetime.fromtimestamp(now, timezone.utc)
    year_ago = int(year_ago.replace(year=year_ago.year - 1).timestamp())

    def opened_since(i: int, days: int) -> bool:
        return last_open.get(c.ids[i], 0) >= now - days * DAY

    return {
        "Customers in California": lambda i: "customers" in lists[i] and c.states[i] == "CA",
        "Opened in the last 30 days": lambda i: opened_since(i, 30),
        "Newsletter readers gone quiet (no opens in 90 days)": (
            lambda i: "newsletter" in lists[i] and not opened_since(i, 90)
        ),
        "High-value customers": lambda i: "customers" in lists[i] and ltv[i] >= 5000,
        "Gmail users": lambda i: c.emails[i].endswith("@gmail.com"),
        "West Coast contacts": lambda i: c.states[i] in {"CA", "OR", "WA"},
        "Missing phone number": lambda i: c.phone_number_ids[i] is None,
        "Joined in the last 30 days": lambda i: c.created_at[i] >= now - 30 * DAY,
        "Not updated in over a year": lambda i: c.updated_at[i] < year_ago,
        "Customers without a purchase in 6 months": lambda i: (
            "customers" in lists[i] and (purchase[i] is None or purchase[i] < now - 180 * DAY)
        ),
        "Newsletter subscribers who are not customers": (
            lambda i: "newsletter" in lists[i] and "customers" not in lists[i]
        ),
        "VIP customers on the newsletter": lambda i: {"vip", "newsletter"} <= lists[i],
        "Bay Area (941xx postal codes)": lambda i: str(c.postal_codes[i]).startswith("941"),
        "Alaska enterprise accounts under $8,000": (
            lambda i: plan[i] == "enterprise" and c.states[i] == "AK" and ltv[i] < 8000
        ),
    }


NAMES = [
    "Customers in California",
    "Opened in the last 30 days",
    "Newsletter readers gone quiet (no opens in 90 days)",
    "High-value customers",
    "Gmail users",
    "West Coast contacts",
    "Missing phone number",
    "Joined in the last 30 days",
    "Not updated in over a year",
    "Customers without a purchase in 6 months",
    "Newsletter subscribers who are not customers",
    "VIP customers on the newsletter",
    "Bay Area (941xx postal codes)",
    "Alaska enterprise accounts under $8,000",
]


def test_every_predicate_is_checked(facts):
    assert sorted(predicates(facts)) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_members_are_the_contacts_the_predicate_selects(catalog, facts, sg, name):
    predicate = predicates(facts)[name]
    contacts = catalog.contacts
    expected = {contacts.ids[i] for i in range(len(contacts)) if predicate(i)}
    (segment,) = [s for s in catalog.segments if s.spec.name == name]
    assert {contacts.ids[i] for i in segment.members} == expected

    full = sg.get(f"{SEGMENTS}/{segment.id}").json()
    assert full["contacts_count"] == len(expected)
    sample = [contact["id"] for contact in full["contacts_sample"]]
    assert set(sample) <= expected
    assert len(sample) == min(50, len(expected))


def test_the_default_world_has_empty_small_and_large_segments(catalog):
    counts = sorted(len(s.members) for s in catalog.segments)
    assert counts[0] == 0
    assert counts[-1] > len(catalog.contacts) / 3


def test_rule_lists_hold_exactly_the_contacts_their_rule_admits(catalog):
    contacts = catalog.contacts
    plan, source = contacts.custom["plan"], contacts.custom["signup_source"]
    by_key = {item.key: item.id for item in catalog.spec.lists}
    customers = {i for i in range(len(contacts)) if plan[i] != "free"}
    partners = {i for i in range(len(contacts)) if source[i] == "partner"}
    assert catalog.list_members[by_key["customers"]] == customers
    assert catalog.list_members[by_key["partners"]] == partners


def test_shared_lists_take_about_their_share(catalog):
    newsletter = next(item for item in catalog.spec.lists if item.key == "newsletter")
    share = len(catalog.list_members[newsletter.id]) / len(catalog.contacts)
    assert abs(share - newsletter.share) < 0.05
