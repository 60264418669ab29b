"""Segments, contacts and lists agree with each other, and the contacts are plausible."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import yaml

from mockserver.resources import bundled_dir
from tests.sendgrid.conftest import SEGMENTS

EMAIL = re.compile(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]{2,}")


@pytest.fixture(scope="module")
def listed(sg) -> list[dict]:
    return sg.get(SEGMENTS).json()["results"]


@pytest.fixture(scope="module")
def full(sg, listed) -> dict[str, dict]:
    return {s["id"]: sg.get(f"{SEGMENTS}/{s['id']}").json() for s in listed}


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_list_and_get_agree_on_every_shared_field(listed, full):
    for summary in listed:
        segment = full[summary["id"]]
        shared = set(summary) & set(segment)
        assert shared == set(summary)
        assert {k: segment[k] for k in shared} == summary


def test_segment_timestamps_are_ordered_and_before_now(listed, catalog):
    now = catalog.spec.now
    for segment in listed:
        created, updated = when(segment["created_at"]), when(segment["updated_at"])
        sampled, upcoming = when(segment["sample_updated_at"]), when(segment["next_sample_update"])
        assert created <= updated <= sampled < upcoming
        assert sampled.timestamp() <= now


def test_sampled_contacts_know_their_segments_and_lists(full, catalog):
    members = {s.id: {catalog.contacts.ids[i] for i in s.members} for s in catalog.segments}
    list_ids = {item.id for item in catalog.spec.lists}
    index = {contact_id: i for i, contact_id in enumerate(catalog.contacts.ids)}
    for segment_id, segment in full.items():
        for contact in segment["contacts_sample"]:
            assert contact["id"] in members[segment_id]
            belongs = [sid for sid, ids in members.items() if contact["id"] in ids]
            assert contact["segment_ids"] == belongs
            assert set(contact["list_ids"]) <= list_ids
            assert contact["list_ids"] == list(catalog.contacts.list_ids[index[contact["id"]]])
            if segment.get("parent_list_id"):
                assert segment["parent_list_id"] in contact["list_ids"]


def test_parent_list_fields_agree(full):
    for segment in full.values():
        parent = segment.get("parent_list_id")
        assert segment["parent_list_ids"] == ([parent] if parent else [])


def test_samples_are_stable_for_a_seed(catalog, rebuilt):
    assert [s.full_bytes for s in catalog.segments] == [s.full_bytes for s in rebuilt.segments]


def test_contacts_are_plausible(full):
    places = yaml.safe_load((bundled_dir("fixtures") / "sendgrid" / "places.yaml").read_text())
    where = {(p["city"], p["state"]): p for p in places}
    seen = [c for segment in full.values() for c in segment["contacts_sample"]]
    assert len(seen) > 200
    for contact in seen:
        place = where[(contact["city"], contact["state_province_region"])]
        assert contact["postal_code"] in place["postal_codes"]
        if "phone_number_id" in contact:
            assert int(contact["phone_number_id"][2:5]) in place["area_codes"]
        assert EMAIL.fullmatch(contact["email"]), contact["email"]
        emails = [contact["email"], *contact["alternate_emails"]]
        assert len(set(emails)) == len(emails)
        assert all(EMAIL.fullmatch(e) for e in contact["alternate_emails"])
        assert contact["first_name"] and contact["last_name"]
        assert re.fullmatch(r"\d+ [A-Z][a-z]+ [A-Z][a-z]+", contact["address_line_1"])
        assert set(contact["custom_fields"]) >= {"plan", "signup_source", "preferred_language"}


def test_custom_fields_follow_their_rules(full):
    for contact in (c for segment in full.values() for c in segment["contacts_sample"]):
        custom = contact["custom_fields"]
        if custom["plan"] == "free":
            assert custom["lifetime_value"] == 0 and "last_purchase_at" not in custom
        if custom["plan"] == "enterprise":
            assert custom["lifetime_value"] >= 8000


def test_emails_are_unique_across_the_world(catalog):
    contacts = catalog.contacts
    every = [*contacts.emails, *(e for alts in contacts.alternate_emails for e in alts)]
    assert len(every) == len(set(every))
