"""The bundled world at the default seed, computed ahead of time: what its segments show and
what SQLite selects in it.

Generating the default world and querying it are most of its build, and both are a pure
function of this package's code, the bundled fixtures, NumPy and SQLite. ``make precompile``
writes each segment's summary and sampled contacts (the v1 answers are serialized from them at
start-up, no NumPy) and each rule's and query's members (``memberships.json``, one bitmap per
set: the contacts, generated when first needed, take their lists and segments from them without
SQLite). A start-up with that world reads them back while a digest of all those inputs matches,
and computes them otherwise.
"""

from __future__ import annotations

import base64
import functools
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.vendors.sendgrid import fixtures
from mockserver.vendors.sendgrid.store import RowSet

if TYPE_CHECKING:
    from mockserver.vendors.sendgrid.population import Memberships, Shown

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


@dataclass(frozen=True)
class Known:
    """The table's world: what each segment shows, and the memberships (decoded with NumPy
    when the contacts are generated)."""

    answers: list[Shown]
    table: dict[str, Any]

    def memberships(self) -> Memberships:
        from mockserver.vendors.sendgrid.population import Memberships

        size = self.table["contacts"]
        rules, segments = (
            [_rows(text, size) for text in self.table[part]] for part in ("rules", "segments")
        )
        return Memberships(rules, segments)


def known(seed: int, count: int | None, bundled: bool) -> Known | None:
    """The table's world when it is this build's: the bundled world, at ``SEED``, with its own
    contact count, and the table current; else ``None``."""
    if not bundled or seed != SEED or count is not None:
        return None
    stored = precomputed.load(TABLE, inputs())
    if stored is None:
        return None
    shown = orjson.loads(zlib.decompress(base64.b64decode(stored["answers"])))
    contacts = shown["contacts"]
    answers = [(summary, [contacts[i] for i in sample]) for summary, sample in shown["segments"]]
    return Known(answers, stored)


def fresh() -> dict[str, object]:
    """The bundled world at ``SEED``, computed now."""
    from mockserver.vendors.sendgrid.population import evaluate, populate, shown
    from mockserver.vendors.sendgrid.world import generate_contacts

    world = bundled_dir("fixtures") / "sendgrid"
    spec = fixtures.load(world, None, SEED, world)
    computed, _ = evaluate(spec, SEED, generate_contacts(spec, SEED, spec.contacts))
    answers = shown(spec, SEED, populate(spec, SEED, spec.contacts, computed))
    return {
        "contacts": spec.contacts,
        "rules": [_bitmap(members, spec.contacts) for members in computed.rules],
        "segments": [_bitmap(members, spec.contacts) for members in computed.segments],
        "answers": _packed(answers),
    }


def write() -> None:
    precomputed.dump(TABLE, inputs(), fresh())


def _packed(answers: list[Shown]) -> str:
    """Each segment's summary and sample, a contact shown in several samples written once;
    compressed (the samples' contacts are most of it, and alike)."""
    contacts: dict[str, int] = {}
    rendered: list[dict[str, Any]] = []
    segments = []
    for summary, sample in answers:
        for contact in sample:
            if contact["id"] not in contacts:
                contacts[contact["id"]] = len(rendered)
                rendered.append(contact)
        segments.append((summary, [contacts[contact["id"]] for contact in sample]))
    text = orjson.dumps({"contacts": rendered, "segments": segments})
    return base64.b64encode(zlib.compress(text, 9)).decode()


def _bitmap(members: RowSet, size: int) -> str:
    import numpy as np

    bits = np.zeros(size, bool)
    bits[members.rows] = True
    return base64.b64encode(np.packbits(bits).tobytes()).decode()


def _rows(text: str, size: int) -> RowSet:
    import numpy as np

    bits = np.unpackbits(np.frombuffer(base64.b64decode(text), np.uint8), count=size)
    return RowSet(np.flatnonzero(bits).astype(np.int64))
