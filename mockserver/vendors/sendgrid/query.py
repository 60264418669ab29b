"""A Segmentation Query Language query once compiled (``sql.py``): plain data, so the bundled
world's, compiled ahead of time (``compiled.py``), are served with no parser."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from mockserver.errors import DataError


class QueryError(DataError):
    """A query outside the supported Segmentation Query Language subset."""


def predicate_text(where: str) -> str:
    """A bare predicate (a list's membership rule) as a full query over ``contact_data``."""
    return f"SELECT contact_id, updated_at FROM contact_data WHERE {where}"


class SegmentQuery(NamedTuple):
    """One parsed query: the original text, its JSON AST and the SQLite it runs as."""

    text: str
    ast: dict[str, Any]
    sqlite: str
    #: A query of ``contact_data`` alone (no join): its FROM clause, the row number column and
    #: its WHERE condition (``None``: every contact), so several can share one table scan.
    scan: tuple[str, str, str | None] | None = None
    #: Whether it reads ``event_data``.
    reads_events: bool = False
    #: The column names it mentions (of any table), lowercase.
    columns: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, Any]:
        scan = self.scan and list(self.scan)
        return {**self._asdict(), "scan": scan, "columns": sorted(self.columns)}

    def replaced(self, strings: dict[str, str]) -> SegmentQuery:
        """This query with each key of ``strings`` replaced by its value wherever it occurs
        (a string literal's value in the text, the tree and the SQLite)."""

        def sub(text: str) -> str:
            for old, new in strings.items():
                text = text.replace(old, new)
            return text

        return self._replace(
            text=sub(self.text),
            ast=orjson.loads(sub(orjson.dumps(self.ast).decode())),
            sqlite=sub(self.sqlite),
            scan=self.scan and tuple(p and sub(p) for p in self.scan),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SegmentQuery:
        scan = data["scan"] and tuple(data["scan"])
        return cls(**{**data, "scan": scan, "columns": frozenset(data["columns"])})
