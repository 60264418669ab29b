"""The fixtures format: what loads, and the load errors that name what is wrong."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from mockserver.cli import main
from mockserver.errors import DataError
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.state.ledger import Ledger, MemoryWriteLog
from mockserver.state.memory import MemoryWindows
from mockserver.vendors.interface import VendorOptions
from mockserver.vendors.sendgrid import VENDOR
from mockserver.vendors.sendgrid.fixtures import FixtureError, load, resolve
from tests.sendgrid.conftest import sg_key

BUNDLED = bundled_dir("fixtures") / "sendgrid"
WORLD = yaml.safe_load((BUNDLED / "world.yaml").read_text())


def document(**changes) -> dict:
    doc = copy.deepcopy(WORLD)
    doc["contacts"]["count"] = 40
    doc.update(changes)
    return doc


def problems(doc: dict) -> list[str]:
    with pytest.raises(FixtureError) as caught:
        VENDOR.build(
            VendorOptions(windows=MemoryWindows(), writes=Ledger(MemoryWriteLog()), seed=0), doc
        )
    assert isinstance(caught.value, DataError)
    return caught.value.reasons


def test_the_default_world_has_the_promised_size(world):
    assert 8 <= len(world.lists) <= 12
    assert 20 <= len(world.segments) <= 30
    assert 1500 <= world.contacts <= 2500
    parents = [s.parent_list_id for s in world.segments]
    assert any(parents) and not all(parents)


def test_a_query_that_does_not_parse_names_the_segment():
    doc = document()
    doc["segments"][3]["query"] = "SELECT contact_id, updated_at FROM contact_data WHERE plan = ="
    (reason,) = problems(doc)
    assert f"segment {doc['segments'][3]['name']!r}" in reason and "does not parse" in reason


def test_a_query_sqlite_cannot_run_names_the_segment():
    doc = document()
    doc["segments"][0]["query"] = "SELECT contact_id, updated_at FROM contact_data WHERE x = 1"
    (reason,) = problems(doc)
    assert "segment 'Customers in California'" in reason and "no such column: x" in reason


def test_every_problem_is_reported_at_once():
    doc = document()
    doc["segments"][0]["parent_list"] = "no-such-list"
    doc["segments"][1]["query"] = "SELECT nonsense FROM"
    doc["segments"][2]["query"] = "SELECT contact_id, updated_at FROM contact_data WHERE " + (
        "CONTAINS(list_ids, '{list:ghost}')"
    )
    doc["lists"][1]["where"] = "plan = = 'x'"
    reasons = problems(doc)
    assert len(reasons) == 4
    assert any("parent_list: unknown list 'no-such-list'" in r for r in reasons)
    assert any("unknown list 'ghost'" in r for r in reasons)
    assert any("list 'Customers'" in r and "where" in r for r in reasons)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"now": "next tuesday"}, "now: not an ISO 8601 timestamp"),
        ({"now": "soon"}, 'now: "soon" is shorter than 10 characters'),
        ({"contacts": "many"}, 'contacts: "many" is not of type "object"'),
        ({"segments": [{"name": "No query"}]}, 'segments[0]: "query" is a required property'),
        ({"lists": [{"key": "Bad Key", "name": "x"}]}, "lists[0].key"),
        ({"surprise": 1}, "'surprise' was unexpected"),
    ],
)
def test_shape_problems_name_the_field(changes, fragment):
    assert any(fragment in reason for reason in problems(document(**changes)))


def test_duplicate_names_and_keys_are_refused():
    doc = document()
    doc["segments"].append(copy.deepcopy(doc["segments"][0]))
    doc["lists"].append(copy.deepcopy(doc["lists"][0]))
    reasons = problems(doc)
    assert any("the name is used twice" in r for r in reasons)
    assert any("key 'newsletter' is used twice" in r for r in reasons)


def test_duplicate_explicit_ids_are_refused():
    doc = document()
    doc["segments"][0]["id"] = doc["segments"][1]["id"] = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    assert any("segment id aaaaaaaa-" in reason for reason in problems(doc))


def test_custom_field_rules_are_checked():
    doc = document()
    fields = doc["contacts"]["custom_fields"]
    fields["email"] = {"type": "text", "values": {"a": 1}}
    fields["lifetime_value"]["cases"].pop("enterprise")
    fields["odd"] = {"type": "number", "range": [5, 1]}
    reasons = problems(doc)
    assert any("'email' is a reserved field" in r for r in reasons)
    assert any("lifetime_value: cases: no case for enterprise" in r for r in reasons)
    assert any("odd" in r and "low end is above the high end" in r for r in reasons)


def test_a_data_document_builds_a_world():
    doc = document()
    doc["segments"] = [
        {"name": "Texans", "query": "SELECT contact_id, updated_at FROM contact_data "
         "WHERE state_province_region = 'TX'"},
    ]  # fmt: skip
    backend = VENDOR.build(
        VendorOptions(windows=MemoryWindows(), writes=Ledger(MemoryWriteLog()), seed=3), doc
    )
    (segment,) = backend.catalog.segments
    contacts = backend.catalog.contacts
    assert {contacts.ids[i] for i in segment.members} == {
        contacts.ids[i] for i in range(len(contacts)) if contacts.states[i] == "TX"
    }


def test_explicit_ids_are_kept():
    doc = document()
    doc["lists"][0]["id"] = "11111111-2222-4333-8444-555555555555"
    doc["segments"][0]["id"] = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    spec = resolve(doc | {"places": yaml.safe_load((BUNDLED / "places.yaml").read_text())}, 0)
    assert spec.lists[0].id == "11111111-2222-4333-8444-555555555555"
    assert spec.segments[0].id == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def test_list_placeholders_become_list_ids(world):
    vip = next(item.id for item in world.lists if item.key == "vip")
    segment = next(s for s in world.segments if s.name == "VIP customers on the newsletter")
    assert f"CONTAINS(list_ids, '{vip}')" in segment.query.text


def test_a_fixtures_directory_without_places_uses_the_bundled_ones(tmp_path: Path):
    (tmp_path / "world.yaml").write_text(yaml.safe_dump(document()))
    spec = load(tmp_path, None, 0, BUNDLED)
    assert spec.contacts == 40 and len(spec.places) > 10


def test_fixture_keys_restrict_access():
    doc = document(keys=[{"key": "my-test-key", "scopes": ["marketing.read"]}])
    backend = VENDOR.build(
        VendorOptions(windows=MemoryWindows(), writes=Ledger(MemoryWriteLog()), seed=0), doc
    )
    spec = load_spec("sendgrid", bundled_dir("specs") / VENDOR.spec_file)
    operation = spec.operation("ListSegment")
    assert backend.authorize(operation, "my-test-key") is None
    refused = backend.authorize(operation, sg_key("a"))
    assert refused is not None and refused.status == 401


def test_serve_refuses_bad_fixtures_with_one_line_and_exit_2(tmp_path: Path, capsys):
    doc = document()
    doc["segments"][5]["query"] = "SELECT contact_id, updated_at FROM contact_data WHERE (("
    (tmp_path / "sendgrid").mkdir()
    (tmp_path / "sendgrid" / "world.yaml").write_text(yaml.safe_dump(doc))
    assert main(["serve", "--api", "sendgrid", "--fixtures", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "segment 'Enterprise accounts'" in err


def test_the_contacts_option_sizes_the_world():
    backend = VENDOR.build(
        VendorOptions(
            windows=MemoryWindows(),
            writes=Ledger(MemoryWriteLog()),
            seed=0,
            extra={"contacts": 300},
        ),
        document(),
    )
    catalog = backend.catalog
    assert len(catalog.contacts) == 300 == len(set(catalog.contacts.ids))
    assert all(max(s.members, default=0) < 300 for s in catalog.segments)
    assert backend.inventory()["contacts"] == catalog.contacts.ids
    assert backend.inventory()["segments"] == [s.id for s in catalog.segments]
