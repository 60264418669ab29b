"""One data version of the SendGrid world: the serialized bytes every v1 answer is made of,
computed once from the same sets as its contacts, lists and memberships, so every answer agrees
with every other.

Those sets are NumPy arrays (``population.py``). The default data's answers come from a table
computed ahead of time (``memberships.py``), so its start-up imports no NumPy: the contacts are
generated when a request first needs them, once per data version. Any other data is generated
now, as its list answer needs it; its full answers (each segment's sample of contacts) are
rendered, and checked against the spec, when a request first needs one.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from mockserver.once import Once
from mockserver.progress import REPORTER, Reporter, Task
from mockserver.vendors.sendgrid.fixtures import SegmentSpec, WorldSpec
from mockserver.vendors.sendgrid.store import CONTACTS_PER_SECOND, MemberBits, RowSet

if TYPE_CHECKING:
    from mockserver.vendors.sendgrid.memberships import Known
    from mockserver.vendors.sendgrid.population import Population
    from mockserver.vendors.sendgrid.world import Contacts

#: Each segment's full answer without and with its query's JSON (``spec.segments`` order).
Fulls = list[tuple[bytes, bytes]]


class Segment(NamedTuple):
    """A segment with its answers, serialized once, and its members."""

    spec: SegmentSpec
    summary: dict[str, Any]
    summary_bytes: bytes
    fulls: Once[Fulls]
    population: Once[Population]
    #: Where the segment is in ``spec.segments``.
    position: int = 0

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def full_bytes(self) -> bytes:
        return self.fulls.get()[self.position][0]

    @property
    def full_with_query_bytes(self) -> bytes:
        return self.fulls.get()[self.position][1]

    @property
    def parent_list_id(self) -> str | None:
        return self.spec.parent_list_id

    @property
    def members(self) -> RowSet:
        return self.population.get().members[self.position]


@dataclass(frozen=True)
class Catalog:
    spec: WorldSpec
    #: Each segment's summary (``spec.segments`` order).
    summaries: Sequence[dict[str, Any]]
    #: The table's full answers, or rendered and checked on first need (Backend.check_later).
    fulls: Once[Fulls] = field(repr=False, compare=False)
    #: The contacts, lists and memberships (built on first need, or already).
    population: Once[Population] = field(repr=False, compare=False)
    #: How many contacts the world has.
    size: int = 0
    #: The seed the world was generated from (v2 queries rebuild its store from it).
    seed: int = 0
    segments: tuple[Segment, ...] = field(init=False)
    by_id: dict[str, Segment] = field(init=False, repr=False)
    #: The unfiltered list answer.
    all_bytes: bytes = field(init=False, repr=False)
    _member_bits: Once[MemberBits] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = enumerate(zip(self.spec.segments, self.summaries, strict=True))
        segments = tuple(
            Segment(segment, summary, orjson.dumps(summary), self.fulls, self.population, at)
            for at, (segment, summary) in pairs
        )
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "by_id", {s.id: s for s in self.segments})
        object.__setattr__(self, "all_bytes", results_bytes(self.segments))
        object.__setattr__(self, "_member_bits", Once(self._bits))

    @property
    def contacts(self) -> Contacts:
        return self.population.get().contacts

    @property
    def list_members(self) -> dict[str, RowSet]:
        return self.population.get().list_members

    @property
    def member_bits(self) -> MemberBits:
        """Which segments each contact is in, built when a contact is first rendered."""
        return self._member_bits.get()

    def _bits(self) -> MemberBits:
        return MemberBits(self.population.get().members, self.size)

    @functools.cached_property
    def list_names(self) -> dict[str, str]:
        """The data version's lists: id -> name, in its order."""
        return {item.id: item.name for item in self.spec.lists}

    @property
    def figures(self) -> str:
        """What the world holds, in one line (the banner, the end of a long build)."""
        segments, lists = len(self.segments), len(self.spec.lists)
        return f"{self.size:,} contacts, {segments:,} segments, {lists:,} lists"


def results_bytes(segments: Sequence[Segment]) -> bytes:
    """``{"results": [...]}`` joined from the precomputed summaries: no serialization."""
    return b'{"results":[' + b",".join(s.summary_bytes for s in segments) + b"]}"


def build_catalog(
    spec: WorldSpec,
    seed: int,
    count: int | None = None,
    progress: Reporter = REPORTER,
    known: Known | None = None,
) -> Catalog:
    """The world's answers: from ``known`` (the table's, for the default data) with the
    contacts generated on first need, or computed now from contacts generated now (a big world
    reports its progress to ``progress``), but for the full answers, rendered on first need."""
    count = spec.contacts if count is None else count
    expected = count / CONTACTS_PER_SECOND

    def generated(task: Task) -> Population:
        from mockserver.vendors.sendgrid.population import populate

        return populate(spec, seed, count, known and known.memberships(), task)

    if known is not None:

        def later() -> Population:
            with progress.task("SendGrid world", expected) as task:
                population = generated(task)
                task.finish(f"{count:,} contacts", verb="generated")
                return population

        fulls = Once.built(_with_queries(spec, [full for _, full in known.answers]))
        return Catalog(spec, [s for s, _ in known.answers], fulls, Once(later), count, seed)
    from mockserver.vendors.sendgrid.population import full_answers, summaries

    with progress.task("SendGrid world", expected) as task:
        population = generated(task)
        task.step(0.95, "serializing answers")
        found = summaries(spec, seed, population)
        fulls = Once(lambda: _with_queries(spec, full_answers(spec, seed, population, found)))
        catalog = Catalog(spec, found, fulls, Once.built(population), count, seed)
        task.finish(catalog.figures)
        return catalog


def _with_queries(spec: WorldSpec, fulls: Sequence[bytes]) -> Fulls:
    """Each full answer, and the same with the query's JSON as a last key (``orjson``'s compact
    spelling: the same bytes as serializing it)."""
    return [
        (full, b'%s,"query_json":%s}' % (full[:-1], orjson.dumps(segment.query.ast)))
        for segment, full in zip(spec.segments, fulls, strict=True)
    ]
