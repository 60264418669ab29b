"""Writes ``precompiled.json`` (``make precompile``): the bundled world's queries, compiled by
the installed sqlglot. Apart from ``compiled`` because it reads the fixtures, which compile
their queries through ``compiled``.
"""

from __future__ import annotations

from typing import Any

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.vendors.sendgrid.compiled import SQLGLOT, TABLE, key, stand_in_text
from mockserver.vendors.sendgrid.fixtures import fixture_document
from mockserver.vendors.sendgrid.query import predicate_text
from mockserver.vendors.sendgrid.sql import parse_query
from mockserver.vendors.sendgrid.values import parse_instant


def fresh_table() -> dict[str, Any]:
    """The bundled world's queries - list rules, and segment queries with the stand-in list
    ids of every seed - compiled now by the installed sqlglot."""
    document = fixture_document(bundled_dir("fixtures") / "sendgrid")
    now = parse_instant(document["now"])
    texts = [predicate_text(item["where"]) for item in document["lists"] if "where" in item]
    texts += [stand_in_text(item["query"].strip()) for item in document["segments"]]
    compiled = {key(text, now): parse_query(text, now).as_json() for text in texts}
    return dict(sorted(compiled.items()))


def write() -> None:
    precomputed.dump(TABLE, SQLGLOT, fresh_table())
