"""The SendGrid operations that write: Segmentation v2 (create, update, delete, manual refresh),
its two reads, and the v1 DELETE.

A write is checked against the account as this process last read it from the write log, then
appended on condition that nothing came in between; when something did (another replica
wrote), it is read again and checked again. So a name stays unique and a refresh limit holds
across replicas, and bad input appends nothing. Every answer is rendered from the overlay
(``views.py``) at the mock clock's now; the reads' are memoized (``reads.py``). A write reads
the log once: its own entry, once appended, is folded from this process's copy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import orjson

from mockserver.errors import MockServerError
from mockserver.state.ledger import Ledger, WriteRefused
from mockserver.vendors.interface import Call, Reply
from mockserver.vendors.sendgrid import operations
from mockserver.vendors.sendgrid.dialect import errors_reply
from mockserver.vendors.sendgrid.evaluate import QueryEngine
from mockserver.vendors.sendgrid.overlay import API, MAX_SEGMENTS, Overlay, new_id, zone_problem
from mockserver.vendors.sendgrid.query import QueryError
from mockserver.vendors.sendgrid.reads import ReadMemo
from mockserver.vendors.sendgrid.views import TOO_MANY_PARENTS, View, segment_filter, split_ids

JSON = "application/json"
#: Times a write is checked again after other processes appended first.
WRITE_ATTEMPTS = 16
NOT_FOUND = errors_reply(404, ("segment_id", "segment not found"))
#: The refresh operation's own 404 (``segment_error``, as the vendor's spec gives it).
REFRESH_NOT_FOUND = Reply(404, b'{"error":"Segment does not exist."}', JSON)

Check = Callable[[View], "dict[str, Any]"]
Handlers = dict[str, Callable[[Call], Reply]]


class Refusal(MockServerError):
    """A request refused before anything is written: ``reply`` is its answer."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"refused with {reply.status}")
        self.reply = reply


def refuse(field: str | None, message: str, status: int = 400) -> Refusal:
    """The refusal of one field, in SendGrid's dialect (raise it): a repeat's is built once."""
    return Refusal(_refused(status, (field, message)))


_refused = functools.lru_cache(maxsize=256)(errors_reply)


def answer(status: int, body: Any = None) -> Reply:
    if body is None:
        return Reply(status, b"", None)
    return Reply(status, orjson.dumps(body), JSON)


def segment_id_of(call: Call) -> str:
    return str(call.params["segment_id"]).lower()


