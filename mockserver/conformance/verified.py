"""Prebuilt answers validated ahead of time: the bundled data's, at the default seed.

Validating a data version's prebuilt answers is a tenth of start-up's work and a pure function
of the spec, the answers and the validator: ``make precompile`` keeps a digest of each API's
(spec file and every answer), and a start-up whose answers' digest is in the table skips them,
while its witness (the spec loader's and this package's code, jsonschema-rs) is unchanged.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

import jsonschema_rs

from mockserver import precomputed
from mockserver.spec.model import ApiSpec
from mockserver.vendors.interface import Reply

TABLE = Path(__file__).with_name("verified.json")


def _installed(module_file: str | None, name: str) -> str:
    """The installed distribution's version, from its ``.dist-info`` folder's name (no
    ``importlib.metadata``: its import alone is ~40 ms)."""
    site = Path(module_file or ".").resolve().parents[1]
    return " ".join(sorted(path.name for path in site.glob(f"{name}-*.dist-info")))


#: What a verdict depends on besides the spec and the answers: how specs load and how replies
#: are judged (this package's code), and jsonschema-rs.
JUDGES = precomputed.Sources(
    (Path(__file__).parents[1] / "spec", Path(__file__).parent),
    witnesses=(),
    skipped=frozenset({TABLE.name}),
    extra=_installed(jsonschema_rs.__file__, "jsonschema_rs"),
)


def digest(spec: ApiSpec, prebuilt: Iterable[tuple[str, Reply]]) -> str:
    """One API's prebuilt answers and the spec they answer to, as one digest."""
    found = hashlib.sha256(Path(spec.source).read_bytes())
    for operation_id, reply in prebuilt:
        found.update(f"\0{operation_id}\0{reply.status}\0{reply.media_type}\0".encode())
        found.update(hashlib.sha256(reply.body).digest())
    return found.hexdigest()


def known_valid(answers_digest: str) -> bool:
    return answers_digest in _table()


@functools.cache
def _table() -> frozenset[str]:
    return frozenset(precomputed.load(TABLE, JUDGES) or ())


def write(digests: Iterable[str]) -> None:
    precomputed.dump(TABLE, JUDGES, sorted(digests))
