"""The structure of a JSON answer, values ignored, and how two structures differ: a path
present on one side only (reported at its topmost point), or types that do not overlap. Values,
array lengths, ``null`` against a value and integer against fraction legitimately vary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ITEMS = "*"
#: The JSON type of each Python type a JSON parser gives.
JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


@dataclass
class Shape:
    types: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Any) -> Shape:
        shape = cls()
        shape._walk(document, "")
        return shape

    def _walk(self, value: Any, path: str) -> None:
        self.types.setdefault(path, set()).add(JSON_TYPES[type(value)])
        if isinstance(value, dict):
            for key, child in value.items():
                self._walk(child, f"{path}/{_escape(key)}")
        elif isinstance(value, list):
            for item in value:
                self._walk(item, f"{path}/{ITEMS}")


def _escape(key: str) -> str:
    """A property name as a JSON pointer segment (RFC 6901)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def parent(path: str) -> str:
    return path.rpartition("/")[0]


@dataclass(frozen=True)
class ShapeChange:
    """One structural difference at ``path``: ``mock`` and ``real`` name what each side has."""

    path: str
    mock: str
    real: str
    #: Absent from the real answer or retyped: a consumer built on the mock breaks.
    breaking: bool


def _shown(types: set[str]) -> str:
    return " or ".join(sorted(types))


def _holds(other: Shape, path: str) -> bool:
    """Could ``other`` have had ``path``? Only if its parent is an object there; a missing
    array item (an empty array) or a child of ``null`` is a value, not a structure."""
    if path.endswith(f"/{ITEMS}"):
        return False
    return "object" in other.types.get(parent(path), ())


def compare(mock: Shape, real: Shape) -> list[ShapeChange]:
    """The structural differences of the real answer from the mock's, topmost first."""
    changes = []
    for path in sorted(mock.types.keys() | real.types.keys()):
        in_mock, in_real = mock.types.get(path), real.types.get(path)
        if in_mock is not None and in_real is None:
            if _holds(real, path):
                changes.append(ShapeChange(path, _shown(in_mock), "missing", breaking=True))
        elif in_real is not None and in_mock is None:
            if _holds(mock, path):
                changes.append(ShapeChange(path, "missing", _shown(in_real), breaking=False))
        elif in_mock is not None and in_real is not None:
            left, right = in_mock - {"null"}, in_real - {"null"}
            if left and right and not left & right:
                changes.append(ShapeChange(path, _shown(left), _shown(right), breaking=True))
    return changes
