"""Fixture programs: the documented YAML format, validation errors naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mockserver.cli import main
from mockserver.errors import LimitError
from mockserver.vendors.actionhub.fixtures import FixtureError, load_programs, programs_from_data
from tests.actionhub.conftest import ActionHubApp

GOOD = {
    "program": "tiny",
    "action_types": ["view", "purchase"],
    "labels": [{"id": "cat-a", "name": "A"}, {"id": "brand-b", "name": "B"}],
    "assets": [
        {"id": "sku-1", "name": "One", "labels": ["cat-a", "brand-b"]},
        {"id": "sku-2", "name": "Two", "labels": ["cat-a"]},
    ],
    "users": {"count": 0},
    "recommendations": [
        {"user": "bob", "asset": "sku-1", "action_type": "view", "weight": 0.4},
        {"user": "alice", "asset": "sku-2", "action_type": "view", "weight": 0.9, "history": True},
        {"user": "carol-long-id", "asset": "sku-1", "action_type": "purchase", "weight": 0.7},
    ],
}


def write(directory: Path, document: object, name: str = "tiny.yaml") -> Path:
    folder = directory / "actionhub"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return path


def broken(**changes):
    document = yaml.safe_load(yaml.safe_dump(GOOD))
    for path, value in changes.items():
        target = document
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("__")]
        for part in parents:
            target = target[part]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return document


def test_explicit_program_serves_exactly_its_rows(tmp_path):
    write(tmp_path, GOOD)
    actionhub = ActionHubApp(fixtures_dir=tmp_path)
    tiny = {"program-id": "tiny"}
    assert (
        actionhub.get("/segment?labels=cat-a&min_weight=0", tiny).text
        == "alice\nbob\ncarol-long-id\n"
    )
    assert (
        actionhub.get("/segment?labels=brand-b&action_types=purchase", tiny).text
        == "carol-long-id\n"
    )
    assert actionhub.get("/segment?labels=cat-a&segment_type=base", tiny).text == "alice\n"
    body = actionhub.get("/segments?segment_basis=labels&min_weight=0", tiny).json()
    assert [
        (i["segment_basis_id"], i["action_type"], i["user_count"], i["strength"])
        for i in body["items"]
    ] == [
        ("cat-a", "view", 2, 0.65),
        ("brand-b", "purchase", 1, 0.7),
        ("brand-b", "view", 1, 0.4),
        ("cat-a", "purchase", 1, 0.7),
    ]


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (broken(action_types=KeyError), None, '"action_types" is a required property'),
        (broken(action_types=[]), "action_types", "has less than 1 item"),
        (broken(action_types=["view", "view"]), "action_types", "duplicate action type"),
        (broken(labels__0__id="has,comma"), "labels[0].id", "does not match"),
        (broken(labels__1__id="cat-a"), "labels[1].id", "duplicate id 'cat-a'"),
        (
            broken(assets__1__labels=["cat-a", "nope"]),
            "assets[1].labels[1]",
            "unknown label 'nope'",
        ),
        (broken(assets__0__name=7), "assets[0].name", '7 is not of type "string"'),
        (broken(assets__0__colour="red"), "assets[0]", "'colour' was unexpected"),
        (broken(recommendations__0__weight=1.5), "recommendations[0].weight", "greater than"),
        (broken(recommendations__0__asset="sku-9"), "recommendations[0].asset", "unknown asset"),
        (
            broken(recommendations__1__action_type="buy"),
            "recommendations[1].action_type",
            "unknown action",
        ),
        (
            broken(recommendations__1={**GOOD["recommendations"][0], "weight": 0.1}),
            "recommendations[1]",
            "duplicate (user, asset, action_type)",
        ),
        ("labels: [unclosed\n", None, "invalid YAML (line 2"),
        ("- just\n- a list\n", None, 'is not of type "object"'),
    ],
)
def test_a_bad_file_is_an_error_naming_file_and_field(tmp_path, document, field, message):
    path = write(tmp_path, document)
    with pytest.raises(FixtureError) as caught:
        load_programs(path.parent)
    text = str(caught.value)
    assert text.startswith(f"{path}: {field + ': ' if field else ''}")
    assert message in text
    assert "\n" not in text


def test_a_world_past_a_size_limit_is_refused_naming_the_limit(tmp_path):
    path = write(tmp_path, broken(users__count=2_000_000))
    with pytest.raises(LimitError) as caught:
        load_programs(path.parent)
    assert caught.value.limit == "users.count" and caught.value.status == 413
    assert str(caught.value) == (
        f"{path}: users.count: more than 1,000,000 (docs/actionhub-fixtures.md, Limits)"
    )


def test_two_files_defining_one_program_are_refused(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    path = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(FixtureError, match=f"{path}: program: 'tiny' is already defined by"):
        load_programs(path.parent)


def test_a_data_document_defining_one_program_twice_is_refused():
    with pytest.raises(FixtureError, match="<data:b>: program: 'tiny' is already defined by"):
        programs_from_data({"a": GOOD, "b": GOOD})


def test_serve_refuses_to_start_on_a_bad_fixture(tmp_path, capsys):
    path = write(tmp_path, broken(assets__1__labels=["nope"]))
    assert main(["serve", "--api", "actionhub", "--fixtures", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"mockserver: error: {path}: assets[1].labels[0]: unknown label 'nope'\n"


@pytest.mark.parametrize("users", ["-1", "1000001", "many"])
def test_users_option_is_bounded(users, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--users", users])
    assert exited.value.code == 2
    assert "--users" in capsys.readouterr().err


def test_users_option_sets_generated_volume():
    small = ActionHubApp(vendor_options={"actionhub": {"users": 50, "recommendations_per_user": 3}})
    world = small.runtime.backend.programs.get("anything").world
    assert len(world.users) == 50 and len(world.draw()) <= 150
    demo = small.runtime.backend.programs.get("demo").world
    assert len(demo.users) == 1002  # the fixture's own 1000 + its two explicit VIP users
