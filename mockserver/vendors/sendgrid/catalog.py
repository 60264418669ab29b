"""One data version of the SendGrid world: contacts, lists, segment memberships, and the
serialized bytes every answer is made of — all computed once, at build time.

Membership is what SQLite selects for a segment's query, within its parent list if it
has one. Counts, samples and each sampled contact's ``segment_ids``/``list_ids`` all come
from those same sets, so every answer agrees with every other.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockserver.budget import checkpoint
from mockserver.vendors.sendgrid.fixtures import FixtureError, SegmentSpec, WorldSpec
from mockserver.vendors.sendgrid.sql import ContactStore, QueryError
from mockserver.vendors.sendgrid.values import DAY, iso_ms
from mockserver.vendors.sendgrid.world import (
    Contacts,
    assign_lists,
    generate_contacts,
    generate_events,
)

SAMPLE_SIZE = 50


@dataclass(frozen=True)
class Segment:
    """A segment with its members and its answers, serialized once."""

    spec: SegmentSpec
    members: frozenset[int]
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
    list_members: dict[str, frozenset[int]]
    segments: tuple[Segment, ...]
    by_id: dict[str, Segment] = field(init=False, repr=False)
    #: The unfiltered list answer.
    all_bytes: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {s.id: s for s in self.segments})
        object.__setattr__(self, "all_bytes", results_bytes(self.segments))


def results_bytes(segments: Sequence[Segment]) -> bytes:
    """``{"results": [...]}`` joined from the precomputed summaries: no serialization."""
    return b'{"results":[' + b",".join(s.summary_bytes for s in segments) + b"]}"


class Evaluator:
    """Runs queries, collecting every failure (each naming its list or segment)."""

    def __init__(self, store: ContactStore) -> None:
        self.store = store
        self.problems: list[str] = []

    def members(self, query: Any, where: str) -> set[int]:
        try:
            return self.store.members(query)
        except QueryError as error:
            self.problems.append(f"{where}: {error}")
            return set()

    def check(self) -> None:
        if self.problems:
            raise FixtureError(self.problems)


def _timeline(spec: WorldSpec, seed: int, segment: SegmentSpec, members: frozenset[int],
              contacts: Contacts) -> dict[str, str]:  # fmt: skip
    """created <= updated <= sample updated (the last hourly refresh) < next sample update."""
    rng = random.Random(f"sendgrid:{seed}:segment:{segment.id}")
    now = spec.now
    created = now - rng.uniform(14, 720) * DAY
    updated = created + rng.uniform(0, max(0.0, now - 2 * 3600 - created))
    sampled = now - rng.uniform(0, 3600)
    updated_at = contacts.updated_at
    churn = sum(1 for i in members if updated_at[i] >= now - DAY)
    # Samples refresh hourly while contacts enter or leave, backing off to 24 h otherwise.
    wait_hours = 1 if churn else (6 if members else 24)
    return {
        "created_at": iso_ms(created),
        "updated_at": iso_ms(updated),
        "sample_updated_at": iso_ms(sampled),
        "next_sample_update": iso_ms(sampled + wait_hours * 3600),
    }


def build_catalog(spec: WorldSpec, seed: int, count: int | None = None) -> Catalog:
    """Generate the world, compute every membership, serialize every answer."""
    contacts = generate_contacts(spec, seed, spec.contacts if count is None else count)
    store = ContactStore([(custom.name, custom.type) for custom in spec.custom_fields])
    try:
        store.insert_contacts(contacts.rows())
        store.insert_events(generate_events(spec, seed, contacts))
        evaluator = Evaluator(store)
        eligible = {
            item.key: sorted(evaluator.members(item.where, f"list {item.name!r}: where"))
            for item in spec.lists
            if item.where is not None
        }
        evaluator.check()
        list_members = assign_lists(spec, seed, contacts, eligible)
        store.set_list_ids(
            (orjson.dumps(ids).decode(), i + 1) for i, ids in enumerate(contacts.list_ids) if ids
        )
        memberships = []
        for segment in spec.segments:
            checkpoint()
            members = evaluator.members(segment.query, f"segment {segment.name!r}: query")
            if segment.parent_list_id is not None:
                members.intersection_update(list_members[segment.parent_list_id])
            memberships.append(frozenset(members))
        evaluator.check()
    finally:
        store.close()
    segments = _serialize(spec, seed, contacts, memberships)
    return Catalog(spec, contacts, {k: frozenset(v) for k, v in list_members.items()}, segments)


def _serialize(
    spec: WorldSpec, seed: int, contacts: Contacts, memberships: list[frozenset[int]]
) -> tuple[Segment, ...]:
    samples = []
    for segment, members in zip(spec.segments, memberships, strict=True):
        checkpoint()
        rng = random.Random(f"sendgrid:{seed}:sample:{segment.id}")
        ordered = sorted(members)
        samples.append(sorted(rng.sample(ordered, min(SAMPLE_SIZE, len(ordered)))))
    sampled = {i for sample in samples for i in sample}
    # Each sampled contact's segments, in segment order: one intersection per segment (not
    # one membership test per sampled contact and segment).
    segment_ids: dict[int, list[str]] = {i: [] for i in sampled}
    for segment, members in zip(spec.segments, memberships, strict=True):
        checkpoint()
        for i in sampled & members:
            segment_ids[i].append(segment.id)
    shown = {i: contacts.as_json(i, segment_ids[i]) for i in sampled}
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
