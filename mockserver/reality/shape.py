"""How the structures of two JSON answers differ: a path on one side only (at its topmost
point), or types that do not overlap. Values, array lengths, ``null`` against a value and
integer against fraction legitimately vary."""

from __future__ import annotations

from typing import Any

from mockserver.reality.report import Difference

ITEMS = "*"
BODY = "body"
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
            segment = str(key).replace("~", "~0").replace("/", "~1")  # JSON pointer (RFC 6901)
            shape(child, f"{path}/{segment}", found)
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}/{ITEMS}", found)
    return found


def _shown(types: set[str]) -> str:
    return " or ".join(sorted(types))


def _holds(other: Shape, path: str) -> bool:
    """Could ``other`` have had ``path``? Only if its parent is an object there; a missing
    array item (an empty array) or a child of ``null`` is a value, not a structure."""
    if path.endswith(f"/{ITEMS}"):
        return False
    return "object" in other.get(path.rpartition("/")[0], ())


def compare(mock_document: Any, real_document: Any) -> list[Difference]:
    """The structural differences of the real answer from the mock's, topmost first: a path
    absent from the real answer or retyped breaks a consumer built on the mock."""
    mock, real = shape(mock_document), shape(real_document)
    changes = []
    for path in sorted(mock.keys() | real.keys()):
        in_mock, in_real = mock.get(path, set()), real.get(path, set())
        if not in_real:
            if _holds(real, path):
                changes.append(Difference(BODY, path, _shown(in_mock), "missing", True))
        elif not in_mock:
            if _holds(mock, path):
                changes.append(Difference(BODY, path, "missing", _shown(in_real), False))
        else:
            left, right = in_mock - {"null"}, in_real - {"null"}
            if left and right and not left & right:
                changes.append(Difference(BODY, path or "/", _shown(left), _shown(right), True))
    return changes