class SegmentWrites:
    """The handlers of the stateful operations over one data version (``engine``)."""

    #: Operation id -> the method answering it (here and in the classes ``wrapped`` serves).
    OPERATIONS: ClassVar[dict[str, str]] = operations.SEGMENT_WRITES
    #: Operation id -> the method rendering its body from a view (``wrapped`` memoizes it).
    READS: ClassVar[dict[str, str]] = operations.SEGMENT_READS

    def __init__(
        self,
        engine: QueryEngine,
        ledger: Ledger,
        headers: Callable[[str], tuple[tuple[str, str], ...]],
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.headers = headers
        catalog = engine.catalog
        self.seed = catalog.seed
        #: The data version's v1 segments (name -> id), for the checks.
        self.v1_names = {s.spec.name: s.id for s in catalog.segments}
        #: The reads' answers, while nothing they read changed.
        self.reads = ReadMemo(engine, ledger, self.view)

    def wrapped(self, owner: Any) -> Handlers:
        """The handlers of ``owner.OPERATIONS`` and ``owner.READS`` (a read's body, rendered
        from a view, is answered 200 from the memo while nothing it reads changed:
        ``reads.py``): a :class:`Refusal` is their answer, and every answer carries
        ``X-RateLimit-*``, as SendGrid's do (refusals included)."""

        def wrap(handler: Callable[[Call], Reply]) -> Callable[[Call], Reply]:
            def answered(call: Call) -> Reply:
                try:
                    reply = handler(call)
                except Refusal as refusal:
                    reply = refusal.reply
                return reply.with_headers(*self.headers(call.credential or ""))

            return answered

        def read(render: Callable[[View, Call], Any]) -> Callable[[Call], Reply]:
            def answered(call: Call) -> Reply:
                return self.reads.answer(call, lambda view: answer(200, render(view, call)))

            return answered

        found = {op: getattr(owner, method) for op, method in owner.OPERATIONS.items()}
        found.update({op: read(getattr(owner, method)) for op, method in owner.READS.items()})
        return {op: wrap(handler) for op, handler in found.items()}

    # -- the account as the write log has it ---------------------------------------------------
    @functools.cached_property
    def _fold(self) -> Overlay:
        """This API's fold, kept by the ledger across data versions (made on first use)."""
        return self.ledger.fold(API, lambda: Overlay(seed=self.seed))

    def overlay(self) -> Overlay:
        """The overlay as of the last write event (the v1 reads, memoized on it anyway)."""
        self.ledger.sync_if_told()
        return self._follow(self.ledger.now())

    def _follow(self, now: float) -> Overlay:
        """The overlay and the contact book up to this process's copy of the log (no sync)."""
        ledger, overlay = self.ledger, self._fold
        with overlay.lock:
            overlay.follow(ledger.generation, ledger.entries)
            self.engine.book.follow(ledger.generation, ledger.entries, now, self._settle)
        return overlay

    def _settle(self, due: float) -> None:
        """Before a contact job applies: the v2 segments due by then are evaluated first."""
        if self._fold.created:
            View(self.engine, self._fold, due).settle()

    def view(self) -> View:
        self.ledger.sync()
        now = self.ledger.now()
        return View(self.engine, self._follow(now), now)

    def write(self, check: Check, field: str = "segment_id") -> tuple[View, int]:
        """Append the entry ``check`` makes of the current view (it raises a :class:`Refusal`);
        that view (the entry not in it: :meth:`folded`) and the entry's number."""
        for _ in range(WRITE_ATTEMPTS):
            view = self.view()
            entry = check(view)
            try:
                number = self.ledger.append({"api": API, "at": view.now, **entry})
            except WriteRefused as refused:
                raise refuse(field, str(refused), refused.status) from None
            if number is not None:
                return view, number
        raise refuse(field, "too many writes at once; try again", 503)

    def folded(self, view: View) -> View:
        """``view`` at its instant, the entries appended since folded into the overlay (the
        contact book takes them at its next read: a job is due seconds later)."""
        ledger, overlay = self.ledger, view.overlay
        with overlay.lock:
            overlay.follow(ledger.generation, ledger.entries)
        return View(self.engine, overlay, view.now)

    def job(self, check: Check, field: str, status: int = 202) -> Reply:
        """``write``, answered with the id of the job the entry is."""
        _, number = self.write(check, field)
        return answer(status, {"job_id": new_id(self.seed, number, "job")})

    # -- checks ---------------------------------------------------------------------------------
    def require_lists(self, view: View, ids: Iterable[str], field: str) -> None:
        """Refuse the first of ``ids`` that names no live list."""
        for list_id in ids:
            if view.list_name(list_id) is None:
                raise refuse(field, f"list {list_id!r} does not exist")

    def live_count(self, view: View) -> int:
        """Segments of the account, both versions (the v1 ones deleted counted out)."""
        v1_deleted = view.overlay.deleted.intersection(self.v1_names.values())
        return len(self.v1_names) - len(v1_deleted) + len(view.overlay.created)

    def _name_free(self, view: View, name: str, own: str | None = None) -> None:
        """Refuse ``name`` if a live segment other than ``own`` holds it (names are unique
        across both APIs)."""
        created = view.overlay.created.values()
        holder = next((c.id for c in created if c.name == name), None)
        if holder is None:
            holder = self.v1_names.get(name)
            holder = None if holder in view.overlay.deleted else holder
        if holder is not None and holder != own:
            raise refuse("name", f"a segment named {name!r} already exists")

    def _compiles(self, text: str) -> None:
        try:
            self.engine.compile(text)
        except QueryError as error:
            raise refuse("query_dsl", f"invalid query: {error}") from None

    @staticmethod
    def _v2_only(view: View, segment_id: str, why: str, missing: Reply) -> None:
        """Refuse a segment that is not a v2 one: ``why`` for a v1 one, else ``missing``."""
        if segment_id not in view.overlay.created:
            if view.v1(segment_id) is not None:
                raise refuse("segment_id", why)
            raise Refusal(missing)

    # -- handlers ---------------------------------------------------------------------------------
    def create(self, call: Call) -> Reply:
        body = call.body
        name, text = body["name"], body["query_dsl"]
        parents = list(body.get("parent_list_ids") or [])

        def check(view: View) -> dict[str, Any]:
            if len(parents) > 1:
                raise refuse("parent_list_ids", "at most one parent list id is allowed")
            self.require_lists(view, parents, "parent_list_ids")
            self._name_free(view, name)
            self._compiles(text)
            if self.live_count(view) >= MAX_SEGMENTS:
                raise refuse("name", f"an account holds at most {MAX_SEGMENTS} segments")
            return {"op": "create", "name": name, "query_dsl": text, "parent_list_ids": parents}

        view, number = self.write(check)
        self.engine.prepare()
        view = self.folded(view)
        created = view.overlay.created[new_id(self.seed, number, "segment")]
        return answer(201, view.created_body(created))

    def list(self, view: View, call: Call) -> dict[str, Any]:
        params = call.params
        keep = segment_filter(
            split_ids(params.get("ids")),
            split_ids(params.get("parent_list_ids")),
            bool(params.get("no_parent_list_id")),
        )
        if keep is None:
            raise refuse("parent_list_ids", TOO_MANY_PARENTS)
        return {"results": [s for i, parent, s in view.summaries() if keep(i, parent)]}

    def get(self, view: View, call: Call) -> dict[str, Any]:
        segment_id = segment_id_of(call)
        sample = call.params.get("contacts_sample", True) is not False
        created = view.overlay.created.get(segment_id)
        if created is not None:
            return view.created_body(created, sample)
        v1 = view.v1(segment_id)
        if v1 is not None:
            return view.v1_body(v1, sample)
        raise Refusal(NOT_FOUND)

    def update(self, call: Call) -> Reply:
        body = call.body or {}
        segment_id = segment_id_of(call)
        changes = {key: body[key] for key in ("name", "query_dsl") if key in body}

        def check(view: View) -> dict[str, Any]:
            why = "v1 segments cannot be updated: create a v2 segment instead"
            self._v2_only(view, segment_id, why, NOT_FOUND)
            if not changes:
                raise refuse("body", "nothing to update: send name and/or query_dsl")
            if "name" in changes:
                self._name_free(view, changes["name"], own=segment_id)
            if "query_dsl" in changes:
                self._compiles(changes["query_dsl"])
            return {"op": "update", "id": segment_id, **changes}

        view = self.folded(self.write(check)[0])
        return answer(200, view.created_body(view.overlay.created[segment_id]))

    def _delete(self, call: Call, either: bool, body: Any) -> Reply:
        segment_id = segment_id_of(call)

        def check(view: View) -> dict[str, Any]:
            if view.v1(segment_id) is None and not (either and segment_id in view.overlay.created):
                raise Refusal(NOT_FOUND)
            return {"op": "delete", "id": segment_id}

        self.write(check)
        return answer(202, body)

    def delete(self, call: Call) -> Reply:
        """v2 DELETE: a segment of either version (one account holds both)."""
        return self._delete(call, True, None)

    def delete_v1(self, call: Call) -> Reply:
        """v1 DELETE: the v1 API sees v1 segments only (a v2 id is unknown to it)."""
        return self._delete(call, False, {})

    def refresh(self, call: Call) -> Reply:
        segment_id = segment_id_of(call)
        zone = call.body["user_time_zone"]

        def check(view: View) -> dict[str, Any]:
            why = "v1 segments are refreshed on their own schedule, not manually"
            self._v2_only(view, segment_id, why, REFRESH_NOT_FOUND)
            problem = zone_problem(zone)
            if problem is not None:
                raise refuse("user_time_zone", problem)
            limit = view.overlay.refresh_refusal(segment_id, view.now, zone)
            if limit is not None:
                raise refuse("segment_id", f"refresh limit reached: {limit}", 429)
            return {"op": "refresh", "id": segment_id, "zone": zone}

        return self.job(check, "segment_id")
