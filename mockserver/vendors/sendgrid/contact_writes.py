"""SendGrid's Contacts API (``/v3/marketing/contacts``) and the custom field definitions it
needs, over the same world and write log as the segments and lists.

An upsert or a deletion is checked whole (emails, custom fields by their ids and types, list
ids), then queued as one write-log entry and answered 202 with its job id: nothing is changed
by a request refused, and what is accepted shows only once its job completes (``contacts.py``,
:data:`~mockserver.vendors.sendgrid.contacts.JOB_DELAY` seconds later on the mock clock).
Reads answer the contacts as the completed jobs left them; a search runs the segment engine's
query over the same store, so it agrees with a segment of the same query after its refresh.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from mockserver.errors import LimitError, MockServerError
from mockserver.state.clock import iso
from mockserver.vendors.interface import Call, Reply
from mockserver.vendors.sendgrid import operations
from mockserver.vendors.sendgrid.contacts import TEXT_FIELDS
from mockserver.vendors.sendgrid.dialect import errors_reply
from mockserver.vendors.sendgrid.list_writes import ORIGIN, sample
from mockserver.vendors.sendgrid.query import QueryError
from mockserver.vendors.sendgrid.store import ID_FIELDS
from mockserver.vendors.sendgrid.values import parse_instant
from mockserver.vendors.sendgrid.views import View, split_ids
from mockserver.vendors.sendgrid.writes import (
    Refusal,
    SegmentWrites,
    refuse,
)

#: Contacts a search answers at most (its ``contact_count`` counts them all).
SEARCH_RESULTS = 50
#: Ids one DELETE names at most.
MAX_DELETE_IDS = 100
#: SendGrid's spelling of a custom field's type, by the world's.
FIELD_TYPES = {"text": "Text", "number": "Number", "date": "Date"}
#: The reserved fields a definition list shows (``reserved_fields``), with their types.
RESERVED_FIELDS = (
    *((name, "Text") for name in ("first_name", "last_name", "email", "alternate_emails")),
    *((name, "Text") for name in (*TEXT_FIELDS[2:], *ID_FIELDS, "email_domains")),
    *((name, "Date") for name in ("created_at", "updated_at")),
    ("contact_id", "Text"),
)
#: An address as SendGrid accepts one and its answers' ``format: email`` shows: ASCII dot-atoms,
#: one @, a domain of hyphenated labels with a dot (no quoted local part, IP literal or control
#: character: what a read could not render or search).
ATOM, LABEL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+", r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = re.compile(rf"^{ATOM}(?:\.{ATOM})*@(?:{LABEL}\.)+[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]\Z")
DATE_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def field_id(index: int, kind: str) -> str:
    """A custom field's id, SendGrid-style (``e1_T``, ``e2_N``, ``e3_D``)."""
    return f"e{index + 1}_{FIELD_TYPES[kind][0]}"


