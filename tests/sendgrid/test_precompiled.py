"""The bundled world's queries are compiled ahead of time, and the table stays current."""

from __future__ import annotations

import orjson

from mockserver.vendors.sendgrid import compiled, names, precompile
from mockserver.vendors.sendgrid.query import SegmentQuery
from mockserver.vendors.sendgrid.sql import parse_query
from tests.processes import run_snippet


def test_the_table_is_what_the_installed_sqlglot_compiles():
    stored = orjson.loads(compiled.TABLE.read_bytes())
    fresh = {"witness": compiled.SQLGLOT.fingerprint(), "data": precompile.fresh_table()}
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
