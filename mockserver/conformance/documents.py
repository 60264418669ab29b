"""Validate fixture documents against their JSON Schema, fast enough for start-up.

jsonschema-rs compiles and validates in microseconds and imports in milliseconds, where
the pure-Python jsonschema costs a tenth of a second to import: that matters on the
serve path, which must answer within a second of being started.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import jsonschema_rs


class SchemaProblem(tuple):
    """``(path, message)`` of one violation; ``path`` is the list of keys and indexes."""

    __slots__ = ()

    @property
    def path(self) -> list[str | int]:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]


def field_path(parts: Iterable[Any]) -> str:
    """``["assets", 3, "labels", 0]`` -> ``assets[3].labels[0]``: how problems name a field."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class DocumentSchema:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._validator = jsonschema_rs.validator_for(dict(schema))

    def problems(self, document: Any) -> list[SchemaProblem]:
        """Every violation, shallowest first (the most telling one leads)."""
        found = [
            SchemaProblem((list(error.instance_path), error.message))
            for error in self._validator.iter_errors(document)
        ]
        return sorted(found, key=lambda problem: (len(problem.path), list(map(str, problem.path))))
