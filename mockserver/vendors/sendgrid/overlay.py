"""What SendGrid requests changed, folded from the write log: the overlay over a data version.
Every process folding the same entries holds the same overlay: ids come from the seed and the
entry's number, times from the entry.

Timing, as SendGrid documents it: counts and samples are refreshed about once an hour, not
live. A segment's query is evaluated first an hour after it was set (created, or its query
edited), then hourly; a manual refresh evaluates it at once and restarts the hours from there.
Manual refreshes are limited to 1 per segment per hour, 2 per segment per day (from midnight in
the ``user_time_zone`` of the request) and 10 across all segments per day (from 0:00 UTC, as
SendGrid's Refresh Segment reference says).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

from mockserver.state.clock import iso
from mockserver.vendors.sendgrid.values import digest_uuid

log = logging.getLogger("mockserver.sendgrid")

HOUR = 3600.0
#: SendGrid's manual refresh limits.
PER_SEGMENT_HOURLY = 1
PER_SEGMENT_DAILY = 2
PER_ACCOUNT_DAILY = 10
#: Segments an account holds at most (v1 and v2 together).
MAX_SEGMENTS = 200
#: The entries of this API in the shared write log.
API = "sendgrid"


def new_id(seed: int, number: int, what: str) -> str:
    """The UUID (version 4 layout) of the write numbered ``number``: the same in every process."""
    return digest_uuid(f"sendgrid:{seed}:write:{number}:{what}")


@functools.cache
def iana_zones() -> frozenset[str]:
    """The IANA zone names this Python knows (the system's database, else the tzdata package)."""
    import zoneinfo  # a refresh's zone: ~2 ms of start-up otherwise

    return frozenset(zoneinfo.available_timezones())


def zone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone, or ``None``."""
    zones = iana_zones()
    if not zones:
        return (
            "no IANA time zone database is installed here (install the tzdata package): "
            "user_time_zone cannot be checked"
        )
    if name not in zones:
        return f"{name!r} is not an IANA time zone (such as America/Chicago)"
    return None


def day_start(now: float, zone: str) -> float:
    """Unix time of the last midnight before ``now`` in ``zone``."""
    import zoneinfo

    local = datetime.fromtimestamp(now, timezone.utc).astimezone(zoneinfo.ZoneInfo(zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # A zone whose clocks skip midnight (DST at 00:00) has no such instant: fold picks one.
    return midnight.timestamp()


class Refresh(NamedTuple):
    """One accepted manual refresh."""

    segment_id: str
    at: float
    zone: str


class Created(NamedTuple):
    """A segment created through the v2 API, as its last write left it (a tuple: one is made
    a write)."""

    id: str
    name: str
    query_dsl: str
    parent_list_ids: tuple[str, ...]
    created_at: float
    updated_at: float
    #: When its query was last set (created, or the query edited): its hours count from here.
    query_set_at: float

    @property
    def parent_list_id(self) -> str | None:
        return self.parent_list_ids[0] if self.parent_list_ids else None


@dataclass
class Overlay:
    """The fold of this API's entries of one generation of the write log."""

    seed: int = 0
    generation: int = -1
    #: Entries of the log (every API's) folded so far.
    applied: int = 0
    created: dict[str, Created] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    refreshes: list[Refresh] = field(default_factory=list)
    #: Each created segment's last evaluation (``evaluate.Snapshot``), kept across data
    #: versions: a data load shows in a segment only once it is refreshed.
    snapshots: dict[str, Any] = field(default_factory=dict)
    #: Lists created (id -> name), renamed (either kind: id -> name) and deleted.
    lists: dict[str, str] = field(default_factory=dict)
    list_names: dict[str, str] = field(default_factory=dict)
    lists_deleted: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def follow(self, generation: int, entries: list[dict[str, Any]]) -> None:
        """Fold the log's entries not folded yet (all of them after a reset)."""
        if generation != self.generation:
            self.generation, self.applied = generation, 0
            self.created, self.deleted, self.refreshes = {}, set(), []
            self.snapshots = {}
            self.lists, self.list_names, self.lists_deleted = {}, {}, set()
        for number in range(self.applied + 1, len(entries) + 1):
            entry = entries[number - 1]
            if entry.get("api") == API:
                try:
                    self.apply(entry, number)
                except (KeyError, TypeError, ValueError, AttributeError):
                    log.warning("write log entry %d of sendgrid is malformed: skipped", number)
        self.applied = len(entries)

    def apply(self, entry: Mapping[str, Any], number: int) -> None:
        op = entry["op"]
        at = float(entry["at"])
        if op == "create":
            segment_id = new_id(self.seed, number, "segment")
            name, query, parents = entry["name"], entry["query_dsl"], entry.get("parent_list_ids")
            self.created[segment_id] = Created(
                segment_id, name, query, tuple(parents or ()), at, at, at
            )
        elif op == "update":
            found = self.created.get(entry["id"])
            if found is None:
                return
            name, query = entry.get("name", found.name), entry.get("query_dsl", found.query_dsl)
            set_at = found.query_set_at if query == found.query_dsl else at
            self.created[found.id] = Created(
                found.id, name, query, found.parent_list_ids, found.created_at, at, set_at
            )
        elif op == "delete":
            self.created.pop(entry["id"], None)
            self.snapshots.pop(entry["id"], None)
            self.deleted.add(entry["id"])
        elif op == "refresh":
            self.refreshes.append(Refresh(entry["id"], at, entry["zone"]))
        elif op == "list_create":
            self.lists[new_id(self.seed, number, "list")] = entry["name"]
        elif op == "list_update":
            self.list_names[entry["id"]] = entry["name"]
        elif op == "list_delete":
            self.lists.pop(entry["id"], None)
            self.lists_deleted.add(entry["id"])

    # -- reading ----------------------------------------------------------------------------------
    def refreshes_of(self, segment_id: str) -> Iterator[Refresh]:
        return (r for r in self.refreshes if r.segment_id == segment_id)

    def evaluated_at(self, segment: Created, now: float) -> float | None:
        """The instant of the segment's last refresh at ``now`` (``None``: not evaluated yet):
        the last manual refresh since its query was set, or its creation, plus whole hours."""
        since = segment.query_set_at
        manual = [r.at for r in self.refreshes_of(segment.id) if since <= r.at <= now]
        if not manual and now < since + HOUR:
            return None
        anchor = max(manual, default=since)
        return anchor + ((now - anchor) // HOUR) * HOUR

    def refresh_refusal(self, segment_id: str, now: float, zone: str) -> str | None:
        """Why a manual refresh of ``segment_id`` at ``now`` is over SendGrid's limits, or
        ``None`` (``zone``: the request's ``user_time_zone``, where the segment's day starts;
        the account's day starts at 0:00 UTC)."""
        mine = list(self.refreshes_of(segment_id))
        if sum(now - r.at < HOUR for r in mine) >= PER_SEGMENT_HOURLY:
            return f"a segment can be refreshed {PER_SEGMENT_HOURLY} time per hour"
        start = day_start(now, zone)
        if sum(r.at >= start for r in mine) >= PER_SEGMENT_DAILY:
            return f"a segment can be refreshed {PER_SEGMENT_DAILY} times per day"
        utc_day = now - now % 86400
        if sum(r.at >= utc_day for r in self.refreshes) >= PER_ACCOUNT_DAILY:
            return f"segments can be refreshed {PER_ACCOUNT_DAILY} times per day in all"
        return None

    def refresh_fields(self, segment_id: str, now: float) -> dict[str, Any]:
        """``refreshes_used`` (today, in the zone of its last refresh), ``max_refreshes`` and,
        once refreshed, ``last_refreshed_at``."""
        mine = list(self.refreshes_of(segment_id))
        fields: dict[str, Any] = {"refreshes_used": 0, "max_refreshes": PER_SEGMENT_DAILY}
        if mine:
            start = day_start(now, mine[-1].zone)
            fields["refreshes_used"] = sum(start <= r.at <= now for r in mine)
            fields["last_refreshed_at"] = iso(mine[-1].at)
        return fields
