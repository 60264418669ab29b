"""Start-up work that is a pure function of a pinned library and our bundled data (sqlglot
compiling the SendGrid world's queries, Faker's name tables, PyYAML parsing the bundled
documents), written once (``make precompile``) and read back as JSON - only while the library
is the one that wrote it: each table records the SHA-256 of a *witness* file of the library
(found without importing it, nor ``importlib.metadata``, ~40 ms); else the caller computes it
again, slower. Tests fail when a table is stale.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import orjson


class Fingerprinted(Protocol):
    """What a table was computed from: its digest, or ``None`` when it is not there."""

    def fingerprint(self) -> str | None: ...


class Witness(NamedTuple):
    """A file of an installed package (``package/relative``) that changes with its version."""

    package: str
    relative: str

    def fingerprint(self) -> str | None:
        spec = find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.relative
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None


#: NumPy, whose streams and sorts the generated worlds are made of.
NUMPY = Witness("numpy", "version.py")


class Sources(NamedTuple):
    """Our own code and data a table is computed from: every file of ``folders`` but those
    named in ``skipped`` (the tables themselves), with the libraries' witnesses and ``extra``
    (a library's version it exposes without a file, e.g. SQLite's)."""

    folders: tuple[Path, ...]
    witnesses: tuple[Fingerprinted, ...] = (NUMPY,)
    skipped: frozenset[str] = frozenset()
    extra: str = ""

    def fingerprint(self) -> str:
        libraries = "\0".join(str(witness.fingerprint()) for witness in self.witnesses)
        digest = hashlib.sha256(f"{libraries}\0{self.extra}".encode())
        files = (path for folder in self.folders for path in folder.iterdir())
        for path in sorted(files):
            if path.name not in self.skipped and path.suffix != ".pyc" and path.is_file():
                digest.update(f"\0{path.parent.name}/{path.name}\0".encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()


def load(path: Path, witness: Fingerprinted) -> Any | None:
    """The data at ``path`` if the installed library is the one that wrote it, else ``None``."""
    try:
        stored = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(stored, dict) or stored.get("witness") != witness.fingerprint():
        return None
    return stored.get("data")


def dump(path: Path, witness: Fingerprinted, data: Any) -> None:
    """Write ``data`` for the installed library."""
    stored = {"witness": witness.fingerprint(), "data": data}
    path.write_bytes(orjson.dumps(stored, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {path}")


#: The bundled YAML documents (specs, fixtures) parsed ahead of time, by content: parsing them
#: with PyYAML is a tenth of start-up; ``orjson`` reads the same values in a millisecond.
YAML_TABLE = Path(__file__).with_name("bundled_yaml.json")
PYYAML = Witness("yaml", "__init__.py")


def yaml_file(path: Path, parse: Callable[[bytes], Any]) -> Any:
    """``parse(bytes)`` of ``path``, from the table when the file is one of the bundled ones."""
    data = path.read_bytes()
    found = _yaml_table().get(hashlib.sha256(data).hexdigest())
    return orjson.loads(found) if found is not None else parse(data)


@functools.cache
def _yaml_table() -> dict[str, str]:
    return load(YAML_TABLE, PYYAML) or {}


def write_yaml_table(paths: list[Path], parse: Callable[[bytes], Any]) -> None:
    """Parse ``paths`` now; keep those whose values JSON holds exactly (no dates, int keys)."""
    table = {}
    for path in sorted(paths):
        data = path.read_bytes()
        value = parse(data)
        text = orjson.dumps(value).decode()
        if orjson.loads(text) == value:
            table[hashlib.sha256(data).hexdigest()] = text
    dump(YAML_TABLE, PYYAML, table)
