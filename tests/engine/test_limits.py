"""The bounds under every data load (issue 11, reproduction 1), unit by unit: the YAML loader,
the load budget and how it stops SQLite, the fixture limits at start-up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mockserver.budget import Budget, checkpoint, raise_if_interrupted, running, sqlite_guard
from mockserver.cli import main
from mockserver.errors import ControlError, InvalidDocument, LimitError
from mockserver.resources import bundled_dir
from mockserver.serialize import MAX_ALIAS_EXPANSION, load_yaml, read_yaml_file
from mockserver.serialize.child import ChildRefusal, load_yaml_in_child


def bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefghijk", "bcdefghijkl"[: levels - 1], strict=False):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_built():
    with pytest.raises(LimitError) as caught:
        load_yaml(bomb())
    assert caught.value.limit == "YAML aliases" and caught.value.status == 413
    assert f"more than {MAX_ALIAS_EXPANSION:,} beyond" in str(caught.value)


def test_a_few_shared_blocks_are_fine():
    text = "rule: &rule {type: text, values: {a: 1}}\nx: *rule\ny: *rule\n"
    assert load_yaml(text) == {"rule": {"type": "text", "values": {"a": 1}}} | {
        "x": {"type": "text", "values": {"a": 1}},
        "y": {"type": "text", "values": {"a": 1}},
    }


def test_a_document_that_contains_itself_is_refused():
    with pytest.raises(LimitError, match="refers to itself"):
        load_yaml("a: &a [1, *a]\n")


@pytest.mark.parametrize("text", ["a: 2024-13-45\n", "a: " + "9" * 5000 + "\n", "a: !!binary é\n"])
def test_a_value_the_safe_constructor_cannot_build_is_invalid_yaml(text):
    with pytest.raises(InvalidDocument):
        load_yaml(text)


def test_nesting_is_bounded_by_libyaml():
    with pytest.raises(InvalidDocument):
        load_yaml("[" * 10_000 + "]" * 10_000)


def test_a_file_past_the_byte_limit_is_refused_unread(tmp_path):
    path = tmp_path / "world.yaml"
    path.write_text("a: 1\n" * 1000)
    assert read_yaml_file(path, 10_000) == {"a": 1}
    with pytest.raises(LimitError) as caught:
        read_yaml_file(path, 4096)
    assert caught.value.limit == "--max-load-bytes" and str(path) in str(caught.value)


def test_the_child_parser_answers_json_and_refusals():
    assert load_yaml_in_child(b"a: &x [1]\nb: *x\nwhen: 2024-06-03\n", lambda: False) == {
        "a": [1],
        "b": [1],
        "when": "2024-06-03",
    }
    with pytest.raises(ChildRefusal) as caught:
        load_yaml_in_child(bomb().encode(), lambda: False)
    assert caught.value.limit == "YAML aliases"
    with pytest.raises(ChildRefusal) as caught:
        load_yaml_in_child(b"a: [", lambda: False)
    assert caught.value.limit is None


def test_a_child_told_to_stop_is_killed():
    with pytest.raises(ChildRefusal, match="stopped"):
        load_yaml_in_child(b"a: 1\n" * 100, lambda: True)


def test_checkpoints_answer_to_the_budget_of_their_thread_only():
    checkpoint()  # outside a load: nothing
    expired = Budget(0)
    with running(expired), pytest.raises(LimitError) as caught:
        checkpoint()
    assert caught.value.status == 408 and caught.value.limit == "--load-timeout"
    cancelled = Budget(None)
    cancelled.cancel("the client disconnected")
    with running(cancelled), pytest.raises(ControlError) as stopped:
        checkpoint()
    assert stopped.value.status == 409 and "the client disconnected" in stopped.value.message
    checkpoint()  # the budget is gone with its block


def test_a_cancel_after_the_seal_is_too_late_and_a_seal_after_a_cancel_fails():
    sealed = Budget(None)
    assert sealed.seal() and not sealed.cancel("late")
    assert sealed.cancelled is None
    cancelled = Budget(None)
    assert cancelled.cancel("first") and not cancelled.seal()


def test_sqlite_statements_stop_when_the_budget_is_spent():
    budget = Budget(None)
    with running(budget):
        db = sqlite3.connect(":memory:")
        sqlite_guard(db)
        endless = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        )
        budget.cancel("a reset began after it")
        with pytest.raises(ControlError, match="a reset began after it"):
            try:
                db.execute(endless).fetchall()
            except sqlite3.Error as error:
                raise_if_interrupted(error)
                raise


def fixtures(tmp_path: Path, api: str, text: str) -> Path:
    directory = tmp_path / api
    directory.mkdir()
    name = "world.yaml" if api == "sendgrid" else "demo.yaml"
    (directory / name).write_text(text)
    if api == "sendgrid":
        places = bundled_dir("fixtures") / "sendgrid" / "places.yaml"
        (directory / "places.yaml").write_text(places.read_text())
    return tmp_path


def bundled(path: str) -> str:
    return (bundled_dir("fixtures") / path).read_text()


@pytest.mark.parametrize(
    ("api", "text", "flags", "message"),
    [
        (
            "sendgrid",
            bundled("sendgrid/world.yaml").replace("count: 2000", "count: 1000000000"),
            [],
            "contacts.count: more than 500,000",
        ),
        ("sendgrid", bomb(), [], "aliases expand it to"),
        (
            "sendgrid",
            bundled("sendgrid/world.yaml"),
            ["--max-load-bytes", "4096"],
            "--max-load-bytes",
        ),
        (
            "actionhub",
            bundled("actionhub/demo.yaml")
            .replace("count: 1000", "count: 1000000")
            .replace("recommendations_per_user: 12", "recommendations_per_user: 1000"),
            [],
            "more than 5,000,000",
        ),
    ],
)
def test_the_same_limits_apply_to_fixtures_at_start_up(tmp_path, capsys, api, text, flags, message):
    directory = fixtures(tmp_path, api, text)
    assert main(["serve", "--api", api, "--fixtures", str(directory), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockserver: error: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
