"""SendGrid's Segmentation Query Language, parsed by sqlglot (MySQL-flavoured: backslash
escapes, ``INTERVAL 30 DAY``) and rewritten for SQLite: timestamps are Unix seconds, so ISO 8601
literals become seconds and ``NOW()`` the world's fixed now (data never depends on the wall
clock); intervals become seconds or SQLite's calendar steps (months, years); ``CONTAINS`` over a
JSON array column becomes ``EXISTS (SELECT 1 FROM json_each(...))``.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mockserver.vendors.sendgrid.query import QueryError, SegmentQuery
from mockserver.vendors.sendgrid.values import parse_instant

#: The dialect SGQL is read as: MySQL's string escapes and interval syntax match the docs.
READ_DIALECT = "mysql"
TABLES = ("contact_data", "event_data")
SELECTED = ("contact_id", "updated_at")

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
    for call in tree.find_all(exp.Anonymous):
        # A function sqlglot does not know is SQLite's alone (randomblob, printf, ...): no
        # part of the language, and one call may cost seconds between two budget checks.
        if call.name.upper() != "NOW" and not isinstance(call.parent, exp.Table):
            raise QueryError(f"unknown function {call.name.upper()}")


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
