"""Validate fixture documents against their JSON Schema, fast enough for start-up: jsonschema-rs
imports in milliseconds where the pure-Python jsonschema costs a tenth of a second."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import jsonschema_rs

from mockserver.errors import LimitError

#: Marks a size bound in a fixture schema (``"maximum": N, "x-limit": true`` on a count, the
#: same beside ``maxItems``/``maxLength``/``maxProperties``): past it a document is refused as
#: too large (413, a :class:`~mockserver.errors.LimitError`), not as malformed.
LIMIT_MARK = "x-limit"
#: A problem's message quotes the offending value: a 10 MB string must not come back whole.
MAX_MESSAGE_CHARS = 300


class SchemaProblem(NamedTuple):
    """One violation: where (keys and indexes), what, and whether it is a size bound marked
    ``x-limit`` (the document is too large, not wrong)."""

    path: list[str | int]
    message: str
    limit: bool = False


#: Each size keyword: how a problem words its bound, and the values it measures (and how).
_BOUNDS: dict[str, tuple[str, Any, Callable[[Any], Any]]] = {
    "maxItems": ("more than {:,} items", list, len),
    "maxLength": ("longer than {:,} characters", str, len),
    "maxProperties": ("more than {:,} entries", Mapping, len),
    "maximum": ("more than {:,}", int | float, lambda number: number),
}


def _short(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return "..." + message[-(MAX_MESSAGE_CHARS - 3) :]


def field_path(parts: Iterable[Any]) -> str:
    """``["assets", 3, "labels", 0]`` -> ``assets[3].labels[0]``: how problems name a field."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class DocumentSchema:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._validator = jsonschema_rs.validator_for(dict(schema))
        self._limited = _limited_nodes(schema)

    def problems(self, document: Any) -> list[SchemaProblem]:
        """Every violation, shallowest first (the most telling one leads).

        Size bounds (``x-limit``) are checked by a walk in Python, and first (but for a valid
        document): past one, that is the only problem reported - jsonschema-rs would quote the
        oversized value in its message, holding the GIL for most of a second on a 60,000-item
        list.
        """
        if self._validator.is_valid(document):
            return []
        too_large = self.first_limit(document)
        if too_large is not None:
            return [too_large]
        found = [
            SchemaProblem(list(error.instance_path), _short(error.message))
            for error in self._validator.iter_errors(document)
        ]
        return sorted(found, key=lambda problem: (len(problem.path), list(map(str, problem.path))))

    def first_limit(self, document: Any) -> SchemaProblem | None:
        """The shallowest value past a size bound marked ``x-limit``, or ``None``."""
        pending: deque[tuple[Mapping[str, Any], Any, list[str | int]]] = deque(
            [(self._schema, document, [])]
        )
        while pending:
            node, value, where = pending.popleft()
            if node.get(LIMIT_MARK) and (message := _past_bound(node, value)) is not None:
                return SchemaProblem(where, message, True)
            for child, part, item in self._children(node, value):
                pending.append((child, item, [*where, part]))
        return None

    def _children(self, node: Mapping[str, Any], value: Any):
        """``(subschema, key or index, value)`` for the parts of ``value`` whose subschema
        has a size bound somewhere below it."""
        limited = self._limited
        if isinstance(value, Mapping):
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            names = node.get("propertyNames")
            for key, item in value.items():
                child = properties.get(key, extra)
                if isinstance(child, Mapping) and id(child) in limited:
                    yield child, key, item
                if isinstance(names, Mapping) and id(names) in limited:
                    yield names, key, key
        elif isinstance(value, list):
            items = node.get("items")
            if isinstance(items, Mapping) and id(items) in limited:
                for index, item in enumerate(value):
                    yield items, index, item


def _limited_nodes(schema: Mapping[str, Any]) -> set[int]:
    """Ids of the schema nodes with an ``x-limit`` mark at or below them."""
    limited: set[int] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, list):
            return any([visit(item) for item in node])
        if not isinstance(node, Mapping):
            return False
        marked = bool(node.get(LIMIT_MARK))
        marked = any([visit(child) for child in node.values()]) or marked
        if marked:
            limited.add(id(node))
        return marked

    visit(schema)
    return limited


def _past_bound(node: Mapping[str, Any], value: Any) -> str | None:
    """The bound ``value`` exceeds (``more than 1,000 items``: the bound, not the maybe huge
    value), or ``None``."""
    for keyword, (wording, kind, measure) in _BOUNDS.items():
        bound, measured = node.get(keyword), isinstance(value, kind) and not isinstance(value, bool)
        if bound is not None and measured and measure(value) > bound:
            return wording.format(bound)
    return None


def raise_if_too_large(problems: Iterable[SchemaProblem], source: str, doc: str) -> None:
    """Raise a :class:`~mockserver.errors.LimitError` for the first size bound among
    ``problems`` (they make the document too large, not wrong); ``doc`` is the format's page,
    whose Limits section the message points to."""
    too_large = next((problem for problem in problems if problem.limit), None)
    if too_large is not None:
        where = field_path(too_large.path) or "<top>"
        raise LimitError(f"{source}: {where}: {too_large.message} ({doc}, Limits)", limit=where)