class ContactWrites:
    """The handlers of the Contacts API; ``segments`` lends the view and the write."""

    OPERATIONS: ClassVar[dict[str, str]] = operations.CONTACT_WRITES
    READS: ClassVar[dict[str, str]] = operations.CONTACT_READS

    def __init__(self, segments: SegmentWrites) -> None:
        self.segments = segments
        customs = segments.engine.catalog.spec.custom_fields
        #: Custom field id -> (name, type).
        self.fields = {field_id(i, f.type): (f.name, f.type) for i, f in enumerate(customs)}
        custom = [
            {"id": key, "name": name, "field_type": FIELD_TYPES[kind]}
            for key, (name, kind) in self.fields.items()
        ]
        reserved = [
            {"id": f"_rf{i}_{kind[0]}", "name": name, "field_type": kind}
            for i, (name, kind) in enumerate(RESERVED_FIELDS)
        ]
        link = f"{ORIGIN}/v3/marketing/field_definitions"
        #: ``ListFieldDefinitions``' body: the world's fields never change.
        self._definitions = {
            "custom_fields": custom,
            "reserved_fields": reserved,
            "_metadata": {"self": link},
        }

    # -- writes -----------------------------------------------------------------------------------
    def _contact(self, at: str, raw: Mapping[str, Any], problems: list[tuple[str, str]]) -> dict:
        """One contact of an upsert, as the job stores it (emails lower-cased, custom fields
        by name, dates as Unix seconds); ``problems`` collects what is wrong."""
        email = str(raw.get("email") or "").strip().lower()
        if not EMAIL.match(email):
            problems.append((f"{at}.email", f"{raw.get('email')!r} is not a valid email"))
        contact: dict[str, Any] = {"email": email}
        contact.update({k: raw[k] for k in TEXT_FIELDS if k in raw})
        if "alternate_emails" in raw:
            alternates = [str(a).strip().lower() for a in raw["alternate_emails"]]
            for a in alternates:
                if not EMAIL.match(a):
                    problems.append((f"{at}.alternate_emails", f"{a!r} is not a valid email"))
            contact["alternate_emails"] = alternates
        custom = {}
        for key, value in (raw.get("custom_fields") or {}).items():
            where = f"{at}.custom_fields.{key}"
            known = self.fields.get(key)
            if known is None:
                problems.append((where, f"no custom field has the id {key!r}"))
                continue
            name, kind = known
            stored = _typed(kind, value)
            if stored is None:
                problems.append((where, f"{value!r} is not a valid {FIELD_TYPES[kind]} value"))
            else:
                custom[name] = stored
        if custom:
            contact["custom_fields"] = custom
        return contact

    def upsert(self, call: Call) -> Reply:
        body = call.body
        problems: list[tuple[str, str]] = []
        contacts = [
            self._contact(f"contacts[{i}]", c, problems) for i, c in enumerate(body["contacts"])
        ]
        lists = list(dict.fromkeys(i.lower() for i in body.get("list_ids") or ()))
        if problems:
            raise Refusal(errors_reply(400, *problems[:100]))

        def check(view: View) -> dict[str, Any]:
            self.segments.require_lists(view, lists, "list_ids")
            return {"op": "contacts_upsert", "contacts": contacts, "list_ids": lists}

        return self.segments.job(check, "contacts")

    def delete(self, call: Call) -> Reply:
        everything = call.params.get("delete_all_contacts")
        ids = [i.lower() for i in split_ids(call.params.get("ids"))]
        if not ids and everything != "true":
            message = "set ids, or delete_all_contacts=true to delete every contact"
            raise refuse("ids", message)
        if len(ids) > MAX_DELETE_IDS:
            raise refuse("ids", f"at most {MAX_DELETE_IDS} ids per request")
        # Both given: the ids win (the narrower deletion).
        entry = {"op": "contacts_delete", **({"ids": ids} if ids else {"all": True})}
        return self.segments.job(lambda view: entry, "contacts")

    # -- reads ------------------------------------------------------------------------------------
    def sample(self, view: View, call: Call) -> dict[str, Any]:
        book = view.engine.book
        return {
            "result": sample(view, book.live_rows()),
            "contact_count": book.count(),
            "_metadata": {"self": f"{ORIGIN}/v3/marketing/contacts"},
        }

    def count(self, view: View, call: Call) -> dict[str, Any]:
        count = view.engine.book.count()
        return {"contact_count": count, "billable_count": count}

    def get(self, view: View, call: Call) -> dict[str, Any]:
        row = view.engine.book.row_of_id(str(call.params["id"]))
        if row is None:
            raise refuse("id", "contact not found", 404)
        return view.contacts([row])[0]

    def job(self, view: View, call: Call) -> dict[str, Any]:
        """A contact job: ``pending`` until the mock clock passes its time, then ``completed``
        with its counts."""
        wanted = str(call.params["id"]).lower()
        book = view.engine.book
        done = book.results.get(wanted)
        if done is None:
            pending = book.pending(self.segments.ledger.entries).get(wanted)
            if pending is None:
                raise refuse("id", "job not found", 404)
            kind, at, requested = pending
            status, results = "pending", {"requested_count": requested}
        else:
            kind, at, status = done.kind, done.started_at, "completed"
            results = {
                "requested_count": done.requested,
                "created_count": done.created,
                "updated_count": done.updated,
                "deleted_count": done.deleted,
                # Ids naming no contact (a deletion's); an accepted upsert has no errors.
                "errored_count": max(0, done.requested - done.deleted) if kind == "delete" else 0,
            }
        body = {"id": wanted, "status": status, "job_type": kind, "results": results}
        body["started_at"] = iso(at)
        if done is not None:
            body["finished_at"] = iso(done.finished_at)
        return body

    def search(self, view: View, call: Call) -> dict[str, Any]:
        """Memoized as every read: a client polling for a job's contacts repeats one search
        until the job applies."""
        try:
            members = view.engine.search(call.body["query"])
        except QueryError as error:
            raise refuse("query", f"invalid query: {error}") from None
        except LimitError:
            raise refuse("query", "the search ran too long and was stopped", 408) from None
        except MockServerError as error:
            raise refuse("query", f"invalid query: {error}") from None
        first = members.rows[:SEARCH_RESULTS].tolist()
        return {
            "result": view.contacts(first),
            "contact_count": len(members),
            "_metadata": {"self": f"{ORIGIN}/v3/marketing/contacts/search"},
        }

    def by_emails(self, view: View, call: Call) -> dict[str, Any]:
        emails = [str(e).strip().lower() for e in call.body["emails"] if str(e).strip()]
        bad = [e for e in emails if not EMAIL.match(e)]
        if bad:
            raise refuse("emails", f"{bad[0]!r} is not a valid email")
        book = view.engine.book
        rows = {email: book.row_of_address(email) for email in dict.fromkeys(emails)}
        found = iter(view.contacts([r for r in rows.values() if r is not None]))
        result = {
            email: {"error": "contact not found"} if row is None else {"contact": next(found)}
            for email, row in rows.items()
        }
        if all(row is None for row in rows.values()):
            raise refuse("emails", "no contact has these emails", 404)
        return {"result": result}

    def batch(self, view: View, call: Call) -> dict[str, Any]:
        book = view.engine.book
        rows = [book.row_of_id(str(i)) for i in dict.fromkeys(call.body["ids"])]
        found = view.contacts([r for r in rows if r is not None])
        if not found:
            raise refuse("ids", "no contact has these ids", 404)
        return {"result": found}

    def field_definitions(self, view: View, call: Call) -> dict[str, Any]:
        return self._definitions


def _typed(kind: str, value: Any) -> Any:
    """A custom field's value as stored (``None``: not of its type)."""
    if kind == "text":
        return value if isinstance(value, str) else None
    if kind == "number":
        import numpy as np

        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return value if ok and np.isfinite(value) else None
    if not isinstance(value, str):
        return None
    matched = DATE_MDY.match(value.strip())
    try:
        if matched:
            month, day, year = (int(g) for g in matched.groups())
            return int(datetime(year, month, day, tzinfo=timezone.utc).timestamp())
        return parse_instant(value)
    except ValueError:
        return None
