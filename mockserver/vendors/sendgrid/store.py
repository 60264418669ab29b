"""The in-memory SQLite database queries run against, built once per data version:
``contact_data`` (one row per contact, custom fields as columns) and ``event_data`` (email
engagement), and the sets of contacts queries select. NumPy is imported where a set is made:
the default data's first answers are served without it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.budget import raise_if_interrupted, sqlite_guard
from mockserver.vendors.sendgrid.query import QueryError, SegmentQuery

if TYPE_CHECKING:
    import numpy as np

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
#: The identifiers a contact may have besides its id and email.
ID_FIELDS = ("phone_number_id", "external_id", "anonymous_id")
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("contact_id", "TEXT"),
    ("event_source", "TEXT"),
    ("event_type", "TEXT"),
    ("event_timestamp", "INTEGER"),
)
CUSTOM_TYPES = {"text": "TEXT", "number": "NUMERIC", "date": "INTEGER"}
#: Contacts a world's build makes per second (generated, inserted, queried): 300,000 take ~6 s.
CONTACTS_PER_SECOND = 50_000

# sqlite3 binds None through its adaptation protocol (two failed attribute lookups per value)
# unless an adapter is registered for it: the identity adapter makes NULL a dictionary hit.
# Process-wide, and a no-op for every other use of sqlite3.
sqlite3.register_adapter(type(None), lambda value: value)


def _columns(columns: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in columns)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """A statement a data load's time budget interrupted raises the budget's error, not
    SQLite's (the build methods below run under it; ``_rows`` checks on its own)."""
    try:
        yield
    except sqlite3.Error as error:
        raise_if_interrupted(error)
        raise


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for integers, without ``np.unique`` (which imports ``numpy.ma``,
    ~10 ms of start-up)."""
    import numpy as np

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
    def empty(cls) -> RowSet:
        import numpy as np

        return cls(np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows.tolist())

    def __contains__(self, index: object) -> bool:
        import numpy as np

        if not isinstance(index, int | np.integer):
            return False
        at = int(np.searchsorted(self.rows, index))
        return at < len(self.rows) and self.rows[at] == index

    def flags(self, rows: np.ndarray) -> np.ndarray:
        """Whether each of ``rows`` is in the set: one search for the lot (``in`` searches
        once per row)."""
        import numpy as np

        if not len(self.rows):
            return np.zeros(len(rows), bool)
        return self.rows.take(np.searchsorted(self.rows, rows), mode="clip") == rows

    def __repr__(self) -> str:
        return f"RowSet({self.rows.tolist()!r})"

    __hash__ = AbstractSet._hash

    def __and__(self, other: object) -> RowSet:
        import numpy as np

        if isinstance(other, RowSet):
            return RowSet(np.intersect1d(self.rows, other.rows, assume_unique=True))
        found = np.fromiter((i for i in self if i in other), np.int64)  # type: ignore[operator]
        return RowSet(found)


class MemberBits:
    """Which of several row sets each row is in, one bit per set: a contact's segments in one
    lookup, not a search per segment. ``size`` rows x ``len(sets)`` bits (1M x 33: 5 MB)."""

    __slots__ = ("bits", "count")

    def __init__(self, sets: Sequence[RowSet], size: int) -> None:
        import numpy as np

        self.count = len(sets)
        self.bits = np.zeros((size, (self.count + 7) // 8), np.uint8)
        for k, members in enumerate(sets):
            self.bits[members.rows, k >> 3] |= np.uint8(0x80 >> (k & 7))

    def flags(self, rows: np.ndarray) -> np.ndarray:
        """``len(rows) x len(sets)`` booleans: row ``i`` of ``rows`` is in set ``k``; a row past
        ``size`` is in none."""
        import numpy as np

        found = np.zeros((len(rows), self.count), bool)
        inside = rows < len(self.bits)
        bits = self.bits[rows[inside]]
        found[inside] = np.unpackbits(bits, axis=1, count=self.count).view(bool)
        return found


#: Queries reading ``event_data`` from which an index on it pays: sorting a million contacts'
#: events into one costs about what a few scans of them do.
EVENT_INDEX_QUERIES = 6
#: Events one statement inserts (bounds the JSON text and its parse).
EVENTS_CHUNK = 1 << 18
#: Contacts whose ``list_ids`` one statement sets (bounds the JSON text and its parse).
LIST_IDS_CHUNK = 1 << 17


#: The longest string or blob a query may make: a member array of 500,000 contacts and the
#: rows jobs add fits many times over.
MAX_VALUE_BYTES = 32 * 2**20


class ContactStore:
    """The in-memory SQLite database queries run against: built once per data version."""

    def __init__(self, custom_fields: Sequence[tuple[str, str]]) -> None:
        self.custom = tuple(name for name, _ in custom_fields)
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        # A load's time budget stops its statements too (a self-join may run for hours).
        sqlite_guard(self.db)
        # The budget is checked between steps, so one step must be cheap: no value may grow
        # past what the largest member array needs (a nested replace() makes gigabytes).
        # Python 3.10 has no setlimit: there only the refused functions protect it.
        if sys.version_info >= (3, 11):
            self.db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        # Build-time settings (nothing to recover: the data is rebuilt from the seed): no
        # rollback journal, sorts and temporary indexes in memory.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA temp_store = MEMORY")
        columns = [*CONTACT_COLUMNS, *((n, CUSTOM_TYPES[t]) for n, t in custom_fields)]
        self.columns = tuple(name for name, _ in columns)
        self.declared = dict(columns)
        self.db.execute(f"CREATE TABLE contact_data ({_columns(columns)})")
        self.db.execute(f"CREATE TABLE event_data ({_columns(EVENT_COLUMNS)})")

    @_interruptible()
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

    @_interruptible()
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

    @_interruptible()
    def insert_event_batches(
        self, batches: Iterable[tuple[str, str, np.ndarray, np.ndarray]]
    ) -> None:
        """``(source, type, contact indexes, Unix times)`` batches, in order; the contacts are
        in already. A statement per ``EVENTS_CHUNK`` events: their (time, row) pairs, packed
        in one integer each, go as one JSON array, and SQLite looks each contact's id up by row
        number (``CROSS JOIN``: the array is the outer loop, so rows go in in order)."""
        import numpy as np

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

    @_interruptible()
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

    def unguarded(self) -> None:
        """No budget's progress handler on the writes of a job (bounded by its request's size):
        the last query's budget, spent since, would interrupt them."""
        self.db.set_progress_handler(None, 0)

    def write_rows(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Contacts a job wrote: ``(row, values by column name)`` pairs. Each replaces row
        ``row`` (rowid ``row + 1``) whole; the other columns are NULL."""
        self.unguarded()
        for row, named in rows:
            names = ["rowid", *named]
            marks = ", ".join("?" * len(names))
            self.db.execute(
                f"INSERT OR REPLACE INTO contact_data ({', '.join(names)}) VALUES ({marks})",
                (row + 1, *named.values()),
            )

    def delete_rows(self, rows: Sequence[int]) -> None:
        """Contacts a job deleted (their events stay: no contact joins them)."""
        self.unguarded()
        self.db.execute(
            "DELETE FROM contact_data WHERE rowid IN (SELECT value + 1 FROM json_each(?))",
            (orjson.dumps(list(rows)).decode(),),
        )

    def members(self, query: SegmentQuery) -> RowSet:
        """Indexes of the contacts a query selects (row ``n`` is contact ``n - 1``); a JOIN may
        repeat one: the set keeps it once (``SELECT DISTINCT`` would take SQLite off its scan)."""
        return self._rows(f"SELECT json_group_array(sg_row) FROM ({query.sqlite})")[0]

    @_interruptible()
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
        import numpy as np

        try:
            arrays = self.db.execute(sql).fetchone()
        except sqlite3.Error as error:
            raise_if_interrupted(error)
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
