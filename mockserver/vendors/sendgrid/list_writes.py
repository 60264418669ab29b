"""SendGrid's Lists API (``/v3/marketing/lists``) over the same write log as the segments.

A list's own changes (create, rename, delete) are entries the overlay folds: the next request
sees them, and a created list is at once a parent a v2 segment may name. What changes contacts
(removing some from a list, deleting a list with its contacts) is a job of the contact book
(``contacts.py``), applied a few seconds later by the mock clock, as SendGrid's are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from mockserver.vendors.interface import Call, Reply
from mockserver.vendors.sendgrid import operations
from mockserver.vendors.sendgrid.overlay import new_id
from mockserver.vendors.sendgrid.views import View, split_ids
from mockserver.vendors.sendgrid.writes import SegmentWrites, answer, refuse

if TYPE_CHECKING:
    import numpy as np

#: Lists an account holds at most.
MAX_LISTS = 1000
#: Contact ids one removal names at most.
MAX_REMOVED = 100
#: Where SendGrid's links point (``_metadata.self``).
ORIGIN = "https://api.sendgrid.com"


class ListWrites:
    """The handlers of the Lists API; ``segments`` lends the view and the write."""

    OPERATIONS: ClassVar[dict[str, str]] = operations.LIST_WRITES
    READS: ClassVar[dict[str, str]] = operations.LIST_READS

    def __init__(self, segments: SegmentWrites) -> None:
        self.segments = segments

    @staticmethod
    def body(view: View, list_id: str, name: str) -> dict[str, Any]:
        """A list as ``list``: id, name, contact count, its link."""
        return {
            "id": list_id,
            "name": name,
            "contact_count": len(view.engine.book.list_rows(list_id)),
            "_metadata": {"self": f"{ORIGIN}/v3/marketing/lists/{list_id}"},
        }

    @staticmethod
    def _name_free(view: View, name: str, own: str | None = None) -> None:
        for list_id, taken in view.lists().items():
            if taken == name and list_id != own:
                raise refuse("name", f"a list named {name!r} already exists")

    def _found(self, view: View, call: Call) -> tuple[str, str]:
        """The list the path names: (id, name)."""
        list_id = str(call.params["id"]).lower()
        name = view.list_name(list_id)
        if name is None:
            raise refuse("id", "list not found", 404)
        return list_id, name

    def create(self, call: Call) -> Reply:
        name = call.body["name"]

        def check(view: View) -> dict[str, Any]:
            self._name_free(view, name)
            if len(view.lists()) >= MAX_LISTS:
                raise refuse("name", f"an account holds at most {MAX_LISTS} lists")
            return {"op": "list_create", "name": name}

        view, number = self.segments.write(check, "name")
        return answer(201, self.body(view, new_id(view.overlay.seed, number, "list"), name))

    def list(self, view: View, call: Call) -> dict[str, Any]:
        """A page of lists in their order: ``page_token`` is the first id of the page."""
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
        return {"result": result, "_metadata": metadata}

    def get(self, view: View, call: Call) -> dict[str, Any]:
        found = self._found(view, call)
        body = self.body(view, *found)
        if call.params.get("contact_sample"):
            body["contact_sample"] = sample(view, view.engine.book.list_rows(found[0]).rows)
        return body

    def count(self, view: View, call: Call) -> dict[str, Any]:
        count = len(view.engine.book.list_rows(self._found(view, call)[0]))
        return {"contact_count": count, "billable_count": count}

    def update(self, call: Call) -> Reply:
        name = (call.body or {}).get("name")

        def check(view: View) -> dict[str, Any]:
            list_id, _ = self._found(view, call)
            if name is None:
                raise refuse("name", "name is required")
            self._name_free(view, name, list_id)
            return {"op": "list_update", "id": list_id, "name": name}

        view, _ = self.segments.write(check, "id")
        return answer(200, self.body(view, str(call.params["id"]).lower(), name))

    def delete(self, call: Call) -> Reply:
        """204 at once; with ``delete_contacts=true`` 200 and the job deleting its members."""
        with_contacts = bool(call.params.get("delete_contacts"))

        def check(view: View) -> dict[str, Any]:
            list_id, _ = self._found(view, call)
            return {"op": "list_delete", "id": list_id, "delete_contacts": with_contacts}

        if with_contacts:
            return self.segments.job(check, "id", 200)
        self.segments.write(check, "id")
        return Reply(204, b"", None)

    def remove_contacts(self, call: Call) -> Reply:
        ids = [i.lower() for i in split_ids(call.params.get("contact_ids"))]

        def check(view: View) -> dict[str, Any]:
            list_id, _ = self._found(view, call)
            if not ids:
                raise refuse("contact_ids", "contact_ids names no contact")
            if len(ids) > MAX_REMOVED:
                raise refuse("contact_ids", f"at most {MAX_REMOVED} contact_ids per request")
            unknown = [i for i in ids if view.engine.book.row_of_id(i) is None]
            if unknown:
                raise refuse("contact_ids", f"contact {unknown[0]!r} not found", 404)
            return {"op": "list_remove_contacts", "id": list_id, "contact_ids": ids}

        return self.segments.job(check, "id")


def sample(view: View, rows: np.ndarray, size: int = 50) -> list[dict[str, Any]]:
    """Up to ``size`` of the most recently updated contacts of ``rows`` (live ones), sorted by
    email: SendGrid's sample of a list, and of all contacts."""
    import numpy as np

    book = view.engine.book
    changed = np.isin(rows, np.array(sorted(book.records), np.int64))
    base = rows[~changed]
    updated = book.catalog.contacts.updated_at
    if len(base) > size:
        base = base[np.argpartition(-updated[base], size)[:size]]
    candidates = [(float(updated[r]), r) for r in base.tolist()]
    candidates += [(book.records[r].updated_at, r) for r in rows[changed].tolist()]
    candidates.sort(key=lambda pair: (-pair[0], pair[1]))
    chosen = view.contacts([r for _, r in candidates[:size]])
    return sorted(chosen, key=lambda contact: (contact["email"], contact["id"]))
