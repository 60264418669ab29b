"""One data version of the SendGrid world: contacts, lists, segment memberships, and the
serialized bytes every answer is made of, computed once at build time from the same sets, so
every answer agrees with every other.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import orjson

from mockserver.budget import checkpoint
from mockserver.heap import release_freed_memory
from mockserver.progress import REPORTER, SILENT, Reporter, Task
from mockserver.vendors.sendgrid.events import by_contact_id, event_batches
from mockserver.vendors.sendgrid.fixtures import FixtureError, SegmentSpec, WorldSpec
from mockserver.vendors.sendgrid.query import QueryError, SegmentQuery
from mockserver.vendors.sendgrid.store import ContactStore, MemberBits, RowSet, sorted_unique
from mockserver.vendors.sendgrid.values import DAY, iso_ms
from mockserver.vendors.sendgrid.world import Contacts, assign_lists, generate_contacts

SAMPLE_SIZE = 50
EMPTY = RowSet(np.zeros(0, np.int64))

#: About what the SQLite database holds per contact: freed once the build is done.
CONTACT_BYTES = 1024
#: Contacts a build makes per second (generated, inserted, queried): 300,000 take ~6 s.
CONTACTS_PER_SECOND = 50_000


@dataclass(frozen=True)
class Segment:
    """A segment with its members and its answers, serialized once."""

    spec: SegmentSpec
    members: RowSet
    summary: dict[str, Any]
    summary_bytes: bytes
    full_bytes: bytes
    full_with_query_bytes: bytes

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def parent_list_id(self) -> str | None:
        return self.spec.parent_list_id


@dataclass(frozen=True)
class Catalog:
    spec: WorldSpec
    contacts: Contacts
    list_members: dict[str, RowSet]
    segments: tuple[Segment, ...]
    #: The seed the world was generated from (v2 queries rebuild its store from it).
    seed: int = 0
    by_id: dict[str, Segment] = field(init=False, repr=False)
    #: The unfiltered list answer.
    all_bytes: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {s.id: s for s in self.segments})
        object.__setattr__(self, "all_bytes", results_bytes(self.segments))

    @functools.cached_property
    def member_bits(self) -> MemberBits:
        """Which segments each contact is in, built when a contact is first rendered."""
        return MemberBits([s.members for s in self.segments], len(self.contacts))

    @property
    def figures(self) -> str:
        """What the world holds, in one line (the banner, the end of a long build)."""
        segments, lists = len(self.segments), len(self.list_members)
        return f"{len(self.contacts):,} contacts, {segments:,} segments, {lists:,} lists"


def sample_rows(seed: int, segment_id: str, members: RowSet) -> list[int]:
    """The rows of a segment's sample (at most ``SAMPLE_SIZE``), ascending: seeded by the
    segment, so every process draws the same."""
    rng = random.Random(f"sendgrid:{seed}:sample:{segment_id}")
    rows = members.rows
    return sorted(int(rows[i]) for i in rng.sample(range(len(rows)), min(SAMPLE_SIZE, len(rows))))


def _store(spec: WorldSpec) -> ContactStore:
    return ContactStore([(custom.name, custom.type) for custom in spec.custom_fields])


def results_bytes(segments: Sequence[Segment]) -> bytes:
    """``{"results": [...]}`` joined from the precomputed summaries: no serialization."""
    return b'{"results":[' + b",".join(s.summary_bytes for s in segments) + b"]}"


def _members(
    named: Sequence[tuple[SegmentQuery, str]],
    run: Callable[[list[SegmentQuery]], list[RowSet | QueryError]],
) -> list[RowSet]:
    """The members of each ``(query, what it belongs to)``, evaluated by ``run``; every
    failure, each naming its list or segment, is one FixtureError."""
    results = run([query for query, _ in named])
    pairs = zip(named, results, strict=True)
    problems = [f"{where}: {found}" for (_, where), found in pairs if isinstance(found, QueryError)]
    if problems:
        raise FixtureError(problems)
    return results  # type: ignore[return-value]


def _timeline(spec: WorldSpec, seed: int, segment: SegmentSpec, members: RowSet,
              contacts: Contacts) -> dict[str, str]:  # fmt: skip
    """created <= updated <= sample updated (the last hourly refresh) < next sample update."""
    rng = random.Random(f"sendgrid:{seed}:segment:{segment.id}")
    now = spec.now
    created = now - rng.uniform(14, 720) * DAY
    updated = created + rng.uniform(0, max(0.0, now - 2 * 3600 - created))
    sampled = now - rng.uniform(0, 3600)
    churn = bool(np.any(contacts.updated_at[members.rows] >= now - DAY))
    # Samples refresh hourly while contacts enter or leave, backing off to 24 h otherwise.
    wait_hours = 1 if churn else (6 if members else 24)
    return {
        "created_at": iso_ms(created),
        "updated_at": iso_ms(updated),
        "sample_updated_at": iso_ms(sampled),
        "next_sample_update": iso_ms(sampled + wait_hours * 3600),
    }


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a build makes millions of objects that hold no
    cycles (strings, tuples): its passes would only walk them (~4% of a big build)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build_catalog(
    spec: WorldSpec,
    seed: int,
    count: int | None = None,
    progress: Reporter = REPORTER,
    known: Memberships | None = None,
) -> Catalog:
    """Generate the world, compute every membership (``known``: as computed ahead of time),
    serialize every answer (a big world reports its progress to ``progress``)."""
    count = spec.contacts if count is None else count
    with (
        collector_paused(),
        progress.task("SendGrid world", count / CONTACTS_PER_SECOND) as task,
    ):
        task.step(0.0, "drawing contacts")
        contacts = generate_contacts(spec, seed, count)
        task.step(0.2, "assigning lists")
        if known is None:
            known, list_members = evaluate(spec, seed, contacts, task)
        else:  # computed ahead of time: no SQLite (memberships.py)
            list_members = _assign(spec, seed, contacts, known.rules)
        task.step(0.95, "serializing answers")
        memberships = []
        for segment, members in zip(spec.segments, known.segments, strict=True):
            checkpoint()
            if segment.parent_list_id is not None:
                members &= list_members[segment.parent_list_id]
            memberships.append(members)
        segments = _serialize(spec, seed, contacts, memberships)
        catalog = Catalog(spec, contacts, list_members, segments, seed)
        task.finish(catalog.figures)
        return catalog


@dataclass(frozen=True)
class Memberships:
    """What SQLite selects in a build: each list rule's members (``spec.lists`` with a
    ``where``, in order), then each segment query's (``spec.segments``, before its parent
    list is applied)."""

    rules: list[RowSet]
    segments: list[RowSet]


def evaluate(
    spec: WorldSpec, seed: int, contacts: Contacts, task: Task = SILENT
) -> tuple[Memberships, dict[str, RowSet]]:
    """Store the contacts in SQLite and run every rule and query; assigns the contacts' lists
    on the way (a segment query may read them). Also returns each list's members."""
    store = _store(spec)
    try:
        ruled = [item for item in spec.lists if item.where is not None]
        rules = [(item.where, f"list {item.name!r}: where") for item in ruled]
        # Rules of contact fields alone run first, over just those fields, so the contacts go
        # in with their list_ids; a rule reading events needs every row in first.
        early = not any(query.reads_events for query, _ in rules)
        if early:
            mentioned = set().union(*(query.columns for query, _ in rules))
            needed = [name for name in store.columns if name in mentioned]
            run = partial(store.members_before_insert, columns=needed, rows=contacts.rows(needed))
            found = _members(rules, run)
        else:
            _insert_rows(spec, seed, store, contacts, task)
            found = _members(rules, store.members_of)
        list_members = _assign(spec, seed, contacts, found)
        if early:
            _insert_rows(spec, seed, store, contacts, task)
        else:
            store.set_list_ids(contacts.list_ids_json())
        task.step(0.75, "running segment queries")
        named = [(s.query, f"segment {s.name!r}: query") for s in spec.segments]
        queried = _members(named, store.members_of)
    finally:
        store.close()
        release_freed_memory(len(contacts) * CONTACT_BYTES)
    return Memberships(found, queried), list_members


