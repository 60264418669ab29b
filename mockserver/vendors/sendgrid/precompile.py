"""Writes ``precompiled.json`` (``make precompile``): the bundled world's queries, compiled by
the installed sqlglot. Apart from ``compiled`` because it reads the fixtures, which compile
their queries through ``compiled``.
"""

from __future__ import annotations

from typing import Any

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.vendors.sendgrid.compiled import SQLGLOT, TABLE, key
from mockserver.vendors.sendgrid.fixtures import load
from mockserver.vendors.sendgrid.sql import parse_query


def fresh_table(seed: int = 0) -> dict[str, Any]:
    """The bundled world's queries (at ``seed``, which names the lists they refer to),
    compiled now by the installed sqlglot."""
    bundled = bundled_dir("fixtures") / "sendgrid"
    spec = load(bundled, None, seed, bundled)
    queries = [item.where for item in spec.lists if item.where is not None]
    queries += [segment.query for segment in spec.segments]
    compiled = {key(q.text, spec.now): parse_query(q.text, spec.now).as_json() for q in queries}
    return dict(sorted(compiled.items()))


def write() -> None:
    precomputed.dump(TABLE, SQLGLOT, fresh_table())
