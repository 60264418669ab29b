"""The contact book: one data version's contacts as the write log's jobs changed them.

SendGrid applies contact writes asynchronously (202 and a job id): each job applies once the
mock clock passes its time plus :data:`JOB_DELAY`, in log order, changing rows incrementally
in the book and in the query store (never rebuilt).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.vendors.sendgrid.catalog import Catalog
from mockserver.vendors.sendgrid.overlay import API, new_id
from mockserver.vendors.sendgrid.store import ID_FIELDS, ContactStore, RowSet
from mockserver.vendors.sendgrid.values import iso_ms, iso_seconds

if TYPE_CHECKING:
    import numpy as np

#: Seconds between a contact write's 202 and its job's completion (mock clock).
JOB_DELAY = 5.0
#: The write-log ops that are jobs of the contact book.
JOB_OPS = frozenset({"contacts_upsert", "contacts_delete", "list_remove_contacts", "list_delete"})
#: The contact fields a request may set (besides email, custom_fields and list_ids).
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "address_line_1",
    "address_line_2",
    "city",
    "state_province_region",
    "postal_code",
    "country",
)

#: The fields a record keeps by name (``Record.fields``).
RECORD_FIELDS = (*TEXT_FIELDS, *ID_FIELDS)
#: What the vendor's contact_response (a segment's sample) allows of the text fields its
#: contact-request takes freely: a sample leaves out a value it refuses, as a postal code that
#: is not a number. (ECMA's ``\s`` spelt out: Python's also matches U+001C-U+001F.)
_CITY = re.compile(
    "[a-zA-Z\u0080-\u024f/\\-)(`.\"'\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029"
    "\u202f\u205f\u3000\ufeff]+"
)
SAMPLE_FIELDS: dict[str, Callable[[str], object]] = {
    "city": _CITY.fullmatch,
    "first_name": len,
    "last_name": len,
}


def is_job(entry: Mapping[str, Any]) -> bool:
    """An entry the contact book applies when due (a list deleted alone is not one)."""
    op = entry.get("op")
    if entry.get("api") != API or op not in JOB_OPS:
        return False
    return op != "list_delete" or bool(entry.get("delete_contacts"))


@dataclass
class JobResult:
    """What a completed job did (``contact-import``'s ``results``)."""

    kind: str
    started_at: float
    requested: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    finished_at: float = 0.0


@dataclass
class Record:
    """A contact a job wrote: its fields as the API shows them, custom values as stored."""

    id: str
    email: str
    fields: dict[str, Any]
    custom: dict[str, Any]
    list_ids: tuple[str, ...]
    created_at: float
    updated_at: float
    alternate_emails: tuple[str, ...] = ()


@dataclass
class ContactBook:
    """The fold of the contact jobs over one data version (its ``catalog``)."""

    catalog: Catalog
    #: The query store, if built (``None``: nothing to write; it replays the book when built).
    store: Callable[[], ContactStore | None] = lambda: None
    lock: threading.RLock = field(default_factory=threading.RLock)
    generation: int = -1
    applied: int = 0
    #: Jobs applied (snapshots and caches key on it).
    version: int = 0
    records: dict[int, Record] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    results: dict[str, JobResult] = field(default_factory=dict)
    _emails: dict[str, int] | None = None
    _ids: dict[str, int] | None = None
    _next_row: int = 0
    _list_cache: dict[str, RowSet] = field(default_factory=dict)
    _alternates: tuple[int, dict[str, int]] | None = None

    def __post_init__(self) -> None:
        self._next_row = self.base

    @property
    def base(self) -> int:
        return self.catalog.size

    # -- folding ----------------------------------------------------------------------------------
    def follow(
        self,
        generation: int,
        entries: list[dict[str, Any]],
        now: float,
        before: Callable[[float], None] | None = None,
    ) -> None:
        """Apply the jobs of ``entries`` due at ``now`` (in order; the first one not due stops
        the queue); ``before(due)`` runs before each (segments refreshed earlier see the
        contacts as they were) - except on this book's first fold: a new data version catching
        up with the log, whose segments saw those jobs on the version before."""
        with self.lock:
            if self.generation == -1:
                before = None
            if generation != self.generation:
                self._restart(generation)
            while self.applied < len(entries):
                entry = entries[self.applied]
                if is_job(entry):
                    due = float(entry["at"]) + JOB_DELAY
                    if due > now:
                        return
                    if before is not None:
                        before(due)
                    self._apply(entry, self.applied + 1, due)
                    self.version += 1
                    self._list_cache = {}
                self.applied += 1

    def pending(self, entries: list[dict[str, Any]]) -> dict[str, tuple[str, float, int]]:
        """Jobs of ``entries`` not applied yet: id -> (kind, written at, requested count)."""
        found = {}
        for number in range(self.applied + 1, len(entries) + 1):
            entry = entries[number - 1]
            if is_job(entry):
                found[new_id(self.catalog.seed, number, "job")] = (
                    _kind(entry),
                    float(entry["at"]),
                    len(entry.get("contacts") or entry.get("ids") or ()),
                )
        return found

    def _restart(self, generation: int) -> None:
        """A reset: the rows jobs changed go back to the data version's."""
        touched = set(self.records) | self.deleted
        self.generation, self.applied, self.version = generation, 0, self.version + 1
        self.records, self.deleted, self.results = {}, set(), {}
        self._next_row, self._list_cache = self.base, {}
        self._emails = self._ids = None
        store = self.store()
        if store is not None and touched:
            store.delete_rows([row for row in touched if row >= self.base])
            self._write(sorted(row for row in touched if row < self.base), store)

    def _apply(self, entry: Mapping[str, Any], number: int, due: float) -> None:
        op = entry["op"]
        result = JobResult(_kind(entry), float(entry["at"]), finished_at=due)
        if op == "contacts_upsert":
            self._upsert(entry, number, due, result)
        elif op == "contacts_delete":
            if entry.get("all"):
                rows: Iterable[int | None] = self.live_rows().tolist()
            else:
                rows = map(self.row_of_id, entry["ids"])
            self._delete(rows, result)
            result.requested = len(entry["ids"]) if "ids" in entry else result.deleted
        elif op == "list_delete":  # a job only when it deletes the list's contacts
            self._delete(self.list_rows(entry["id"]).rows, result)
        elif op == "list_remove_contacts":
            changed = []
            for row in [r for r in map(self.row_of_id, entry["contact_ids"]) if r is not None]:
                record = self.record(row)
                if entry["id"] in record.list_ids:
                    record.list_ids = tuple(i for i in record.list_ids if i != entry["id"])
                    record.updated_at = due
                    self.records[row] = record
                    changed.append(row)
            result.updated = len(changed)
            self._write(changed)
        self.results[new_id(self.catalog.seed, number, "job")] = result

    def _upsert(self, entry: Mapping[str, Any], number: int, due: float, result: JobResult) -> None:
        lists = tuple(entry.get("list_ids") or ())
        written = []
        for k, contact in enumerate(entry["contacts"]):
            result.requested += 1
            row = self.row_of_email(contact["email"])
            if row is None:
                row = self._next_row
                self._next_row += 1
                cid = new_id(self.catalog.seed, number, f"contact:{k}")
                record = Record(cid, contact["email"], {}, {}, (), due, due)
                self.emails()[record.email] = row
                self.ids()[cid] = row
                result.created += 1
            else:
                record = self.record(row)
                result.updated += 1
            record.fields.update({k: v for k, v in contact.items() if k in TEXT_FIELDS})
            if "alternate_emails" in contact:
                record.alternate_emails = tuple(contact["alternate_emails"])
            record.custom.update(contact.get("custom_fields") or {})
            record.list_ids = tuple(dict.fromkeys((*record.list_ids, *lists)))
            record.updated_at = due
            self.records[row] = record
            written.append(row)
        self._write(written)

    def _delete(self, rows: Iterable[int], result: JobResult) -> None:
        gone = [int(r) for r in rows if r is not None and int(r) not in self.deleted]
        emails = self.emails()
        base_emails = self.catalog.contacts.emails
        for row in gone:
            # A data version's contact keeps no record (the catalog still renders it).
            found = self.records.get(row)
            emails.pop(base_emails[row] if found is None else found.email, None)
        self.deleted.update(gone)
        result.deleted = len(gone)
        store = self.store()
        if store is not None:
            store.delete_rows(gone)

    def _write(self, rows: list[int], store: ContactStore | None = None) -> None:
        """Contacts ``rows`` as the book has them, into the query store (if built)."""
        store = store or self.store()
        if store is not None:
            store.write_rows((row, self._columns(self.record(row), store)) for row in rows)

    def replay(self, store: ContactStore) -> None:
        """Write every job's rows into a store just built from the data version."""
        with self.lock:
            self._write([row for row in self.records if row not in self.deleted], store)
            store.delete_rows(sorted(self.deleted))

    @staticmethod
    def _columns(record: Record, store: ContactStore) -> dict[str, Any]:
        """A record as a ``contact_data`` row of ``store``, by column name."""
        addresses = (record.email, *record.alternate_emails)
        domains = list(dict.fromkeys(a.rsplit("@", 1)[1] for a in addresses))
        values = {
            "contact_id": record.id,
            "email": record.email,
            "alternate_emails": orjson.dumps(list(record.alternate_emails)).decode(),
            "list_ids": orjson.dumps(list(record.list_ids)).decode(),
            "created_at": int(record.created_at),
            "updated_at": int(record.updated_at),
            "email_domains": orjson.dumps(domains).decode(),
            **{k: v for k, v in record.fields.items() if k in store.columns},
        }
        values.update({k: v for k, v in record.custom.items() if k in store.custom})
        return values

    # -- lookups ----------------------------------------------------------------------------------
    def emails(self) -> dict[str, int]:
        """Email (primary) -> row of every contact not deleted."""
        if self._emails is None:
            self._emails = {email: i for i, email in enumerate(self.catalog.contacts.emails)}
        return self._emails

    def ids(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = {cid: i for i, cid in enumerate(self.catalog.contacts.ids)}
        return self._ids

    def _live(self, row: int | None) -> int | None:
        return None if row is None or row in self.deleted else row

    def row_of_email(self, email: str) -> int | None:
        return self._live(self.emails().get(email))

    def row_of_id(self, contact_id: str) -> int | None:
        return self._live(self.ids().get(contact_id.lower()))

    def row_of_address(self, email: str) -> int | None:
        """The contact whose email or one of whose alternate emails ``email`` is."""
        row = self.row_of_email(email)
        if row is not None:
            return row
        if self._alternates is None or self._alternates[0] != self.version:
            found = {}
            for i, addresses in enumerate(self.catalog.contacts.alternate_emails):
                for address in addresses:
                    found.setdefault(address, i)
            for i, record in self.records.items():
                for address in record.alternate_emails:
                    found[address] = i
            self._alternates = (self.version, found)
        return self._live(self._alternates[1].get(email))

    def record(self, row: int) -> Record:
        """Contact ``row`` as a job would change it (a copy for a data version's contact)."""
        return self.records.get(row) or self._base_record(row)

    def _base_record(self, row: int) -> Record:
        contacts = self.catalog.contacts
        shown = contacts.as_json(row, [])
        custom = contacts.custom
        return Record(
            shown["id"],
            shown["email"],
            {k: shown[k] for k in RECORD_FIELDS if k in shown},
            {f.name: v for f in contacts.custom_fields if (v := custom[f.name][row]) is not None},
            tuple(shown["list_ids"]),
            float(contacts.created_at[row]),
            float(contacts.updated_at[row]),
            tuple(shown["alternate_emails"]),
        )

    def live_rows(self) -> np.ndarray:
        """Every contact not deleted, ascending."""
        import numpy as np

        rows = np.arange(self._next_row, dtype=np.int64)
        if self.deleted:
            rows = rows[~np.isin(rows, np.fromiter(self.deleted, np.int64))]
        return rows

    def live_ids(self) -> list[str]:
        """The ids of every contact not deleted, in row order (the console's inventory)."""
        ids = self.catalog.contacts.ids
        if not self.deleted and self._next_row == self.base:
            return ids
        new = [self.records[row].id for row in range(self.base, self._next_row)]
        return [cid for row, cid in enumerate([*ids, *new]) if row not in self.deleted]

    def count(self) -> int:
        return self._next_row - len(self.deleted)

    def list_rows(self, list_id: str) -> RowSet:
        """The members of a list: the data version's, as the jobs changed them."""
        cached = self._list_cache.get(list_id)
        if cached is not None:
            return cached
        import numpy as np

        members = self.catalog.list_members.get(list_id)
        rows = np.zeros(0, np.int64) if members is None else members.rows
        if self.records or self.deleted:
            changed = np.fromiter(sorted(self.records.keys() | self.deleted), np.int64)
            rows = rows[~np.isin(rows, changed, assume_unique=True)]
            extra = [
                r
                for r, rec in self.records.items()
                if list_id in rec.list_ids and r not in self.deleted
            ]
            rows = np.union1d(rows, np.array(extra, np.int64))
        found = self._list_cache[list_id] = RowSet(rows)
        return found

    # -- rendering --------------------------------------------------------------------------------
    def as_json(
        self, row: int, segment_ids: list[str], full: bool = False, lists: frozenset | None = None
    ) -> dict[str, Any]:
        """Contact ``row``: as a segment sample shows it, or (``full``) as the contacts API
        does (``contact-details3``: timestamps, postal code as text); ``lists``: the live lists
        (a deleted list leaves ``list_ids``)."""
        record = self.records.get(row)
        if record is None and not full:
            body = self.catalog.contacts.as_json(row, segment_ids)
        else:
            body = self._record_json(record or self._base_record(row), segment_ids, full)
        if lists is not None:
            body["list_ids"] = [i for i in body["list_ids"] if i in lists]
        return body

    @functools.cached_property
    def _dates(self) -> frozenset[str]:
        """The custom fields of type date: stored as Unix seconds, shown as text."""
        return frozenset(f.name for f in self.catalog.spec.custom_fields if f.type == "date")

    def _record_json(self, record: Record, segment_ids: list[str], full: bool) -> dict[str, Any]:
        dates = self._dates
        custom = {
            name: iso_seconds(int(value)) if name in dates else value
            for name, value in record.custom.items()
        }
        body: dict[str, Any] = {"id": record.id, "email": record.email}
        body.update({k: record.fields[k] for k in ID_FIELDS if k in record.fields})
        # Emails are matched lower-cased: ["a@x.com", "A@x.com"] is one address.
        body["alternate_emails"] = list(dict.fromkeys(record.alternate_emails))
        body.update({k: record.fields[k] for k in TEXT_FIELDS if k in record.fields})
        if not full:
            for name, allows in SAMPLE_FIELDS.items():
                if name in body and not allows(body[name]):
                    del body[name]
        postal = str(body.pop("postal_code", ""))
        if full and postal:
            body["postal_code"] = postal
        elif postal.isdigit():
            body["postal_code"] = int(postal)
        body.update(list_ids=list(record.list_ids), segment_ids=segment_ids, custom_fields=custom)
        if full:
            body["created_at"] = iso_ms(record.created_at)
            body["updated_at"] = iso_ms(record.updated_at)
        return body


def _kind(entry: Mapping[str, Any]) -> str:
    return "upsert" if entry["op"] == "contacts_upsert" else "delete"
