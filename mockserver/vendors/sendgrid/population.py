"""A SendGrid data version's contacts, lists and segment memberships - NumPy arrays, the
SQLite run that selects them - and the answers shown from them. The default data's first answers
come from a table computed ahead of time (``memberships.py``): this module is imported, and its
world built, when a request first needs the contacts.
"""

from __future__ import annotations

import contextlib
import gc
import random
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import orjson

from mockserver.budget import checkpoint
from mockserver.heap import release_freed_memory
from mockserver.progress import REPORTER, SILENT, Reporter, Task
from mockserver.vendors.sendgrid.events import by_contact_id, event_batches
from mockserver.vendors.sendgrid.fixtures import FixtureError, WorldSpec
from mockserver.vendors.sendgrid.query import QueryError, SegmentQuery
from mockserver.vendors.sendgrid.store import (
    CONTACTS_PER_SECOND,
    ContactStore,
    RowSet,
    sorted_unique,
)
from mockserver.vendors.sendgrid.values import DAY, iso_ms
from mockserver.vendors.sendgrid.world import Contacts, assign_lists, generate_contacts

SAMPLE_SIZE = 50

#: About what the SQLite database holds per contact: freed once the build is done.
CONTACT_BYTES = 1024


class Population(NamedTuple):
    """The contacts of a data version, each list's members and each segment's (``spec.segments``
    order, within its parent list)."""

    contacts: Contacts
    list_members: dict[str, RowSet]
    members: tuple[RowSet, ...]


def sample_rows(seed: int, segment_id: str, members: RowSet) -> list[int]:
    """The rows of a segment's sample (at most ``SAMPLE_SIZE``), ascending: seeded by the
    segment, so every process draws the same."""
    rng = random.Random(f"sendgrid:{seed}:sample:{segment_id}")
    rows = members.rows
    return sorted(int(rows[i]) for i in rng.sample(range(len(rows)), min(SAMPLE_SIZE, len(rows))))


def _store(spec: WorldSpec) -> ContactStore:
    return ContactStore([(custom.name, custom.type) for custom in spec.custom_fields])


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


def _timeline(
    spec: WorldSpec, seed: int, segment_id: str, members: RowSet, contacts: Contacts
) -> dict[str, str]:
    """created <= updated <= sample updated (the last hourly refresh) < next sample update."""
    rng = random.Random(f"sendgrid:{seed}:segment:{segment_id}")
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


def populate(
    spec: WorldSpec,
    seed: int,
    count: int,
    known: Memberships | None = None,
    task: Task = SILENT,
) -> Population:
    """Generate the contacts and compute every membership (``known``: as computed ahead of
    time, no SQLite); ``task`` hears how far it is."""
    with collector_paused():
        task.step(0.0, "drawing contacts")
        contacts = generate_contacts(spec, seed, count)
        task.step(0.2, "assigning lists")
        if known is None:
            known, list_members = evaluate(spec, seed, contacts, task)
        else:
            list_members = _assign(spec, seed, contacts, known.rules)
        members = []
        for segment, found in zip(spec.segments, known.segments, strict=True):
            checkpoint()
            if segment.parent_list_id is not None:
                found &= list_members[segment.parent_list_id]
            members.append(found)
        return Population(contacts, list_members, tuple(members))


def summaries(spec: WorldSpec, seed: int, population: Population) -> list[dict[str, Any]]:
    """Each segment's summary (``spec.segments`` order): the list answer's item."""
    found = []
    for segment, members in zip(spec.segments, population.members, strict=True):
        checkpoint()
        summary: dict[str, Any] = {
            "id": segment.id,
            "name": segment.name,
            "contacts_count": len(members),
            **_timeline(spec, seed, segment.id, members, population.contacts),
        }
        if segment.parent_list_id is not None:
            summary["parent_list_id"] = segment.parent_list_id
        found.append(summary)
    return found


