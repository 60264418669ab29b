"""Validate fixture documents against their JSON Schema, fast enough for start-up.

jsonschema-rs compiles and validates in microseconds and imports in milliseconds, where
the pure-Python jsonschema costs a tenth of a second to import: that matters on the
serve path, which must answer within a second of being started.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import jsonschema_rs

#: Marks a size bound in a fixture schema (``"maximum": N, "x-limit": true`` on a count, the
#: same beside ``maxItems``/``maxLength``/``maxProperties``): past it a document is refused as
#: too large (413, a :class:`~mockserver.errors.LimitError`), not as malformed.
LIMIT_MARK = "x-limit"
_SIZE_KEYWORDS = frozenset({"maximum", "maxItems", "maxLength", "maxProperties"})
#: A problem's message quotes the offending value: a 10 MB string must not come back whole.
MAX_MESSAGE_CHARS = 300


class SchemaProblem(tuple):
    """``(path, message, limit)`` of one violation; ``path`` is the list of keys and indexes;
    ``limit`` says whether it is a size bound marked ``x-limit``."""

    __slots__ = ()

    @property
    def path(self) -> list[str | int]:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]

    @property
    def limit(self) -> bool:
        return bool(self[2]) if len(self) > 2 else False


_LIMIT_WORDING = {
    "maxItems": "more than {:,} items",
    "maxLength": "longer than {:,} characters",
    "maxProperties": "more than {:,} entries",
    "maximum": "more than {:,}",
}


def _limit_message(error: Any) -> str:
    """``more than 1,000 items``: the bound, not the (maybe huge) value that broke it."""
    keyword = list(error.schema_path)[-1]
    return _LIMIT_WORDING[keyword].format(error.kind.limit)


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

    def problems(self, document: Any) -> list[SchemaProblem]:
        """Every violation, shallowest first (the most telling one leads)."""
        found = [
            SchemaProblem((list(error.instance_path), _short(error.message), self._is_limit(error)))
            for error in self._validator.iter_errors(document)
        ]
        return sorted(found, key=lambda problem: (len(problem.path), list(map(str, problem.path))))

    def _is_limit(self, error: Any) -> bool:
        *parent, keyword = list(error.schema_path) or [""]
        if keyword not in _SIZE_KEYWORDS:
            return False
        node: Any = self._schema
        for part in parent:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return False
        return isinstance(node, Mapping) and bool(node.get(LIMIT_MARK))


def limit_problem(problems: Iterable[SchemaProblem]) -> SchemaProblem | None:
    """The first size bound among ``problems`` (they make the document too large, not wrong)."""
    return next((problem for problem in problems if problem.limit), None)
