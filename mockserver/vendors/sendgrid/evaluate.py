"""v2 segments evaluated over a data version under a time budget (a runaway self-join is
stopped: the segment is ``INVALID``, with the reason); a snapshot holds until the next refresh."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from mockserver.budget import Budget, running, sqlite_guard
from mockserver.errors import LimitError, MockServerError
from mockserver.limits import LOAD_TIMEOUT, QUERY_SECONDS
from mockserver.lru import LruCache
from mockserver.vendors.sendgrid.catalog import Catalog
from mockserver.vendors.sendgrid.compiled import compile_query
from mockserver.vendors.sendgrid.contacts import ContactBook
from mockserver.vendors.sendgrid.overlay import Created
from mockserver.vendors.sendgrid.query import QueryError, SegmentQuery, predicate_text
from mockserver.vendors.sendgrid.store import ContactStore, RowSet

log = logging.getLogger("mockserver.sendgrid")

#: Compiled queries kept per data version.
COMPILED_CACHE = 256


@dataclass(frozen=True)
class Snapshot:
    """One evaluation of a segment: over which data version, when, and what it found."""

    engine: QueryEngine
    at: float
    query_dsl: str
    parent_list_id: str | None
    members: RowSet
    #: Row indexes of the sampled members, ascending.
    sample: tuple[int, ...]
    #: Why the query could not be evaluated (``INVALID``), else ``None`` (``VALID``).
    error: str | None = None
    #: The contact book's version it saw (jobs applied since change the answer).
    version: int = 0


class QueryEngine:
    """Compiles and runs v2 queries over one data version."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._store: ContactStore | None = None
        self._lock = threading.RLock()
        self._compiled: LruCache[SegmentQuery | QueryError] = LruCache(COMPILED_CACHE)
        self._preparing = False
        #: The contacts as the write log's jobs changed them; writes into the store.
        self.book = ContactBook(catalog, store=lambda: self._store, lock=self._lock)

    def compile(self, text: str) -> SegmentQuery:
        """``text`` compiled for this world (raises ``QueryError``; both outcomes cached)."""

        def build() -> SegmentQuery | QueryError:
            try:
                return compile_query(text, self.catalog.spec.now)
            except QueryError as error:
                return error

        found = self._compiled.get_or_build(text, build)
        if isinstance(found, QueryError):
            raise found
        return found

    def members(self, text: str, parent_list_id: str | None) -> RowSet:
        """The contacts ``text`` selects, within the parent list if any (raises a
        ``MockServerError`` when the query cannot be evaluated in time)."""
        query = self.compile(text)
        with self._lock:
            store = self.ensure_store()
            with running(Budget(QUERY_SECONDS, "the segment query")):
                sqlite_guard(store.db)
                members = store.members(query)
        if parent_list_id is not None:
            members &= self.book.list_rows(parent_list_id)
        return members

    def search(self, condition: str) -> RowSet:
        """The contacts matching an SGQL condition now (the contacts API's search): the
        query a segment would run, so search and a refreshed segment agree."""
        return self.members(predicate_text(condition), None)

    def prepare(self) -> None:
        """Start building the store in a thread (a segment was just created: its first
        refresh need not wait ~6 s for a 200k-contact store on the event loop)."""
        if self._store is None and not self._preparing:
            self._preparing = True
            threading.Thread(target=self._prepare, name="sendgrid-store", daemon=True).start()

    def _prepare(self) -> None:
        try:
            self.ensure_store()
        except MockServerError as error:  # retried by the first evaluation
            log.warning("building the store for v2 queries failed: %s", error)

    def ensure_store(self) -> ContactStore:
        """The store queries run on, built on first use (once, under the engine's lock)."""
        with self._lock:
            if self._store is None:
                from mockserver.vendors.sendgrid.population import query_store  # NumPy

                catalog = self.catalog
                with running(Budget(LOAD_TIMEOUT, "building the contact store for v2 queries")):
                    store = query_store(catalog.spec, catalog.seed, catalog.contacts)
                    self.book.replay(store)
                    self._store = store
            return self._store

    def evaluate(self, segment: Created, at: float, previous: Snapshot | None) -> Snapshot:
        """The segment's snapshot at ``at``; the previous one's members when the data version
        and query are the same (a data version is immutable: the answer cannot differ)."""
        parent = segment.parent_list_id
        version = self.book.version
        if previous is not None and (self, version, segment.query_dsl, parent) == (
            previous.engine,
            previous.version,
            previous.query_dsl,
            previous.parent_list_id,
        ):
            return replace(previous, at=at)
        try:
            members = self.members(segment.query_dsl, parent)
        except MockServerError as error:
            reason = str(error)
            if isinstance(error, LimitError):
                reason = f"the query ran longer than {QUERY_SECONDS:g} s and was stopped"
            empty = RowSet.empty()
            return Snapshot(self, at, segment.query_dsl, parent, empty, (), reason, version)
        from mockserver.vendors.sendgrid.population import sample_rows

        sample = tuple(sample_rows(self.catalog.seed, segment.id, members))
        return Snapshot(self, at, segment.query_dsl, parent, members, sample, version=version)
