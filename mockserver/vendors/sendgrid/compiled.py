"""The bundled world's queries compiled ahead of time: serving the default data needs no
parser (sqlglot is a tenth of start-up). Any other query - a user's fixtures, another seed, a
data load - is compiled by ``sql.py`` on first use, with the same result.

``precompiled.json`` (beside this module; ``mockserver.precomputed``) maps
``sha256(now, text)`` to the compiled query, for the sqlglot version that compiled it:
``query_json`` is sqlglot's tree, which another version may spell differently, so a table
written by another version is not used. ``make precompile`` refreshes it.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from mockserver import precomputed
from mockserver.vendors.sendgrid.query import SegmentQuery, predicate_text

TABLE = Path(__file__).with_name("precompiled.json")
#: query_json is sqlglot's tree: the file naming its version stands for all of it.
SQLGLOT = precomputed.Witness("sqlglot", "_version.py")


def key(text: str, now: int) -> str:
    return hashlib.sha256(f"{now}\x00{text}".encode()).hexdigest()


@functools.cache
def table() -> dict[str, dict[str, Any]]:
    """The precompiled queries, if written by the installed sqlglot; else none."""
    return precomputed.load(TABLE, SQLGLOT) or {}


def compile_query(text: str, now: int) -> SegmentQuery:
    """``text`` compiled for a world whose "now" is ``now`` (raises ``QueryError``)."""
    found = table().get(key(text, now))
    if found is not None:
        return SegmentQuery.from_json(found)
    from mockserver.vendors.sendgrid.sql import parse_query

    return parse_query(text, now)


def compile_predicate(where: str, now: int) -> SegmentQuery:
    """A list's membership rule, compiled as a full query over ``contact_data``."""
    return compile_query(predicate_text(where), now)
