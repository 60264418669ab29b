"""The bundled world computed ahead of time: its queries compiled, and at the default seed its
segments' answers and what SQLite selects in it.

The queries (``compiled.TABLE``) are sqlglot's work for every seed (``compiled.py``). Generating
the default world and querying it are most of its build, and both are a pure function of this
package's code, the bundled fixtures, NumPy and SQLite. ``make precompile`` writes each
segment's summary and full answer (start-up serves them: no NumPy) and each rule's and query's
members (``memberships.json``, one bitmap per set: the contacts, generated when first needed,
take their lists and segments from them without SQLite). A start-up with that world reads them
back while a digest of all those inputs matches, and computes them otherwise.
"""

from __future__ import annotations

import base64
import functools
import itertools
import sqlite3
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.vendors.sendgrid import compiled, fixtures
from mockserver.vendors.sendgrid.query import predicate_text
from mockserver.vendors.sendgrid.store import RowSet
from mockserver.vendors.sendgrid.values import parse_instant

if TYPE_CHECKING:
    from mockserver.vendors.sendgrid.population import Memberships

TABLE = Path(__file__).with_name("memberships.json")
#: The world the table holds: the bundled fixtures at this seed, with their own contact count.
SEED = 0


@functools.cache
def inputs() -> precomputed.Sources:
    """Everything a build's answers and memberships depend on (a ``precomputed`` witness)."""
    return precomputed.Sources(
        folders=(Path(__file__).parent, bundled_dir("fixtures") / "sendgrid"),
        skipped=frozenset({TABLE.name, "precompiled.json"}),
        extra=sqlite3.sqlite_version,
    )


class Known(NamedTuple):
    """The table's world: each segment's answers, and the memberships (decoded with NumPy when
    the contacts are generated)."""

    #: Each segment's summary and full answer.
    answers: list[tuple[dict[str, Any], bytes]]
    table: dict[str, Any]

    def memberships(self) -> Memberships:
        from mockserver.vendors.sendgrid.population import Memberships

        size = self.table["contacts"]
        rules, segments = (
            [_rows(text, size) for text in self.table[part]] for part in ("rules", "segments")
        )
        return Memberships(rules, segments)


def covers(seed: int, count: int | None, bundled: bool) -> bool:
    """Whether the world is the table's: the bundled world, at ``SEED``, with its own contact
    count (the one whose answers are also validated ahead of time, ``verified.json``)."""
    return bundled and seed == SEED and count is None


def known(seed: int, count: int | None, bundled: bool) -> Known | None:
    """The table's world when it is this build's (:func:`covers`, the table current); else
    ``None``."""
    if not covers(seed, count, bundled):
        return None
    stored = precomputed.load(TABLE, inputs())
    if stored is None:
        return None
    answers = stored["answers"]
    full = zlib.decompress(base64.b64decode(answers["full"]))
    ends = list(itertools.accumulate(answers["sizes"]))
    bodies = [full[end - size : end] for size, end in zip(answers["sizes"], ends, strict=True)]
    return Known(list(zip(answers["summaries"], bodies, strict=True)), stored)


def fresh() -> dict[str, object]:
    """The bundled world at ``SEED``, computed now."""
    from mockserver.vendors.sendgrid.population import evaluate, full_answers, populate, summaries
    from mockserver.vendors.sendgrid.world import generate_contacts

    world = bundled_dir("fixtures") / "sendgrid"
    spec = fixtures.load(world, None, SEED, world)
    computed, _ = evaluate(spec, SEED, generate_contacts(spec, SEED, spec.contacts))
    population = populate(spec, SEED, spec.contacts, computed)
    found = summaries(spec, SEED, population)
    bodies = full_answers(spec, SEED, population, found)
    return {
        "contacts": spec.contacts,
        "rules": [_bitmap(members, spec.contacts) for members in computed.rules],
        "segments": [_bitmap(members, spec.contacts) for members in computed.segments],
        # The full answers, one after the other (compressed: their sampled contacts are alike).
        "answers": {
            "summaries": found,
            "sizes": [len(body) for body in bodies],
            "full": base64.b64encode(zlib.compress(b"".join(bodies), 9)).decode(),
        },
    }


def write() -> None:
    """Both tables: the queries compiled, then the world at ``SEED``."""
    precomputed.dump(compiled.TABLE, compiled.SQLGLOT, fresh_queries())
    precomputed.dump(TABLE, inputs(), fresh())


def fresh_queries() -> dict[str, Any]:
    """The bundled world's queries - list rules, and segment queries with the stand-in list
    ids of every seed - compiled now by the installed sqlglot."""
    from mockserver.vendors.sendgrid.sql import parse_query

    document = fixtures.fixture_document(bundled_dir("fixtures") / "sendgrid")
    now = parse_instant(document["now"])
    texts = [predicate_text(item["where"]) for item in document["lists"] if "where" in item]
    texts += [compiled.stand_in_text(item["query"].strip()) for item in document["segments"]]
    found = {compiled.key(text, now): parse_query(text, now).as_json() for text in texts}
    return dict(sorted(found.items()))


def _bitmap(members: RowSet, size: int) -> str:
    import numpy as np

    bits = np.zeros(size, bool)
    bits[members.rows] = True
    return base64.b64encode(np.packbits(bits).tobytes()).decode()


def _rows(text: str, size: int) -> RowSet:
    import numpy as np

    bits = np.unpackbits(np.frombuffer(base64.b64decode(text), np.uint8), count=size)
    return RowSet(np.flatnonzero(bits).astype(np.int64))