def _assign(
    spec: WorldSpec, seed: int, contacts: Contacts, rule_members: list[RowSet]
) -> dict[str, RowSet]:
    """Each list's members, drawn among those its rule (if any) selects."""
    ruled = [item for item in spec.lists if item.where is not None]
    eligible = {item.key: members.rows for item, members in zip(ruled, rule_members, strict=True)}
    assigned = assign_lists(spec, seed, contacts, eligible)
    return {list_id: RowSet(rows) for list_id, rows in assigned.items()}


def query_store(catalog: Catalog, progress: Reporter = REPORTER) -> ContactStore:
    """A store of the catalog's contacts and events for queries after the build (v2 segments):
    the build's own store is closed to free its memory, so a world only v1 reads never pays
    (a big world reports its progress: the first v2 query waits for it)."""
    store = _store(catalog.spec)
    contacts = catalog.contacts
    expected = len(contacts) / CONTACTS_PER_SECOND / 2  # about half of a build's time
    try:
        with progress.task("SendGrid query store", expected) as task:
            _insert_rows(catalog.spec, catalog.seed, store, contacts, task, span=(0.0, 1.0))
            task.finish(f"{len(contacts):,} contacts and their events", verb="stored")
    except BaseException:
        store.close()
        raise
    # The rows were built in Python before SQLite copied them: give those pages back.
    release_freed_memory(len(contacts) * CONTACT_BYTES)
    return store


