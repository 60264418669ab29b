"""The bundled world's memberships at the default seed, computed ahead of time.

SQLite is half of the default world's build, and what it selects is a pure function of this
package's code, the bundled fixtures, NumPy and SQLite. ``make precompile`` writes each rule's
and query's members (``memberships.json``, one bitmap per set); a start-up with that world reads
them back while a digest of all those inputs matches, and runs the queries otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.vendors.sendgrid import fixtures
from mockserver.vendors.sendgrid.catalog import Memberships, evaluate
from mockserver.vendors.sendgrid.store import RowSet
from mockserver.vendors.sendgrid.world import generate_contacts

TABLE = Path(__file__).with_name("memberships.json")
#: The files beside this one that are no input to a build.
NOT_INPUTS = frozenset({TABLE.name, "precompiled.json"})
NUMPY = precomputed.Witness("numpy", "version.py")
#: The world the table holds: the bundled fixtures at this seed, with their own contact count.
SEED = 0


class Inputs:
    """Everything a build's memberships depend on (a ``precomputed`` witness)."""

    def fingerprint(self) -> str:
        digest = hashlib.sha256(f"{NUMPY.fingerprint()}\0{sqlite3.sqlite_version}".encode())
        package = Path(__file__).parent
        world = bundled_dir("fixtures") / "sendgrid"
        files = [path for path in package.iterdir() if path.suffix in (".py", ".json")]
        files += list(world.iterdir())
        for path in sorted(files):
            if path.name not in NOT_INPUTS and path.is_file():
                digest.update(f"\0{path.parent.name}/{path.name}\0".encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()


INPUTS = Inputs()


def known(seed: int, count: int | None, bundled: bool) -> Memberships | None:
    """The table's memberships when they are this build's: the bundled world, at ``SEED``,
    with its own contact count, and the table current; else ``None``."""
    if not bundled or seed != SEED or count is not None:
        return None
    stored = precomputed.load(TABLE, INPUTS)
    if stored is None:
        return None
    size = stored["contacts"]
    rules, segments = (
        [_rows(text, size) for text in stored[part]] for part in ("rules", "segments")
    )
    return Memberships(rules, segments)


def fresh() -> dict[str, object]:
    """The bundled world's memberships at ``SEED``, computed now."""
    world = bundled_dir("fixtures") / "sendgrid"
    spec = fixtures.load(world, None, SEED, world)
    computed, _ = evaluate(spec, SEED, generate_contacts(spec, SEED, spec.contacts))
    return {
        "contacts": spec.contacts,
        "rules": [_bitmap(members, spec.contacts) for members in computed.rules],
        "segments": [_bitmap(members, spec.contacts) for members in computed.segments],
    }


def write() -> None:
    precomputed.dump(TABLE, INPUTS, fresh())


def _bitmap(members: RowSet, size: int) -> str:
    bits = np.zeros(size, bool)
    bits[members.rows] = True
    return base64.b64encode(np.packbits(bits).tobytes()).decode()


def _rows(text: str, size: int) -> RowSet:
    bits = np.unpackbits(np.frombuffer(base64.b64decode(text), np.uint8), count=size)
    return RowSet(np.flatnonzero(bits).astype(np.int64))
