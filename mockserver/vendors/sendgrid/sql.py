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

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

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


# sqlite3 binds None through its adaptation protocol (two failed attribute lookups per value)
# unless an adapter is registered for it: the identity adapter makes NULL a dictionary hit.
# Process-wide, and a no-op for every other use of sqlite3.
sqlite3.register_adapter(type(None), lambda value: value)


class QueryError(DataError):
    """A query outside the supported Segmentation Query Language subset."""


@dataclass(frozen=True)
class SegmentQuery:
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


def parse_query(text: str, now: int) -> SegmentQuery:
    """Parse and check ``text``; :class:`QueryError` says what is wrong with it."""
    try:
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    except SqlglotError as error:
        raise QueryError(f"does not parse: {_first_line(error)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise QueryError("must be a single SELECT statement")
    tree = statements[0]
    _check_shape(tree)
    try:
        rewritten = _rewrite(tree, now)
        scan = _scan(rewritten)
        if scan is None:
            sqlite = _select_row_numbers(rewritten).sql("sqlite")
        else:  # the same statement, spelled from the parts already generated
            from_, row, condition = scan
            sqlite = f"SELECT {row} AS sg_row {from_}"
            sqlite += f" WHERE {condition}" if condition is not None else ""
    except SqlglotError as error:
        raise QueryError(f"cannot be evaluated: {_first_line(error)}") from None
    reads_events = any(table.name.lower() == TABLES[1] for table in tree.find_all(exp.Table))
    columns = frozenset(column.name.lower() for column in tree.find_all(exp.Column))
    return SegmentQuery(text, ast_json(tree), sqlite, scan, reads_events, columns)


#: The parts of a SELECT a query may have and still share a table scan with others.
SCAN_PARTS = frozenset({"expressions", "from_", "where"})


def _scan(tree: exp.Expression) -> tuple[str, str, str | None] | None:
    """``(FROM clause, row number column, condition)`` of a query reading ``contact_data``
    alone, with a condition of the row only (subqueries over table functions of its columns,
    such as ``json_each(list_ids)``, but no other table: those are better run by themselves),
    else ``None``."""
    if any(value for key, value in tree.args.items() if key not in SCAN_PARTS):
        return None
    from_ = tree.args["from_"]
    if any(
        table is not from_.this and not isinstance(table.this, exp.Func)
        for table in tree.find_all(exp.Table)
    ):
        return None
    row = exp.column("rowid", table=from_.this.alias_or_name).sql("sqlite")
    where = tree.args.get("where")
    return from_.sql("sqlite"), row, where.this.sql("sqlite") if where is not None else None


def _select_row_numbers(tree: exp.Expression) -> exp.Expression:
    """Select the contact's row number instead of (contact_id, updated_at): small ints, no
    string to look up, and the same contacts."""
    assert isinstance(tree, exp.Select)
    table = tree.args["from_"].this
    qualifier = table.alias_or_name
    return tree.select(exp.alias_(exp.column("rowid", table=qualifier), "sg_row"), append=False)


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


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for integers, without ``np.unique`` (which imports ``numpy.ma``,
    ~10 ms of start-up)."""
    values = np.sort(values)
    keep = np.ones(len(values), bool)
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


class RowSet(AbstractSet[int]):
    """The contacts a query selects: sorted unique row indexes in one array, read as a set."""

    __slots__ = ("rows",)

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows

    @classmethod
    def of(cls, indexes: Iterable[int]) -> RowSet:
        return cls(sorted_unique(np.fromiter(indexes, np.int64)))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows.tolist())

    def __contains__(self, index: object) -> bool:
        if not isinstance(index, int | np.integer):
            return False
        at = int(np.searchsorted(self.rows, index))
        return at < len(self.rows) and self.rows[at] == index

    def __repr__(self) -> str:
        return f"RowSet({self.rows.tolist()!r})"

    __hash__ = AbstractSet._hash

    def __and__(self, other: object) -> RowSet:
        if isinstance(other, RowSet):
            return RowSet(np.intersect1d(self.rows, other.rows, assume_unique=True))
        return RowSet.of(i for i in self if i in other)  # type: ignore[operator]


#: Queries reading ``event_data`` from which an index on it pays: sorting a million contacts'
#: events into one costs about what a few scans of them do.
EVENT_INDEX_QUERIES = 6
#: Events one statement inserts (bounds the JSON text and its parse).
EVENTS_CHUNK = 1 << 18
#: Contacts whose ``list_ids`` one statement sets (bounds the JSON text and its parse).
LIST_IDS_CHUNK = 1 << 17


class ContactStore:
    """The in-memory SQLite database queries run against: built once per data version."""

    def __init__(self, custom_fields: Sequence[tuple[str, str]]) -> None:
        self.custom = tuple(name for name, _ in custom_fields)
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        # Build-time settings (nothing to recover: the data is rebuilt from the seed): no
        # rollback journal, sorts and temporary indexes in memory.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA temp_store = MEMORY")
        columns = [*CONTACT_COLUMNS, *((n, CUSTOM_TYPES[t]) for n, t in custom_fields)]
        self.columns = tuple(name for name, _ in columns)
        self.declared = dict(columns)
        self.db.execute(f"CREATE TABLE contact_data ({_columns(columns)})")
        self.db.execute(f"CREATE TABLE event_data ({_columns(EVENT_COLUMNS)})")

    def insert_contacts(
        self, rows: Iterable[Sequence[Any]], columns: Sequence[str] | None = None
    ) -> None:
        """One row per contact: the values of ``columns`` (default: every column of
        ``contact_data``, in order); the others are NULL. Leaving out columns that are always
        NULL saves binding ``None``, the slowest value to bind."""
        names = self.columns if columns is None else tuple(columns)
        marks = ", ".join("?" * len(names))
        self.db.executemany(f"INSERT INTO contact_data ({', '.join(names)}) VALUES ({marks})", rows)
        # Indexed after the bulk insert: one sort instead of 200,000 random B-tree inserts.
        self.db.execute("CREATE UNIQUE INDEX contact_by_id ON contact_data (contact_id)")

    def insert_events(self, rows: Iterable[Sequence[Any]]) -> None:
        """``(contact_id, source, type, timestamp)`` rows."""
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        self.db.executemany(f"INSERT INTO event_data VALUES ({marks})", rows)

    def members_before_insert(
        self,
        queries: Sequence[SegmentQuery],
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
    ) -> list[RowSet | QueryError]:
        """``members_of`` queries that read only ``columns`` of ``contact_data`` (no other
        table), evaluated before the contacts are in: over a temporary ``contact_data`` of
        those columns (it hides the real one while it exists), dropped afterwards."""
        columns = tuple(columns) or ("created_at",)
        spelled = ", ".join(f"{name} {self.declared[name]}" for name in columns)
        self.db.execute(f"CREATE TEMP TABLE contact_data ({spelled})")
        try:
            marks = ", ".join("?" * len(columns))
            self.db.executemany(f"INSERT INTO temp.contact_data VALUES ({marks})", rows)
            return self.members_of(queries)
        finally:
            self.db.execute("DROP TABLE temp.contact_data")

    def insert_event_batches(
        self, batches: Iterable[tuple[str, str, np.ndarray, np.ndarray]]
    ) -> None:
        """``(source, type, contact indexes, Unix times)`` batches, in order; the contacts are
        in already. A statement per ``EVENTS_CHUNK`` events: their (time, row) pairs, packed
        in one integer each, go as one JSON array, and SQLite looks each contact's id up by row
        number (``CROSS JOIN``: the array is the outer loop, so rows go in in order)."""
        for source, kind, contacts, timestamps in batches:
            rows = contacts.astype(np.int64) + 1
            shift = max(1, int(rows.max(initial=0)).bit_length())
            if len(rows) and (int(timestamps.min()) < 0 or int(timestamps.max()) >> 62 - shift):
                raise ValueError("event times too far from 1970 to pack")
            packed = (timestamps.astype(np.int64) << shift) | rows
            statement = (
                f"INSERT INTO event_data SELECT c.contact_id, {_quoted(source)}, {_quoted(kind)},"
                f" e.value >> {shift} FROM json_each(?) AS e CROSS JOIN contact_data AS c"
                f" WHERE c.rowid = e.value & {(1 << shift) - 1}"
            )
            for start in range(0, len(packed), EVENTS_CHUNK):
                chunk = packed[start : start + EVENTS_CHUNK]
                self.db.execute(
                    statement, (orjson.dumps(chunk, option=orjson.OPT_SERIALIZE_NUMPY).decode(),)
                )

    def set_list_ids(self, texts: Sequence[str | None]) -> None:
        """Each contact's ``list_ids`` JSON text (``None``: no list, ``[]`` stays), in row order:
        lists are assigned after contacts exist. One statement per ``LIST_IDS_CHUNK`` contacts,
        their texts as one JSON array."""
        for start in range(0, len(texts), LIST_IDS_CHUNK):
            chunk = orjson.dumps(texts[start : start + LIST_IDS_CHUNK]).decode()
            self.db.execute(
                "UPDATE contact_data SET list_ids = sg_lists.value FROM json_each(?) AS sg_lists"
                f" WHERE contact_data.rowid = sg_lists.key + {start + 1}"
                " AND sg_lists.value IS NOT NULL",
                (chunk,),
            )

    def members(self, query: SegmentQuery) -> RowSet:
        """Indexes of the contacts a query selects (row ``n`` is contact ``n - 1``).

        A JOIN may repeat a contact: the set keeps it once (``SELECT DISTINCT`` would take
        SQLite off its plain scan).
        """
        return self._rows(f"SELECT json_group_array(sg_row) FROM ({query.sqlite})")[0]

    def members_of(self, queries: Sequence[SegmentQuery]) -> list[RowSet | QueryError]:
        """``members`` of every query, or its error. Queries of ``contact_data`` alone (most
        are) share one table scan: one aggregate per query, filtered by its condition."""
        if sum(query.reads_events for query in queries) >= EVENT_INDEX_QUERIES:
            self.db.execute(
                "CREATE INDEX IF NOT EXISTS event_by_type"
                " ON event_data (event_type, event_timestamp, contact_id)"
            )
        found: list[RowSet | QueryError | None] = [None] * len(queries)
        scans: dict[str, list[int]] = {}
        for i, query in enumerate(queries):
            if query.scan is not None:
                scans.setdefault(query.scan[0], []).append(i)
        for from_, chosen in scans.items():
            aggregates = []
            for i in chosen:
                _, row, condition = queries[i].scan  # type: ignore[misc]
                only = f" FILTER (WHERE {condition})" if condition is not None else ""
                aggregates.append(f"json_group_array({row}){only}")
            try:
                rows = self._rows(f"SELECT {', '.join(aggregates)} {from_}")
            except QueryError:
                continue  # each on its own below, to tell which one fails
            for i, members in zip(chosen, rows, strict=True):
                found[i] = members
        for i, query in enumerate(queries):
            if found[i] is None:
                try:
                    found[i] = self.members(query)
                except QueryError as error:
                    found[i] = error
        return found  # type: ignore[return-value]

    def _rows(self, sql: str) -> list[RowSet]:
        """Run a statement returning JSON arrays of row numbers (one per column)."""
        try:
            arrays = self.db.execute(sql).fetchone()
        except sqlite3.Error as error:
            raise QueryError(f"cannot be evaluated: {error}") from None
        found = []
        for text in arrays:
            rows = np.array(orjson.loads(text), np.int64)
            found.append(RowSet(sorted_unique(rows - 1)))
        return found

    def close(self) -> None:
        self.db.close()


def _quoted(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
