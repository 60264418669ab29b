"""The SendGrid operations that write: Segmentation v2 (create, update, delete, manual refresh),
its two reads, and the v1 DELETE.

A write is checked against the account as this process last read it from the write log, then
appended on condition that nothing came in between; when something did (another replica
wrote), it is read again and checked again. So a name stays unique and a refresh limit holds
across replicas, and bad input appends nothing. Every answer is rendered from the overlay
(``views.py``) at the mock clock's now; none is memoized.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from mockserver.state.ledger import Ledger, WriteRefused
from mockserver.vendors.interface import Call, Reply
from mockserver.vendors.sendgrid.dialect import SendGridDialect
from mockserver.vendors.sendgrid.evaluate import QueryEngine
from mockserver.vendors.sendgrid.overlay import API, MAX_SEGMENTS, Overlay, new_id, zone_problem
from mockserver.vendors.sendgrid.query import QueryError
from mockserver.vendors.sendgrid.views import MAX_PARENT_LIST_IDS, View, split_ids

JSON = "application/json"
#: Times a write is checked again after other processes appended first.
WRITE_ATTEMPTS = 16
NOT_FOUND = "segment not found"
#: The refresh operation's own 404 (``segment_error``, as the vendor's spec gives it).
REFRESH_NOT_FOUND = b'{"error":"Segment does not exist."}'

Check = Callable[[View], "dict[str, Any] | Reply"]


def segment_id_of(call: Call) -> str:
    return str(call.params["segment_id"]).lower()


class SegmentWrites:
    """The handlers of the stateful operations over one data version (``engine``)."""

    def __init__(
        self,
        engine: QueryEngine,
        ledger: Ledger,
        dialect: SendGridDialect,
        headers: Callable[[str], tuple[tuple[str, str], ...]],
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.dialect = dialect
        self.headers = headers
        self.seed = engine.catalog.seed
        self.lists = {item.id for item in engine.catalog.spec.lists}

    def handlers(self) -> dict[str, Callable[[Call], Reply]]:
        handlers = {
            "CreateSegmentV2": self.create,
            "ListSegmentsV2": self.list,
            "GetSegmentV2": self.get,
            "UpdateSegmentV2": self.update,
            "DeleteSegmentV2": self.delete,
            "RefreshSegmentV2": self.refresh,
            "DeleteSegment": self.delete_v1,
        }
        return {name: self._with_rate_headers(handler) for name, handler in handlers.items()}

    def _with_rate_headers(self, handler: Callable[[Call], Reply]) -> Callable[[Call], Reply]:
        """Every answer carries ``X-RateLimit-*``, as SendGrid's do (refusals included)."""

        def answer(call: Call) -> Reply:
            return handler(call).with_headers(*self.headers(call.credential or ""))

        answer.__name__ = handler.__name__
        return answer

    # -- the account as the write log has it ---------------------------------------------------
    def overlay(self, fresh: bool = True) -> Overlay:
        """The overlay with every entry of the log folded in (one round trip when shared);
        ``fresh=False``: as of the last write event (the v1 reads, memoized on it anyway)."""
        ledger = self.ledger
        if fresh:
            ledger.sync()
        else:
            ledger.sync_if_told()
        overlay: Overlay = ledger.fold(API, lambda: Overlay(seed=self.seed))
        with overlay.lock:
            overlay.follow(ledger.generation, ledger.entries)
        return overlay

    def view(self) -> View:
        overlay = self.overlay()
        return View(self.engine, overlay, self.ledger.now())

    def _write(self, check: Check) -> tuple[View, int] | Reply:
        """Append the entry ``check`` makes of the current view (or answer its refusal)."""
        for _ in range(WRITE_ATTEMPTS):
            view = self.view()
            entry = check(view)
            if isinstance(entry, Reply):
                return entry
            try:
                number = self.ledger.append({"api": API, "at": view.now, **entry})
            except WriteRefused as refused:
                return self.dialect.error(refused.status, str(refused), "segment_id")
            if number is not None:
                return self.view(), number
        return self.dialect.error(503, "too many writes at once; try again", "segment_id")

    @staticmethod
    def _answer(status: int, body: Any) -> Reply:
        content = b"" if body is None else orjson.dumps(body)
        return Reply(status, content, None if body is None else JSON)

    def _refuse(self, field: str, message: str, status: int = 400) -> Reply:
        return self.dialect.error(status, message, field)

    # -- checks shared by create and update -------------------------------------------------------
    def _name_taken(self, view: View, name: str, own: str | None = None) -> Reply | None:
        holder = view.names().get(name)
        if holder is not None and holder != own:
            return self._refuse("name", f"a segment named {name!r} already exists")
        return None

    def _query_problem(self, text: str) -> Reply | None:
        try:
            self.engine.compile(text)
        except QueryError as error:
            return self._refuse("query_dsl", f"invalid query: {error}")
        return None

    # -- handlers ---------------------------------------------------------------------------------
    def create(self, call: Call) -> Reply:
        body: Mapping[str, Any] = call.body
        name, text = body["name"], body["query_dsl"]
        parents = list(body.get("parent_list_ids") or [])

        def check(view: View) -> dict[str, Any] | Reply:
            if len(parents) > 1:
                return self._refuse("parent_list_ids", "at most one parent list id is allowed")
            unknown = [p for p in parents if p not in self.lists]
            if unknown:
                return self._refuse("parent_list_ids", f"list {unknown[0]!r} does not exist")
            refusal = self._name_taken(view, name) or self._query_problem(text)
            if refusal is not None:
                return refusal
            if view.count() >= MAX_SEGMENTS:
                return self._refuse("name", f"an account holds at most {MAX_SEGMENTS} segments")
            return {"op": "create", "name": name, "query_dsl": text, "parent_list_ids": parents}

        done = self._write(check)
        if isinstance(done, Reply):
            return done
        view, number = done
        self.engine.prepare()
        created = view.overlay.created[new_id(self.seed, number, "segment")]
        return self._answer(201, view.created_body(created))

    def list(self, call: Call) -> Reply:
        """The v1 filter table over every live segment: ``ids`` wins; else the parents, plus the
        parentless ones on request."""
        params = call.params
        ids = {i.lower() for i in split_ids(params.get("ids"))}
        parents = {i.lower() for i in split_ids(params.get("parent_list_ids"))}
        no_parent = bool(params.get("no_parent_list_id"))
        if not ids and len(parents) > MAX_PARENT_LIST_IDS:
            message = f"no more than {MAX_PARENT_LIST_IDS} parent_list_ids are allowed"
            return self._refuse("parent_list_ids", message)
        results = []
        for segment_id, parent, summary in self.view().summaries():
            if ids:
                keep = segment_id in ids
            elif parents or no_parent:
                keep = parent in parents or (no_parent and parent is None)
            else:
                keep = True
            if keep:
                results.append(summary)
        return self._answer(200, {"results": results})

    def get(self, call: Call) -> Reply:
        view = self.view()
        segment_id = segment_id_of(call)
        sample = call.params.get("contacts_sample", True) is not False
        created = view.overlay.created.get(segment_id)
        if created is not None:
            return self._answer(200, view.created_body(created, sample))
        v1 = view.v1(segment_id)
        if v1 is not None:
            return self._answer(200, view.v1_body(v1, sample))
        return self._refuse("segment_id", NOT_FOUND, 404)

    def update(self, call: Call) -> Reply:
        body: Mapping[str, Any] = call.body or {}
        segment_id = segment_id_of(call)
        changes = {key: body[key] for key in ("name", "query_dsl") if key in body}

        def check(view: View) -> dict[str, Any] | Reply:
            created = view.overlay.created.get(segment_id)
            if created is None:
                if view.v1(segment_id) is not None:
                    message = "v1 segments cannot be updated: create a v2 segment instead"
                    return self._refuse("segment_id", message)
                return self._refuse("segment_id", NOT_FOUND, 404)
            if not changes:
                return self._refuse("body", "nothing to update: send name and/or query_dsl")
            if "name" in changes:
                refusal = self._name_taken(view, changes["name"], own=segment_id)
                if refusal is not None:
                    return refusal
            if "query_dsl" in changes:
                refusal = self._query_problem(changes["query_dsl"])
                if refusal is not None:
                    return refusal
            return {"op": "update", "id": segment_id, **changes}

        done = self._write(check)
        if isinstance(done, Reply):
            return done
        view, _ = done
        return self._answer(200, view.created_body(view.overlay.created[segment_id]))

    def delete(self, call: Call) -> Reply:
        """v2 DELETE: a segment of either version (one account holds both)."""
        segment_id = segment_id_of(call)

        def check(view: View) -> dict[str, Any] | Reply:
            if segment_id in view.overlay.created or view.v1(segment_id) is not None:
                return {"op": "delete", "id": segment_id}
            return self._refuse("segment_id", NOT_FOUND, 404)

        done = self._write(check)
        return done if isinstance(done, Reply) else self._answer(202, None)

    def delete_v1(self, call: Call) -> Reply:
        """v1 DELETE: the v1 API sees v1 segments only (a v2 id is unknown to it)."""
        segment_id = segment_id_of(call)

        def check(view: View) -> dict[str, Any] | Reply:
            if view.v1(segment_id) is not None:
                return {"op": "delete", "id": segment_id}
            return self._refuse("segment_id", NOT_FOUND, 404)

        done = self._write(check)
        return done if isinstance(done, Reply) else self._answer(202, {})

    def refresh(self, call: Call) -> Reply:
        segment_id = segment_id_of(call)
        zone = call.body["user_time_zone"]

        def check(view: View) -> dict[str, Any] | Reply:
            if segment_id not in view.overlay.created:
                if view.v1(segment_id) is not None:
                    message = "v1 segments are refreshed on their own schedule, not manually"
                    return self._refuse("segment_id", message)
                return Reply(404, REFRESH_NOT_FOUND, JSON)
            problem = zone_problem(zone)
            if problem is not None:
                return self._refuse("user_time_zone", problem)
            limit = view.overlay.refresh_refusal(segment_id, view.now, zone)
            if limit is not None:
                return self._refuse("segment_id", f"refresh limit reached: {limit}", 429)
            return {"op": "refresh", "id": segment_id, "zone": zone}

        done = self._write(check)
        if isinstance(done, Reply):
            return done
        _, number = done
        return self._answer(202, {"job_id": new_id(self.seed, number, "job")})