def _insert_rows(
    spec: WorldSpec,
    seed: int,
    store: ContactStore,
    contacts: Contacts,
    task: Task = SILENT,
    span: tuple[float, float] = (0.25, 0.75),
) -> None:
    """The contacts (with their list_ids, if assigned yet), then their events; ``task`` moves
    through ``span`` of its work (contacts are about 70% of the time)."""
    start, end = span
    middle = start + 0.7 * (end - start)
    task.step(start, "storing contacts")
    rows = task.through(contacts.rows(), len(contacts), start, middle)
    store.insert_contacts(rows, contacts.row_columns)
    task.step(middle, "storing events")
    events = by_contact_id(event_batches(spec, seed, contacts), contacts)
    store.insert_event_batches((b.source, b.type, b.contacts, b.timestamps) for b in events)


def _serialize(
    spec: WorldSpec, seed: int, contacts: Contacts, memberships: list[RowSet]
) -> tuple[Segment, ...]:
    samples = []
    for segment, members in zip(spec.segments, memberships, strict=True):
        checkpoint()
        samples.append(sample_rows(seed, segment.id, members))
    sampled = sorted_unique(np.fromiter((i for sample in samples for i in sample), np.int64))
    segment_ids: dict[int, list[str]] = {i: [] for i in sampled.tolist()}
    for segment, members in zip(spec.segments, memberships, strict=True):
        for i in sampled[np.isin(sampled, members.rows, assume_unique=True)].tolist():
            segment_ids[i].append(segment.id)
    shown = {i: contacts.as_json(i, ids) for i, ids in segment_ids.items()}
    built = []
    for segment, members, sample in zip(spec.segments, memberships, samples, strict=True):
        checkpoint()
        summary: dict[str, Any] = {
            "id": segment.id,
            "name": segment.name,
            "contacts_count": len(members),
            **_timeline(spec, seed, segment, members, contacts),
        }
        if segment.parent_list_id is not None:
            summary["parent_list_id"] = segment.parent_list_id
        full = {
            **summary,
            "parent_list_ids": [segment.parent_list_id] if segment.parent_list_id else [],
            "query_dsl": segment.query.text,
            "contacts_sample": [shown[i] for i in sample],
        }
        built.append(
            Segment(
                spec=segment,
                members=members,
                summary=summary,
                summary_bytes=orjson.dumps(summary),
                full_bytes=orjson.dumps(full),
                full_with_query_bytes=orjson.dumps({**full, "query_json": segment.query.ast}),
            )
        )
    return tuple(built)