def full_answers(
    spec: WorldSpec, seed: int, population: Population, summaries: Sequence[dict[str, Any]]
) -> list[bytes]:
    """Each segment's full answer, serialized: its summary and the contacts of its sample."""
    samples = []
    for segment, members in zip(spec.segments, population.members, strict=True):
        checkpoint()
        samples.append(sample_rows(seed, segment.id, members))
    sampled = sorted_unique(np.fromiter((i for sample in samples for i in sample), np.int64))
    segment_ids: dict[int, list[str]] = {i: [] for i in sampled.tolist()}
    for segment, members in zip(spec.segments, population.members, strict=True):
        for i in sampled[np.isin(sampled, members.rows, assume_unique=True)].tolist():
            segment_ids[i].append(segment.id)
    rendered = {i: population.contacts.as_json(i, ids) for i, ids in segment_ids.items()}
    return [
        orjson.dumps(
            {
                **summary,
                "parent_list_ids": [segment.parent_list_id] if segment.parent_list_id else [],
                "query_dsl": segment.query.text,
                "contacts_sample": [rendered[i] for i in sample],
            }
        )
        for segment, summary, sample in zip(spec.segments, summaries, samples, strict=True)
    ]


class Memberships(NamedTuple):
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
        named = [(s.query, f"segment {s.name!r}: query") for s in spec.segments]
        # This store serves these queries only (then closes): the columns they read go in
        # (contact_id: events join on it), and the events if one reads them.
        read = set().union(*(query.columns for query, _ in rules + named), {"contact_id"})
        kept = [name for name in contacts.row_columns if name in read]
        events = any(query.reads_events for query, _ in rules + named)
        insert = partial(
            _insert_rows, spec, seed, store, contacts, task, columns=kept, events=events
        )
        # Rules of contact fields alone run first, over just those fields, so the contacts go
        # in with their list_ids; a rule reading events needs every row in first.
        early = not any(query.reads_events for query, _ in rules)
        if early:
            mentioned = set().union(*(query.columns for query, _ in rules))
            needed = [name for name in store.columns if name in mentioned]
            run = partial(store.members_before_insert, columns=needed, rows=contacts.rows(needed))
            found = _members(rules, run)
        else:
            insert()
            found = _members(rules, store.members_of)
        list_members = _assign(spec, seed, contacts, found)
        if early:
            insert()
        elif "list_ids" in read:
            store.set_list_ids(contacts.list_ids_json())
        task.step(0.75, "running segment queries")
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


def query_store(
    spec: WorldSpec, seed: int, contacts: Contacts, progress: Reporter = REPORTER
) -> ContactStore:
    """A store of the contacts and their events for queries after the build (v2 segments):
    the build's own store is closed to free its memory, so a world only v1 reads never pays
    (a big world reports its progress: the first v2 query waits for it)."""
    store = _store(spec)
    expected = len(contacts) / CONTACTS_PER_SECOND / 2  # about half of a build's time
    try:
        with progress.task("SendGrid query store", expected) as task:
            _insert_rows(spec, seed, store, contacts, task, span=(0.0, 1.0))
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
    columns: Sequence[str] | None = None,
    events: bool = True,
) -> None:
    """The contacts' ``columns`` (default: all; list_ids if assigned yet), then their events
    (unless not ``events``); ``task`` moves through ``span`` of its work (contacts are about
    70% of the time)."""
    start, end = span
    middle = start + 0.7 * (end - start)
    task.step(start, "storing contacts")
    columns = contacts.row_columns if columns is None else columns
    rows = task.through(contacts.rows(columns), len(contacts), start, middle)
    store.insert_contacts(rows, columns)
    if not events:
        return
    task.step(middle, "storing events")
    batches = by_contact_id(event_batches(spec, seed, contacts), contacts)
    store.insert_event_batches((b.source, b.type, b.contacts, b.timestamps) for b in batches)
