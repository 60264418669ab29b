"""The bundled world's queries and memberships are computed ahead of time, and the tables stay
current."""

from __future__ import annotations

import base64
import zlib

import orjson

from mockserver.resources import bundled_dir
from mockserver.vendors.sendgrid import compiled, memberships, names
from mockserver.vendors.sendgrid.catalog import build_catalog
from mockserver.vendors.sendgrid.fixtures import fixture_document, load
from mockserver.vendors.sendgrid.query import SegmentQuery
from mockserver.vendors.sendgrid.sql import parse_query
from mockserver.vendors.sendgrid.values import parse_instant, stable_uuid
from tests.processes import run_snippet


def test_the_table_is_what_the_installed_sqlglot_compiles():
    stored = orjson.loads(compiled.TABLE.read_bytes())
    fresh = {"witness": compiled.SQLGLOT.fingerprint(), "data": memberships.fresh_queries()}
    assert stored == fresh, "stale: run `make precompile`"


def test_the_name_tables_are_the_installed_fakers():
    stored = orjson.loads(names.TABLE.read_bytes())
    fresh = orjson.loads(orjson.dumps(names.from_faker()))
    expected = {"witness": names.FAKER.fingerprint(), "data": fresh}
    assert stored == expected, "stale: run `make precompile`"
    assert names.tables() == fresh


def test_a_query_round_trips_through_json():
    query = parse_query(
        "SELECT c.contact_id, c.updated_at FROM contact_data AS c WHERE c.city = 'Austin'", 0
    )
    assert SegmentQuery.from_json(orjson.loads(orjson.dumps(query.as_json()))) == query


def test_a_query_not_in_the_table_is_compiled_on_the_spot():
    text = "SELECT contact_id, updated_at FROM contact_data WHERE first_name = 'Zed'"
    assert compiled.key(text, 7) not in compiled.table()
    assert compiled.compile_query(text, 7) == parse_query(text, 7)


def test_serving_the_default_data_needs_no_parser():
    code = (
        "import sys\n"
        "from mockserver.app import build_app\n"
        "from mockserver.config import ServeConfig\n"
        "build_app(ServeConfig())\n"
        "print([m for m in ('sqlglot', 'faker') if m in sys.modules])\n"
    )
    assert run_snippet(code, hash_seed="0") == "[]"


def test_another_seeds_queries_come_from_the_table_equal_to_compiling_them():
    document = fixture_document(bundled_dir("fixtures") / "sendgrid")
    now = parse_instant(document["now"])
    templates = [item["query"].strip() for item in document["segments"]]
    assert any(compiled.LIST_REF.search(template) for template in templates)
    for seed in (7, 123456789):
        list_ids = {
            item["key"]: stable_uuid(seed, "list", item["key"]) for item in document["lists"]
        }
        for template in templates:
            text = compiled.LIST_REF.sub(lambda match, ids=list_ids: ids[match.group(1)], template)
            assert compiled.key(compiled.stand_in_text(template), now) in compiled.table()
            assert compiled.compile_with_lists(template, list_ids, now) == parse_query(text, now)


def test_a_query_quoting_a_stand_in_is_compiled_as_written():
    head = "SELECT contact_id, updated_at FROM contact_data WHERE CONTAINS(list_ids, "
    tail = ") AND first_name = '00000000-0000-4000-8000-000000000000'"
    query = compiled.compile_with_lists(head + "'{list:a}'" + tail, {"a": "x"}, 7)
    assert query == parse_query(head + "'x'" + tail, 7)


def test_serving_another_seed_needs_no_parser():
    code = (
        "import sys\n"
        "from mockserver.app import build_app\n"
        "from mockserver.config import ServeConfig\n"
        "build_app(ServeConfig(seed=7))\n"
        "print([m for m in ('sqlglot', 'faker') if m in sys.modules])\n"
    )
    assert run_snippet(code, hash_seed="0") == "[]"


def test_the_memberships_table_is_current():
    stored = orjson.loads(memberships.TABLE.read_bytes())
    assert stored["witness"] == memberships.inputs().fingerprint(), "stale: run `make precompile`"
    fresh = memberships.fresh()
    # The answers as compressed, compared as what they hold (another zlib may pack them apart).
    assert unpacked(stored["data"]) == unpacked(fresh), "stale: run `make precompile`"


def unpacked(table: dict) -> dict:
    answers = table["answers"]
    full = zlib.decompress(base64.b64decode(answers["full"]))
    return {**table, "answers": {**answers, "full": full}}


def test_the_memberships_table_serves_only_the_bundled_world_at_its_seed():
    assert memberships.known(memberships.SEED, None, bundled=True) is not None
    assert memberships.known(7, None, bundled=True) is None
    assert memberships.known(memberships.SEED, 100, bundled=True) is None
    assert memberships.known(memberships.SEED, None, bundled=False) is None


def test_a_world_built_from_the_table_equals_one_built_by_sqlite():
    world = bundled_dir("fixtures") / "sendgrid"
    spec = load(world, None, memberships.SEED, world)
    known = memberships.known(memberships.SEED, None, bundled=True)
    tabled, queried = build_catalog(spec, 0, known=known), build_catalog(spec, 0)
    assert not tabled.population.done and queried.population.done
    assert tabled.all_bytes == queried.all_bytes
    assert tabled.figures == queried.figures
    for answer in ("summary_bytes", "full_bytes", "full_with_query_bytes"):
        assert [getattr(s, answer) for s in tabled.segments] == [
            getattr(s, answer) for s in queried.segments
        ]
    assert not tabled.population.done  # every v1 answer without the contacts
    assert {k: list(v) for k, v in tabled.list_members.items()} == {
        k: list(v) for k, v in queried.list_members.items()
    }
    assert tabled.population.done
    assert [list(s.members) for s in tabled.segments] == [list(s.members) for s in queried.segments]
    rows = range(spec.contacts)
    assert [tabled.contacts.as_json(i, []) for i in rows] == [
        queried.contacts.as_json(i, []) for i in rows
    ]
    assert tabled.member_bits.bits.tobytes() == queried.member_bits.bits.tobytes()
