"""The documents shipped in the package - the specs and the default fixtures - and their
parsed forms kept ahead of time (``mockserver.precomputed``; ``make precompile``)."""

from __future__ import annotations

from pathlib import Path

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.serialize import load_yaml


def documents() -> list[Path]:
    """Every bundled YAML document the serve path parses."""
    return sorted(
        path
        for folder in (bundled_dir("specs"), bundled_dir("fixtures"))
        for pattern in ("*.yaml", "*.yml")
        for path in folder.rglob(pattern)
    )


def write() -> None:
    precomputed.write_yaml_table(documents(), load_yaml)
