"""SendGrid's Segmentation Query Language, parsed by sqlglot and evaluated by SQLite.

A segment's ``query_dsl`` is real SQL over ``contact_data`` (one row per contact,
custom fields as columns) and ``event_data`` (email engagement). sqlglot parses it
(MySQL-flavoured: backslash escapes, ``INTERVAL 30 DAY``, double-quoted strings), the
parse tree becomes the ``query_json`` AST, and a few rewrites turn it into SQLite:

* timestamp columns hold Unix seconds, so ISO 8601 string literals become Unix seconds
  and ``NOW()`` becomes the world's fixed "now" (data never depends on the wall clock);
* ``x - INTERVAL n unit`` / ``DATE_SUB(x, INTERVAL n unit)`` -> ``(x - seconds)``, or
  SQLite's calendar arithmetic (``STRFTIME('%s', x, 'unixepoch', '-n months')``) for
  months and years;
* ``CONTAINS(array_column, v)`` -> ``EXISTS (SELECT 1 FROM json_each(array_column) ...)``
  (array columns hold JSON arrays).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mockserver.budget import raise_if_interrupted, sqlite_guard
from mockserver.errors import DataError
from mockserver.vendors.sendgrid.values import parse_instant

#: The dialect SGQL is read as: MySQL's string escapes and interval syntax match the docs.
READ_DIALECT = "mysql"
TABLES = ("contact_data", "event_data")
SELECTED = ("contact_id", "updated_at")

#: ``contact_data`` columns (reserved fields) and their SQLite types; custom fields follow.
CONTACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("contact_id", "TEXT"),
    ("email", "TEXT"),
    ("phone_number_id", "TEXT"),
    ("external_id", "TEXT"),
    ("anonymous_id", "TEXT"),
    ("first_name", "TEXT"),
    ("last_name", "TEXT"),
    ("alternate_emails", "TEXT"),
    ("address_line_1", "TEXT"),
    ("address_line_2", "TEXT"),
    ("city", "TEXT"),
    ("state_province_region", "TEXT"),
    ("postal_code", "TEXT"),
    ("country", "TEXT"),
    ("list_ids", "TEXT"),
    ("created_at", "INTEGER"),
    ("updated_at", "INTEGER"),
    ("email_domains", "TEXT"),
    ("phone_number", "TEXT"),
    ("whatsapp", "TEXT"),
    ("line", "TEXT"),
    ("facebook", "TEXT"),
    ("unique_name", "TEXT"),
)
RESERVED = frozenset(name for name, _ in CONTACT_COLUMNS)
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("contact_id", "TEXT"),
    ("event_source", "TEXT"),
    ("event_type", "TEXT"),
    ("event_timestamp", "INTEGER"),
)
CUSTOM_TYPES = {"text": "TEXT", "number": "NUMERIC", "date": "INTEGER"}

#: Interval unit -> seconds, or the calendar unit SQLite's date functions step by.
INTERVAL_UNITS: dict[str, int | str] = {
    "SECOND": 1,
    "MINUTE": 60,
    "HOUR": 3600,
    "DAY": 86_400,
    "WEEK": 7 * 86_400,
    "MONTH": "months",
    "YEAR": "years",
}
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.I
)


class QueryError(DataError):
    """A query outside the supported Segmentation Query Language subset."""


@dataclass(frozen=True)
class SegmentQuery:
    """One parsed query: the original text, its JSON AST and the SQLite it runs as."""

    text: str
    ast: dict[str, Any]
    sqlite: str


def parse_query(text: str, now: int) -> SegmentQuery:
    """Parse and check ``text``; :class:`QueryError` says what is wrong with it."""
    try:
        return _parse_query(text, now)
    except RecursionError:
        raise QueryError("nests too deeply to be evaluated") from None


def _parse_query(text: str, now: int) -> SegmentQuery:
    try:
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    except SqlglotError as error:
        raise QueryError(f"does not parse: {_first_line(error)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise QueryError("must be a single SELECT statement")
    tree = statements[0]
    _check_shape(tree)
    try:
        sqlite = _select_row_numbers(_rewrite(tree, now)).sql("sqlite")
    except SqlglotError as error:
        raise QueryError(f"cannot be evaluated: {_first_line(error)}") from None
    return SegmentQuery(text, ast_json(tree), sqlite)


def _select_row_numbers(tree: exp.Expression) -> exp.Expression:
    """Select the contact's row number instead of (contact_id, updated_at): small ints, no
    string to look up, and the same contacts."""
    assert isinstance(tree, exp.Select)
    table = tree.args["from_"].this
    qualifier = table.alias_or_name
    return tree.select(exp.column("rowid", table=qualifier), append=False)


def predicate_query(where: str, now: int) -> SegmentQuery:
    """A bare predicate (a list's membership rule) as a full query over ``contact_data``."""
    return parse_query(f"SELECT contact_id, updated_at FROM contact_data WHERE {where}", now)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _check_shape(tree: exp.Select) -> None:
    names = [e.alias_or_name.lower() for e in tree.expressions]
    if tuple(names) != SELECTED or not all(isinstance(e, exp.Column) for e in tree.expressions):
        raise QueryError("must select exactly contact_id, updated_at")
    from_ = tree.args.get("from_")
    if from_ is None or not isinstance(from_.this, exp.Table) or from_.this.name != TABLES[0]:
        raise QueryError("must select FROM contact_data")
    for table in tree.find_all(exp.Table):
        if table.name.lower() not in TABLES and not isinstance(table.this, exp.Anonymous):
            raise QueryError(f"unknown table {table.name!r} (use {' or '.join(TABLES)})")
    for key in ("group", "having", "order", "limit", "offset"):
        if tree.args.get(key):
            raise QueryError(f"{key.upper()} is not part of the segmentation query language")


def _shift(base: exp.Expression, node: exp.Interval, sign: str, now: int) -> exp.Expression:
    """``base ± INTERVAL '30' DAY`` (or ``INTERVAL '30 day'``) over Unix seconds."""
    unit_node = node.args.get("unit")
    amount, unit = node.this.name.strip(), unit_node.name if unit_node else ""
    if not unit and " " in amount:
        amount, unit = amount.split(None, 1)
    unit = unit.strip().upper()
    unit = unit[:-1] if unit.endswith("S") else unit
    if unit not in INTERVAL_UNITS or not re.fullmatch(r"\d+", amount):
        raise QueryError(f"unsupported interval {node.sql(READ_DIALECT)!r}")
    base_sql = _rewrite(base, now).sql("sqlite")
    step = INTERVAL_UNITS[unit]
    if isinstance(step, int):
        return sqlglot.parse_one(f"({base_sql} {sign} {int(amount) * step})", read="sqlite")
    modifier = f"'{sign}{int(amount)} {step}'"
    return sqlglot.parse_one(
        f"CAST(STRFTIME('%s', {base_sql}, 'unixepoch', {modifier}) AS INTEGER)", read="sqlite"
    )


def _rewrite(tree: exp.Expression, now: int) -> exp.Expression:
    return tree.transform(lambda node: _to_sqlite(node, now))


def _to_sqlite(node: exp.Expression, now: int) -> exp.Expression:
    """One rewrite; a replaced node's operands are rewritten here (transform skips them)."""
    if isinstance(node, exp.Anonymous) and node.name.upper() == "NOW" and not node.expressions:
        return exp.Literal.number(now)
    if isinstance(node, exp.CurrentTimestamp):
        return exp.Literal.number(now)
    if isinstance(node, exp.Sub | exp.Add) and isinstance(node.expression, exp.Interval):
        return _shift(node.this, node.expression, "-" if isinstance(node, exp.Sub) else "+", now)
    if isinstance(node, exp.DateSub | exp.DateAdd):
        interval = node.expression
        if not isinstance(interval, exp.Interval):
            interval = exp.Interval(this=interval, unit=node.args.get("unit"))
        return _shift(node.this, interval, "-" if isinstance(node, exp.DateSub) else "+", now)
    if isinstance(node, exp.Literal) and node.is_string and _INSTANT.fullmatch(node.this):
        try:
            return exp.Literal.number(parse_instant(node.this))
        except ValueError:
            raise QueryError(f"invalid timestamp {node.this!r}") from None
    if isinstance(node, exp.Contains):
        column = _rewrite(node.this, now).sql("sqlite")
        value = _rewrite(node.expression, now).sql("sqlite")
        return sqlglot.parse_one(
            f"EXISTS (SELECT 1 FROM json_each({column}) AS sg_item WHERE sg_item.value = {value})",
            read="sqlite",
        )
    return node


def ast_json(node: Any) -> Any:
    """sqlglot's parse tree as plain JSON: ``{"type": <node kind>, <argument>: ...}``."""
    if isinstance(node, list):
        return [ast_json(item) for item in node]
    if isinstance(node, exp.Identifier):
        return node.name
    if isinstance(node, exp.Literal):
        return {"type": "literal", "value": node.this if node.is_string else _number(node.this)}
    if isinstance(node, exp.Expression):
        out: dict[str, Any] = {"type": node.key}
        for key, value in node.args.items():
            if value is None or value is False or value == []:
                continue
            out[key.rstrip("_")] = ast_json(value)
        return out
    return node


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _columns(columns: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in columns)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """A statement the load's budget interrupted raises the budget's error, not SQLite's."""
    try:
        yield
    except sqlite3.Error as error:
        raise_if_interrupted(error)
        raise


class ContactStore:
    """The in-memory SQLite database queries run against: built once per data version."""

    def __init__(self, custom_fields: Sequence[tuple[str, str]]) -> None:
        self.custom = tuple(name for name, _ in custom_fields)
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        # A load's time budget stops its statements too (a self-join may run for hours).
        sqlite_guard(self.db)
        columns = [*CONTACT_COLUMNS, *((n, CUSTOM_TYPES[t]) for n, t in custom_fields)]
        self.columns = tuple(name for name, _ in columns)
        self.db.execute(f"CREATE TABLE contact_data ({_columns(columns)})")
        self.db.execute(f"CREATE TABLE event_data ({_columns(EVENT_COLUMNS)})")

    def insert_contacts(self, rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(self.columns))
        with _interruptible():
            self.db.executemany(f"INSERT INTO contact_data VALUES ({marks})", rows)
            # Indexed after the bulk insert: one sort instead of 200,000 random B-tree inserts.
            self.db.execute("CREATE UNIQUE INDEX contact_by_id ON contact_data (contact_id)")

    def insert_events(self, rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        with _interruptible():
            self.db.executemany(f"INSERT INTO event_data VALUES ({marks})", rows)
            self.db.execute(
                "CREATE INDEX event_by_type ON event_data (event_type, event_timestamp, contact_id)"
            )

    def set_list_ids(self, rows: Iterable[tuple[str, int]]) -> None:
        """``(list_ids JSON, row number)`` pairs: lists are assigned after contacts exist.

        Row ``n`` is the ``n``-th contact inserted (SQLite's ``rowid`` counts from 1).
        """
        with _interruptible():
            self.db.executemany("UPDATE contact_data SET list_ids = ? WHERE rowid = ?", rows)

    def members(self, query: SegmentQuery) -> set[int]:
        """Indexes of the contacts a query selects (row ``n`` is contact ``n - 1``).

        A JOIN may repeat a contact: the set keeps it once (``SELECT DISTINCT`` would take
        SQLite off its plain scan).
        """
        try:
            return {row[0] - 1 for row in self.db.execute(query.sqlite)}
        except sqlite3.Error as error:
            raise_if_interrupted(error)
            raise QueryError(f"cannot be evaluated: {error}") from None

    def close(self) -> None:
        self.db.close()
