"""The SendGrid backend: authorization, rate limiting, the v1 reads and (``writes.py``) the
operations that write and their reads. v1 answers join bytes prebuilt in the :class:`Catalog`;
once a v1 segment is deleted they are filtered rather than prebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.lru import LruCache
from mockserver.once import Once
from mockserver.spec.model import Operation
from mockserver.state.ledger import Ledger
from mockserver.vendors.interface import Backend, Call, Handler, Reply
from mockserver.vendors.sendgrid import operations as ops
from mockserver.vendors.sendgrid.auth import KeyRing
from mockserver.vendors.sendgrid.catalog import Catalog, Fulls, results_bytes
from mockserver.vendors.sendgrid.dialect import SendGridDialect
from mockserver.vendors.sendgrid.ratelimit import RateLimiter

if TYPE_CHECKING:
    from mockserver.vendors.sendgrid.writes import SegmentWrites

#: The v1 reads: answered from prebuilt bytes, memoizable.
V1_READS = frozenset({"ListSegment", "GetSegment"})
LIST_OPERATIONS = (*ops.LIST_WRITES, *ops.LIST_READS)
CONTACT_OPERATIONS = (*ops.CONTACT_WRITES, *ops.CONTACT_READS)
#: The reads of what writes change: memoizable by the engine while this process's write log is
#: its own (``memo_epoch`` then holds ``ReadMemo.state``), else by ``reads.py`` alone (the POST
#: reads keyed by their body).
STATEFUL_READS = frozenset({*ops.SEGMENT_READS, *ops.LIST_READS, *ops.CONTACT_READS})
#: The operations that write, and the reads of what they write.
SEGMENT_OPERATIONS = (*ops.SEGMENT_WRITES, *ops.SEGMENT_READS)
STATEFUL = frozenset({*SEGMENT_OPERATIONS, *LIST_OPERATIONS, *CONTACT_OPERATIONS})
#: The stateful read no write changes: the data version's field definitions.
STEADY_READS = frozenset({"ListFieldDefinitions"})
#: The stateful operations whose answers read the write log.
READS_LOG = STATEFUL - STEADY_READS
#: The operations answered with behaviour (the others, if any, with generated data).
OPERATIONS = V1_READS | STATEFUL
#: Filtered list answers kept.
FILTER_CACHE_SIZE = 1024
JSON = "application/json"


@dataclass
class SendGridBackend(Backend):
    catalog: Catalog
    keys: KeyRing
    limiter: RateLimiter
    dialect: SendGridDialect
    #: The write log and the mock clock (``state.writes``).
    writes: Ledger
    #: The stateful operations' first-call handlers are replaced by theirs once built.
    handlers: dict[str, Handler] = field(init=False)
    #: Filtered list answers (bytes, or the 400), by the decoded filter values.
    _filtered: LruCache[bytes | Reply] = field(init=False)
    #: The write stack (``writes.py`` and the classes it serves), built on first need.
    _stateful: Once[SegmentWrites] = field(init=False)
    #: The write log is this process's own: nothing changes it but this process's ledger.
    _local: bool = field(init=False)

    def __post_init__(self) -> None:
        self._stateful = Once(self._build_stateful)
        self.handlers = {op: self._on_first_call(op) for op in STATEFUL}
        self.handlers.update(ListSegment=self.list_segments, GetSegment=self.get_segment)
        self._filtered = LruCache(FILTER_CACHE_SIZE)
        self._local = not self.writes.shared

    @property
    def stateful(self) -> SegmentWrites:
        return self._stateful.get()

    def _build_stateful(self) -> SegmentWrites:
        """The write stack, imported and built when first needed: the v1 reads do without it
        until something is written (issue 25). Its handlers then replace the first-call ones."""
        from mockserver.vendors.sendgrid import contact_writes, evaluate, list_writes, writes

        engine = evaluate.QueryEngine(self.catalog)
        stateful = writes.SegmentWrites(engine, self.writes, self.limiter.headers)
        lists, contacts = list_writes.ListWrites(stateful), contact_writes.ContactWrites(stateful)
        for owner in (stateful, lists, contacts):
            self.handlers.update(stateful.wrapped(owner))
        return stateful

    def _on_first_call(self, operation_id: str) -> Handler:
        def first(call: Call) -> Reply:
            self._stateful.get()
            return self.handlers[operation_id](call)

        return first

    def _unwritten(self) -> bool:
        """Nothing written yet (this process's own log empty, no stateful call): the v1 reads
        answer their prebuilt bytes without the write stack."""
        return self._local and not self._stateful.done and not self.writes.entries

    def inventory(self) -> dict[str, list[str]]:
        """The ids in service, per collection (the control plane's index page): every segment
        (v1 ones not deleted, then v2 ones), the v2 ones created through the API by name too,
        lists and contacts (those the API created included, deleted ones left out)."""
        view = self.stateful.view()
        created = view.overlay.created
        return {
            "segments": [*(s.id for s in view.live_v1), *created],
            "created segments": [f"{c.id} {c.name}" for c in created.values()],
            "lists": list(view.lists()),
            "contacts": self.stateful.engine.book.live_ids(),
        }

    def describe(self) -> str:
        return self.catalog.figures

    def prebuilt(self) -> Iterator[tuple[str, Reply]]:
        """Every body serialized at build time, for the engine's once-per-version validation:
        the full answers too when they come from the table (else ``check_later`` has them)."""
        yield "ListSegment", Reply(200, self.catalog.all_bytes, JSON)
        if self.catalog.fulls.done:
            yield from _full_replies(self.catalog.fulls.get())

    def check_later(self, check: Callable[[Iterable[tuple[str, Reply]]], None]) -> None:
        self.catalog.fulls.check = lambda fulls: check(_full_replies(fulls))

    def authorize(self, operation: Operation, credential: str) -> Reply | None:
        # A refusal is a non-empty tuple: truthy.
        return self.keys.refusal(operation.scopes, credential) or self.limiter.refusal(credential)

    def memoizable(self, operation_id: str, params: Mapping[str, Any]) -> bool:
        """Without ``--rate-limit`` an answer is the same for every accepted key until the
        window its ``X-RateLimit-Reset`` names ends (:meth:`memo_epoch`); with a limit, the
        remaining budget changes with every request. The v1 reads, and the reads of what
        writes change while the write log is this process's own: a shared one is synced
        before each of them (another replica's write shows at once), which a memo hit skips.
        The steady reads always (a shared log is synced only on a miss)."""
        if self.limiter.limit is not None:
            return False
        if operation_id in V1_READS or operation_id in STEADY_READS:
            return True
        return operation_id in STATEFUL_READS and self._local

    def reads_writes(self, operation_id: str) -> bool:
        """Those that read the write log (their reads see every write, through any replica)."""
        return operation_id in READS_LOG

    def memo_epoch(self) -> tuple[Any, ...]:
        """The rate-limit window and the write log's position (a v1 segment deleted ends the
        memo; in a shared log, another process's write too, by its event); with a log of
        this process's own, the reads' key in place of the position (``ReadMemo.state``: the
        reads of what writes change read the clock too) - none while nothing is written."""
        window = self.limiter.window_now()
        if self._unwritten():
            return window, None
        if self._local:
            # Not steady (within SLACK of an hour's edge): an epoch equal to no other.
            return window, self.stateful.reads.state()[0] or object()
        writes = self.writes
        return window, writes.generation, writes.position, writes.hint

    def answer_headers(self, call: Call, status: int) -> tuple[tuple[str, str], ...]:
        """The rate-limit model's headers for an answer to ``call`` with ``status``: what a
        forced answer (``Prefer``, a scenario) carries in place of generated values."""
        return self.limiter.headers(call.credential or "", status)

    def _ok(self, call: Call, body: bytes) -> Reply:
        return Reply(200, body, JSON, self.limiter.headers(call.credential or ""))

    def list_segments(self, call: Call) -> Reply:
        """The documented filter table (``views.segment_filter``), without deleted segments."""
        params = call.params
        ids, parents = params.get("ids"), params.get("parent_list_ids")
        no_parent = bool(params.get("no_parent_list_id"))
        deleted = self._deleted()

        def build() -> bytes | Reply:
            from mockserver.vendors.sendgrid import views

            # The engine has already refused malformed ids, as the spec's patterns say.
            keep = views.segment_filter(views.split_ids(ids), views.split_ids(parents), no_parent)
            if keep is None:
                return self.dialect.error(400, views.TOO_MANY_PARENTS, "parent_list_ids")
            segments = self.catalog.segments
            return results_bytes(
                [s for s in segments if s.id not in deleted and keep(s.id, s.parent_list_id)]
            )

        if deleted:
            answer = build()
        elif not (ids or parents or no_parent):
            answer = self.catalog.all_bytes
        else:
            from mockserver.vendors.sendgrid.reads import frozen

            key = (frozen(ids), frozen(parents), no_parent)
            answer = self._filtered.get_or_build(key, build)
        return self._ok(call, answer) if isinstance(answer, bytes) else answer

    def _deleted(self) -> set[str] | frozenset[str]:
        """The segments deleted as of the last write event (none while nothing is written)."""
        return frozenset() if self._unwritten() else self.stateful.overlay().deleted

    def get_segment(self, call: Call) -> Reply:
        deleted = self._deleted()
        segment = self.catalog.by_id.get(str(call.params["segment_id"]).lower())
        if segment is None or segment.id in deleted:
            return self.dialect.error(404, "segment not found", "segment_id")
        with_query = bool(call.params.get("query_json"))
        if deleted:
            from mockserver.vendors.sendgrid.views import v1_full_bytes

            return self._ok(call, v1_full_bytes(segment, with_query, deleted))
        return self._ok(call, segment.full_with_query_bytes if with_query else segment.full_bytes)


def _full_replies(fulls: Fulls) -> Iterator[tuple[str, Reply]]:
    return (("GetSegment", Reply(200, body, JSON)) for pair in fulls for body in pair)
