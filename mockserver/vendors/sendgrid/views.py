"""What the v2 API shows: every live segment (v1 ones of the data version, v2 ones of the
overlay) as one account's, rendered at one instant of the mock clock.

Counts, samples and each sampled contact's ``segment_ids`` come from the same snapshots, so they
agree with each other, and with the v1 API wherever both see a segment (the v1 API sees only
v1 segments; the v2 API sees both, v1 ones with ``query_version`` "1").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Iterator, Sequence
from typing import Any

import orjson

from mockserver.state.clock import iso
from mockserver.vendors.sendgrid.catalog import Segment
from mockserver.vendors.sendgrid.evaluate import QueryEngine, Snapshot
from mockserver.vendors.sendgrid.overlay import HOUR, Created, Overlay

PENDING, VALID, INVALID = "PENDING", "VALID", "INVALID"
MAX_PARENT_LIST_IDS = 50
TOO_MANY_PARENTS = f"no more than {MAX_PARENT_LIST_IDS} parent_list_ids are allowed"
#: The fields of a segment the v2 list shows (``all_segments_response``).
SUMMARY_FIELDS = (
    "id",
    "name",
    "contacts_count",
    "created_at",
    "updated_at",
    "sample_updated_at",
    "next_sample_update",
    "parent_list_ids",
    "query_version",
    "status",
)


def split_ids(values: Any) -> list[str]:
    """``ids=a&ids=b,c`` or ``"a,b"`` -> ``["a", "b", "c"]``: blanks dropped, order kept."""
    if not values:
        return []
    items = values if isinstance(values, list) else [values]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def segment_filter(
    ids: list[str], parents: list[str], no_parent: bool
) -> Callable[[str, str | None], bool] | None:
    """The documented filter table of both APIs' lists, as a test of (segment id, parent list
    id): ``ids`` wins; else the parents, plus the parentless ones on request; ``None``: too many
    parents."""
    wanted = {i.lower() for i in ids}
    if wanted:
        return lambda segment_id, _: segment_id in wanted
    within = {i.lower() for i in parents}
    if len(within) > MAX_PARENT_LIST_IDS:
        return None
    if not within and not no_parent:
        return lambda _, __: True
    return lambda _, parent: parent in within or (no_parent and parent is None)


class View:
    """The account at ``now``: the data version's engine and the overlay over it."""

    def __init__(self, engine: QueryEngine, overlay: Overlay, now: float) -> None:
        self.engine = engine
        self.catalog = engine.catalog
        self.overlay = overlay
        self.now = now

    # -- which segments ---------------------------------------------------------------------------
    @functools.cached_property
    def live_v1(self) -> list[Segment]:
        """The data version's segments not deleted, in its order."""
        return [s for s in self.catalog.segments if s.id not in self.overlay.deleted]

    def v1(self, segment_id: str) -> Segment | None:
        found = self.catalog.by_id.get(segment_id)
        return None if found is None or found.id in self.overlay.deleted else found

    # -- lists ------------------------------------------------------------------------------------
    def lists(self) -> dict[str, str]:
        """Id -> name of every live list: the data version's (not deleted, renamed), then
        the ones created, in creation order."""
        ids = (*self.catalog.list_names, *self.overlay.lists)
        return {i: name for i in ids if (name := self.list_name(i)) is not None}

    def list_name(self, list_id: str) -> str | None:
        """The name of the live list ``list_id`` (``None``: none is)."""
        overlay = self.overlay
        name = overlay.lists.get(list_id)
        if name is None:
            name = self.catalog.list_names.get(list_id)
            if name is None or list_id in overlay.lists_deleted:
                return None
        return overlay.list_names.get(list_id, name)

    @functools.cached_property
    def live_list_ids(self) -> frozenset[str]:
        return frozenset(self.lists())

    def contacts(self, rows: Sequence[int], full: bool = True) -> list[dict[str, Any]]:
        """Contacts ``rows`` now, with their live lists and segments."""
        book, lists = self.engine.book, self.live_list_ids
        found = zip(rows, self.segment_ids(rows), strict=True)
        return [book.as_json(row, ids, full, lists) for row, ids in found]

    # -- evaluation -------------------------------------------------------------------------------
    def snapshot(self, segment: Created) -> Snapshot | None:
        """The segment's evaluation as of its last refresh (``None``: not evaluated yet)."""
        at = self.overlay.evaluated_at(segment, self.now)
        if at is None:
            return None
        previous = self.overlay.snapshots.get(segment.id)
        if previous is not None and previous.at == at and previous.query_dsl == segment.query_dsl:
            return previous
        found = self.engine.evaluate(segment, at, previous)
        self.overlay.snapshots[segment.id] = found
        return found

    @functools.cached_property
    def _v2_snapshots(self) -> list[tuple[str, Snapshot]]:
        """Each v2 segment whose last refresh saw this data version, with that snapshot."""
        snaps = [(c.id, self.snapshot(c)) for c in self.overlay.created.values()]
        return [(i, s) for i, s in snaps if s is not None and s.engine is self.engine]

    def segment_ids(self, rows: Sequence[int]) -> list[list[str]]:
        """The live segments each contact of ``rows`` of this data version is in: v1 ones,
        then v2 ones whose last refresh saw this data version. One lookup of the rows in the
        v1 bitmap and one search per v2 segment, whatever the number of rows."""
        import numpy as np

        wanted = np.array(rows, np.int64)
        found: list[list[str]] = [[] for _ in rows]
        v1, deleted = self.catalog.segments, self.overlay.deleted
        at, of = np.nonzero(self.catalog.member_bits.flags(wanted))
        for i, k in zip(at.tolist(), of.tolist(), strict=True):
            if v1[k].id not in deleted:
                found[i].append(v1[k].id)
        for segment_id, snap in self._v2_snapshots:
            for i in np.flatnonzero(snap.members.flags(wanted)).tolist():
                found[i].append(segment_id)
        return found

    def _contacts(self, snap: Snapshot) -> list[dict[str, Any]]:
        view = self if snap.engine is self.engine else View(snap.engine, self.overlay, self.now)
        return view.contacts(snap.sample, full=False)

    def settle(self) -> None:
        """Evaluate every segment whose last refresh is at or before ``now`` and not
        evaluated yet: run before a contact job applies, so a refresh before the job does not
        see it."""
        for created in list(self.overlay.created.values()):
            self.snapshot(created)

    # -- rendering --------------------------------------------------------------------------------
    def created_body(self, segment: Created, sample: bool = True) -> dict[str, Any]:
        """A v2 segment as ``segment_response``."""
        snap = self.snapshot(segment)
        sampled_at = segment.query_set_at if snap is None else snap.at
        if snap is None:
            status: dict[str, str] = {"query_validation": PENDING}
        elif snap.error is not None:
            status = {"query_validation": INVALID, "error_message": snap.error}
        else:
            status = {"query_validation": VALID}
        body: dict[str, Any] = {
            "id": segment.id,
            "name": segment.name,
            "query_dsl": segment.query_dsl,
            "contacts_count": 0 if snap is None else len(snap.members),
            "contacts_sample": self._contacts(snap) if sample and snap is not None else [],
            "created_at": iso(segment.created_at),
            "updated_at": iso(segment.updated_at),
            "sample_updated_at": iso(sampled_at),
            "next_sample_update": iso(sampled_at + HOUR),
            "parent_list_ids": list(segment.parent_list_ids),
            "query_version": "2",
            "status": status,
        }
        body.update(self.overlay.refresh_fields(segment.id, self.now))
        return body

    def v1_body(self, segment: Segment, sample: bool = True) -> dict[str, Any]:
        """A v1 segment as the v2 API shows it (``query_version`` "1"): its sampled contacts'
        ``segment_ids`` name v2 segments too."""
        full = orjson.loads(segment.full_bytes)
        contacts = full["contacts_sample"] if sample else []
        ids = self.engine.book.ids()
        shown = [(c, ids[c["id"]]) for c in contacts if c["id"] in ids]
        for (contact, _), found in zip(shown, self.segment_ids([r for _, r in shown]), strict=True):
            contact["segment_ids"] = found
        return {
            **self.v1_summary(segment),
            "query_dsl": full["query_dsl"],
            "contacts_sample": contacts,
        }

    @staticmethod
    def v1_summary(segment: Segment) -> dict[str, Any]:
        parent = segment.parent_list_id
        return {
            **{k: v for k, v in segment.summary.items() if k != "parent_list_id"},
            "parent_list_ids": [parent] if parent else [],
            "query_version": "1",
            "status": {"query_validation": VALID},
        }

    def summaries(self) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        """``(id, parent list id, all_segments_response item)`` of every live segment: v1 ones
        in the data version's order, then v2 ones in creation order."""
        for segment in self.live_v1:
            yield segment.id, segment.parent_list_id, self.v1_summary(segment)
        for created in self.overlay.created.values():
            body = self.created_body(created, sample=False)
            yield created.id, created.parent_list_id, {k: body[k] for k in SUMMARY_FIELDS}


def v1_full_bytes(segment: Segment, with_query: bool, deleted: Container[str]) -> bytes:
    """The v1 GET's answer, its sampled contacts' ``segment_ids`` without ``deleted``."""
    full = orjson.loads(segment.full_with_query_bytes if with_query else segment.full_bytes)
    for contact in full["contacts_sample"]:
        contact["segment_ids"] = [i for i in contact["segment_ids"] if i not in deleted]
    return orjson.dumps(full)
