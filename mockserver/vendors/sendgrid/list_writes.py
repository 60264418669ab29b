"""SendGrid's Lists API (``/v3/marketing/lists``) over the same write log as the segments.

A list's own changes (create, rename, delete) are entries the overlay folds: the next request
sees them, and a created list is at once a parent a v2 segment may name. What changes contacts
(removing some from a list, deleting a list with its contacts) is a job of the contact book
(``contacts.py``), applied a few seconds later by the mock clock, as SendGrid's are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import numpy as np

from mockserver.vendors.interface import Call, Reply
from mockserver.vendors.sendgrid.contacts import job_id
from mockserver.vendors.sendgrid.overlay import new_id
from mockserver.vendors.sendgrid.views import View, split_ids
from mockserver.vendors.sendgrid.writes import SegmentWrites

#: Lists an account holds at most.
MAX_LISTS = 1000
#: Contact ids one removal names at most.
MAX_REMOVED = 100
LIST_NOT_FOUND = "list not found"
#: Where SendGrid's links point (``_metadata.self``).
ORIGIN = "https://api.sendgrid.com"


def list_id_of(call: Call) -> str:
    return str(call.params["id"]).lower()


class ListWrites:
    """The handlers of the Lists API; ``segments`` lends the view, the write and the answers."""

    def __init__(self, segments: SegmentWrites) -> None:
        self.segments = segments
        self.refuse = segments.refuse
        self.answer = segments.answer

    def handlers(self) -> dict[str, Callable[[Call], Reply]]:
        return {
            "CreateList": self.create,
            "ListLists": self.list,
            "GetList": self.get,
            "UpdateList": self.update,
            "DeleteList": self.delete,
            "GetListContactCount": self.count,
            "RemoveListContacts": self.remove_contacts,
        }

    @staticmethod
    def body(view: View, list_id: str, name: str) -> dict[str, Any]:
        """A list as ``list``: id, name, contact count, its link."""
        return {
            "id": list_id,
            "name": name,
            "contact_count": len(view.engine.book.list_rows(list_id)),
            "_metadata": {"self": f"{ORIGIN}/v3/marketing/lists/{list_id}"},
        }

    def _name_taken(self, view: View, name: str, own: str | None = None) -> Reply | None:
        for list_id, taken in view.lists().items():
            if taken == name and list_id != own:
                return self.refuse("name", f"a list named {name!r} already exists")
        return None

    def create(self, call: Call) -> Reply:
        name = call.body["name"]

        def check(view: View) -> dict[str, Any] | Reply:
            refusal = self._name_taken(view, name)
            if refusal is not None:
                return refusal
            if len(view.lists()) >= MAX_LISTS:
                return self.refuse("name", f"an account holds at most {MAX_LISTS} lists")
            return {"op": "list_create", "name": name}

        done = self.segments.write_entry(check, "name")
        if isinstance(done, Reply):
            return done
        view, number = done
        list_id = new_id(view.overlay.seed, number, "list")
        return self.answer(201, self.body(view, list_id, name))

    def list(self, call: Call) -> Reply:
        """A page of lists in their order: ``page_token`` is the first id of the page."""
        view = self.segments.view()
        size = int(call.params.get("page_size", 100))
        token = call.params.get("page_token") or ""
        items = list(view.lists().items())
        start = 0
        if token:
            ids = [list_id for list_id, _ in items]
            # A token naming no list (its list deleted since, or never given): past the end.
            start = ids.index(token) if token in ids else len(items)
        page = items[start : start + size]
        link = f"{ORIGIN}/v3/marketing/lists?page_size={size}&page_token="
        metadata: dict[str, Any] = {"self": link + quote(token, safe=""), "count": len(items)}
        if start + size < len(items):
            metadata["next"] = link + items[start + size][0]
        if start > 0:
            metadata["prev"] = link + items[max(0, start - size)][0]
        result = [self.body(view, list_id, name) for list_id, name in page]
        return self.answer(200, {"result": result, "_metadata": metadata})

    def _found(self, view: View, call: Call) -> tuple[str, str] | Reply:
        list_id = list_id_of(call)
        name = view.lists().get(list_id)
        if name is None:
            return self.refuse("id", LIST_NOT_FOUND, 404)
        return list_id, name

    def get(self, call: Call) -> Reply:
        view = self.segments.view()
        found = self._found(view, call)
        if isinstance(found, Reply):
            return found
        body = self.body(view, *found)
        if call.params.get("contact_sample"):
            body["contact_sample"] = sample(view, view.engine.book.list_rows(found[0]).rows)
        return self.answer(200, body)

    def count(self, call: Call) -> Reply:
        view = self.segments.view()
        found = self._found(view, call)
        if isinstance(found, Reply):
            return found
        count = len(view.engine.book.list_rows(found[0]))
        return self.answer(200, {"contact_count": count, "billable_count": count})

    def update(self, call: Call) -> Reply:
        name = (call.body or {}).get("name")

        def check(view: View) -> dict[str, Any] | Reply:
            found = self._found(view, call)
            if isinstance(found, Reply):
                return found
            if name is None:
                return self.refuse("name", "name is required")
            return self._name_taken(view, name, found[0]) or {
                "op": "list_update",
                "id": found[0],
                "name": name,
            }

        done = self.segments.write_entry(check, "id")
        if isinstance(done, Reply):
            return done
        view, _ = done
        return self.answer(200, self.body(view, list_id_of(call), name))

    def delete(self, call: Call) -> Reply:
        """204 at once; with ``delete_contacts=true`` 200 and the job deleting its members."""
        with_contacts = bool(call.params.get("delete_contacts"))

        def check(view: View) -> dict[str, Any] | Reply:
            found = self._found(view, call)
            if isinstance(found, Reply):
                return found
            return {"op": "list_delete", "id": found[0], "delete_contacts": with_contacts}

        done = self.segments.write_entry(check, "id")
        if isinstance(done, Reply):
            return done
        view, number = done
        if not with_contacts:
            return Reply(204, b"", None)
        return self.answer(200, {"job_id": job_id(view.overlay.seed, number)})

    def remove_contacts(self, call: Call) -> Reply:
        ids = [i.lower() for i in split_ids(call.params.get("contact_ids"))]

        def check(view: View) -> dict[str, Any] | Reply:
            found = self._found(view, call)
            if isinstance(found, Reply):
                return found
            if not ids:
                return self.refuse("contact_ids", "contact_ids names no contact")
            if len(ids) > MAX_REMOVED:
                message = f"at most {MAX_REMOVED} contact_ids per request"
                return self.refuse("contact_ids", message)
            book = view.engine.book
            unknown = [i for i in ids if book.row_of_id(i) is None]
            if unknown:
                return self.refuse("contact_ids", f"contact {unknown[0]!r} not found", 404)
            return {"op": "list_remove_contacts", "id": found[0], "contact_ids": ids}

        done = self.segments.write_entry(check, "id")
        if isinstance(done, Reply):
            return done
        view, number = done
        return self.answer(202, {"job_id": job_id(view.overlay.seed, number)})


def sample(view: View, rows: np.ndarray, size: int = 50) -> list[dict[str, Any]]:
    """Up to ``size`` of the most recently updated contacts of ``rows`` (live ones), sorted by
    email: SendGrid's sample of a list, and of all contacts."""
    book = view.engine.book
    changed = np.isin(rows, np.array(sorted(book.records), np.int64))
    base = rows[~changed]
    updated = book.catalog.contacts.updated_at
    if len(base) > size:
        base = base[np.argpartition(-updated[base], size)[:size]]
    candidates = [(float(updated[r]), r) for r in base.tolist()]
    candidates += [(book.records[r].updated_at, r) for r in rows[changed].tolist()]
    candidates.sort(key=lambda pair: (-pair[0], pair[1]))
    chosen = [view.contact(r) for _, r in candidates[:size]]
    return sorted(chosen, key=lambda contact: (contact["email"], contact["id"]))
