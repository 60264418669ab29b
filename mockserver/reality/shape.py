"""The structure of a JSON answer, values ignored, and how two structures differ: a path
present on one side only (reported at its topmost point), or types that do not overlap. Values,
array lengths, ``null`` against a value and integer against fraction legitimately vary.
"""

from __future__ import annotations

from dataclasses import dataclass
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


Shape = dict[str, set[str]]


def shape(value: Any, path: str = "", found: Shape | None = None) -> Shape:
    """JSON pointer (array items as ``*``) -> the JSON types found there."""
    found = {} if found is None else found
    found.setdefault(path, set()).add(JSON_TYPES[type(value)])
    if isinstance(value, dict):
        for key, child in value.items():
            shape(child, f"{path}/{_escape(key)}", found)
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}/{ITEMS}", found)
    return found


def _escape(key: str) -> str:
    """A property name as a JSON pointer segment (RFC 6901)."""
    return str(key).replace("~", "~0").replace("/", "~1")


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
    return "object" in other.get(path.rpartition("/")[0], ())


def compare(mock_document: Any, real_document: Any) -> list[ShapeChange]:
    """The structural differences of the real answer from the mock's, topmost first."""
    mock, real = shape(mock_document), shape(real_document)
    changes = []
    for path in sorted(mock.keys() | real.keys()):
        in_mock, in_real = mock.get(path), real.get(path)
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
