"""The bundled world's queries compiled ahead of time: serving the default data needs no
parser (sqlglot is a tenth of start-up), whatever the seed; any other query is compiled by
``sql.py`` on first use, with the same result.

``precompiled.json`` maps ``sha256(now, text)`` to the compiled query, for the sqlglot version
that wrote it (``query_json`` is sqlglot's tree). A list's id depends on the seed, so the table
holds each query with a fixed stand-in id per ``{list:KEY}``, replaced by the seed's ids after
compilation: a quoted string literal is carried through unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockserver import precomputed
from mockserver.vendors.sendgrid.query import SegmentQuery

TABLE = Path(__file__).with_name("precompiled.json")
#: query_json is sqlglot's tree: the file naming its version stands for all of it.
SQLGLOT = precomputed.Witness("sqlglot", "_version.py")
#: A list reference in a segment query of the fixtures: ``{list:KEY}``.
LIST_REF = re.compile(r"\{list:([^}]*)\}")


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


def stand_ins(template: str) -> dict[str, str]:
    """A fixed UUID-shaped id for each list ``template`` names, in order of first mention."""
    keys = dict.fromkeys(LIST_REF.findall(template))
    return {key: f"00000000-0000-4000-8000-{number:012x}" for number, key in enumerate(keys)}


def stand_in_text(template: str) -> str:
    """``template`` with its list references as the stand-ins: the text the table keeps."""
    ids = stand_ins(template)
    return LIST_REF.sub(lambda match: ids[match.group(1)], template)


def compile_with_lists(template: str, list_ids: Mapping[str, str], now: int) -> SegmentQuery:
    """``template`` with each ``{list:KEY}`` as ``list_ids[KEY]``, compiled: from the table
    by its stand-in text when there, otherwise the text itself compiled."""
    ids = stand_ins(template)
    if not any(stand_in in template for stand_in in ids.values()):
        found = table().get(key(stand_in_text(template), now))
        if found is not None:
            generic = SegmentQuery.from_json(found)
            return generic.replaced({ids[name]: list_ids[name] for name in ids})
    text = LIST_REF.sub(lambda match: list_ids[match.group(1)], template)
    return compile_query(text, now)
