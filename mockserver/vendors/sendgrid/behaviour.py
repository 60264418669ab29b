"""The SendGrid backend: authorization, rate limiting and the two segment operations.

Handlers only look things up in the :class:`Catalog` and join precomputed bytes; the
per-request work is the filter and the ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.lru import LruCache
from mockserver.spec.model import Operation
from mockserver.vendors.interface import Backend, Call, Handler, Reply
from mockserver.vendors.sendgrid.auth import KeyRing
from mockserver.vendors.sendgrid.catalog import Catalog, results_bytes
from mockserver.vendors.sendgrid.dialect import SendGridDialect
from mockserver.vendors.sendgrid.ratelimit import RateLimiter

#: The operations answered with behaviour (the others, if any, with generated data).
OPERATIONS = frozenset({"ListSegment", "GetSegment"})
MAX_PARENT_LIST_IDS = 50
#: Filtered list answers kept.
FILTER_CACHE_SIZE = 1024
JSON = "application/json"


def split_ids(values: Any) -> list[str]:
    """``ids=a&ids=b,c`` or ``"a,b"`` -> ``["a", "b", "c"]``: blanks dropped, order kept."""
    if not values:
        return []
    items = values if isinstance(values, list) else [values]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def _frozen(value: Any) -> Any:
    """A decoded filter value as a cache key (an array parameter arrives as a list)."""
    return tuple(value) if isinstance(value, list) else value


@dataclass
class SendGridBackend(Backend):
    catalog: Catalog
    keys: KeyRing
    limiter: RateLimiter
    dialect: SendGridDialect
    handlers: Mapping[str, Handler] = field(init=False)
    #: Filtered list answers (bytes, or the 400), by the decoded filter values.
    _filtered: LruCache[bytes | Reply] = field(init=False)

    def __post_init__(self) -> None:
        self.handlers = {"ListSegment": self.list_segments, "GetSegment": self.get_segment}
        self._filtered = LruCache(FILTER_CACHE_SIZE)

    def inventory(self) -> dict[str, list[str]]:
        """The ids in service, per collection (the control plane's index page)."""
        return {
            "segments": [s.id for s in self.catalog.segments],
            "lists": [item.id for item in self.catalog.spec.lists],
            "contacts": self.catalog.contacts.ids,
        }

    def prebuilt(self) -> Iterator[tuple[str, Reply]]:
        """Every body serialized at build time, for the engine's once-per-version validation."""
        yield "ListSegment", Reply(200, self.catalog.all_bytes, JSON)
        for segment in self.catalog.segments:
            yield "GetSegment", Reply(200, segment.full_bytes, JSON)
            yield "GetSegment", Reply(200, segment.full_with_query_bytes, JSON)

    def authorize(self, operation: Operation, credential: str) -> Reply | None:
        refusal = self.keys.refusal(operation.scopes, credential)
        if refusal is not None:
            return refusal
        return self.limiter.refusal(credential)

    def memoizable(self, operation_id: str, params: Mapping[str, Any]) -> bool:
        """Without ``--rate-limit`` an answer is the same for every accepted key until the
        window its ``X-RateLimit-Reset`` names ends (:meth:`memo_epoch`); with a limit, the
        remaining budget changes with every request."""
        return self.limiter.limit is None

    def memo_epoch(self) -> int:
        return self.limiter.window_now()

    def answer_headers(self, call: Call, status: int) -> tuple[tuple[str, str], ...]:
        """The rate-limit model's headers for an answer to ``call`` with ``status``: what a
        forced answer (``Prefer``, a scenario) carries in place of generated values."""
        return self.limiter.headers(call.credential or "", status)

    def _ok(self, call: Call, body: bytes) -> Reply:
        return Reply(200, body, JSON, self.limiter.headers(call.credential or ""))

    def list_segments(self, call: Call) -> Reply:
        """The documented filter table: ``ids`` wins; else parents, plus parentless on request."""
        params = call.params
        ids, parents = params.get("ids"), params.get("parent_list_ids")
        no_parent = bool(params.get("no_parent_list_id"))
        if not (ids or parents or no_parent):
            return self._ok(call, self.catalog.all_bytes)
        key = (_frozen(ids), _frozen(parents), no_parent)
        answer = self._filtered.get_or_build(
            key, lambda: self._filter(split_ids(ids), split_ids(parents), no_parent)
        )
        return self._ok(call, answer) if isinstance(answer, bytes) else answer

    def _filter(self, ids: list[str], parents: list[str], no_parent: bool) -> bytes | Reply:
        """The filtered list's bytes, or the 400 for too many parent lists (the engine has
        already refused malformed ids, as the spec's patterns say)."""
        segments = self.catalog.segments
        if ids:
            wanted = {value.lower() for value in ids}
            return results_bytes([s for s in segments if s.id in wanted])
        wanted = {value.lower() for value in parents}
        if len(wanted) > MAX_PARENT_LIST_IDS:
            message = f"no more than {MAX_PARENT_LIST_IDS} parent_list_ids are allowed"
            return self.dialect.error(400, message, "parent_list_ids")
        if not wanted and not no_parent:
            return self.catalog.all_bytes
        return results_bytes(
            [
                s
                for s in segments
                if s.parent_list_id in wanted or (no_parent and s.parent_list_id is None)
            ]
        )

    def get_segment(self, call: Call) -> Reply:
        segment = self.catalog.by_id.get(str(call.params["segment_id"]).lower())
        if segment is None:
            return self.dialect.error(404, "segment not found", "segment_id")
        body = (
            segment.full_with_query_bytes if call.params.get("query_json") else segment.full_bytes
        )
        return self._ok(call, body)
