"""The bundled fixture programs at the default seed, ranked ahead of time: each one's users and
its ``/segments`` rankings at the spec's default ``min_weight``.

Building a program is NumPy's import and a draw and an index of its recommendations, all a pure
function of this package's code, the bundled fixtures and NumPy. ``make precompile`` writes what
the first answers need (``rankings.json``); a start-up with the bundled programs at ``SEED``
reads it back while a digest of all those inputs matches - its programs' arrays are built when an
answer first needs them - and builds every program at start-up otherwise.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.vendors.actionhub.model import Ranked, Volume, threshold
from mockserver.vendors.actionhub.programs import Precomputed, Programs

TABLE = Path(__file__).with_name("rankings.json")
#: The programs the table holds: the bundled fixtures at this seed.
SEED = 0
#: ``min_weight``'s default in the spec: the level a first ``/segments`` page is ranked at.
DEFAULT_MIN_WEIGHT = 0.5
RANKINGS = tuple(
    (basis, kind) for basis in ("asset", "label") for kind in ("base", "discovery", "growth")
)


def bundled() -> Path:
    return bundled_dir("fixtures") / "actionhub"


@functools.cache
def inputs() -> precomputed.Sources:
    """Everything a bundled program depends on (a ``precomputed`` witness)."""
    return precomputed.Sources((Path(__file__).parent, bundled()), skipped=frozenset({TABLE.name}))


def known(seed: int, directory: Path | None) -> dict[str, Precomputed] | None:
    """The table's programs when they are this build's - the bundled ones at ``SEED``, the
    table current - else ``None``."""
    if seed != SEED or directory is None or directory.resolve() != bundled().resolve():
        return None
    stored = precomputed.load(TABLE, inputs())
    if stored is None:
        return None
    level = threshold(DEFAULT_MIN_WEIGHT)
    return {
        name: Precomputed(
            program["users"],
            {
                (basis, kind, level): Ranked(*(_numbers(text) for text in texts))
                for basis, kind in RANKINGS
                for texts in [program["ranked"][f"{basis} {kind}"]]
            },
        )
        for name, program in stored.items()
    }


def _numbers(text: str) -> tuple[int, ...]:
    """A column of the table: its integers, spaced (one line per column in the JSON)."""
    return tuple(map(int, text.split()))


def fresh() -> dict[str, Any]:
    """The bundled programs at ``SEED``, built and ranked now."""
    from mockserver.vendors.actionhub.fixtures import load_programs

    programs = Programs(SEED, load_programs(bundled()), Volume())
    level = threshold(DEFAULT_MIN_WEIGHT)
    table = {}
    for name, program in programs.fixed.items():
        ranked = {}
        for basis, kind in RANKINGS:
            found = program.rank(basis, kind, level)
            columns = (found.segments, found.counts, found.sums)
            ranked[f"{basis} {kind}"] = [" ".join(map(str, column)) for column in columns]
        table[name] = {"users": program.users, "ranked": ranked}
    return table


def write() -> None:
    precomputed.dump(TABLE, inputs(), fresh())
