"""Every read of what writes change answers from a memo (the engine's answer memo, and
``reads.ReadMemo``): after each kind of change, and as the clock alone passes each instant an
answer reads, every read through the memos equals the same read rendered fresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from mockserver.control import actions
from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid.reads import ReadMemo
from tests.sendgrid.contacts_helpers import (
    CONTACTS,
    LISTS,
    START,
    V2,
    create_list,
    ok,
    people,
    set_clock,
    upsert,
)

V1 = "/v3/marketing/segments"
AUSTIN = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'"
HOUR = 3600.0
#: 2026-03-10T15:00:00Z is midnight in Tokyo: a refresh 20 minutes later evaluates the segment
#: at :20 past each hour, so the next midnight there falls inside an hour of evaluations.
ZONE = "Asia/Tokyo"

Request = tuple[str, str, Any]


class Account:
    """A client writing to the server, the ids its writes made, and the memo it reads through."""

    def __init__(self, http: httpx.Client, server: LiveServer, monkeypatch) -> None:
        self.http = http
        self.server = server
        self.monkeypatch = monkeypatch
        self.backend = server.app.runtimes["sendgrid"].backend
        self.ids: dict[str, str] = {}

    @property
    def memo(self) -> ReadMemo:
        return self.backend.stateful.reads

    def later(self, seconds: float) -> None:
        """The clock passes ``seconds`` with no entry in the write log (a running clock)."""
        clock = self.backend.stateful.ledger.clock
        self.monkeypatch.setattr(clock, "frozen", clock.frozen + seconds)

    def requests(self) -> dict[str, Request]:
        """Every read, on the ids the account holds now."""
        ids = self.ids
        found: dict[str, Request] = {
            "ListSegmentsV2": ("GET", V2, None),
            "ListSegmentsV2 parentless": ("GET", f"{V2}?no_parent_list_id=true", None),
            "ListLists": ("GET", f"{LISTS}?page_size=2", None),
            "ListContacts": ("GET", CONTACTS, None),
            "GetContactCount": ("GET", f"{CONTACTS}/count", None),
            "ListFieldDefinitions": ("GET", "/v3/marketing/field_definitions", None),
            "SearchContacts": ("POST", f"{CONTACTS}/search", {"query": "city = 'Austin'"}),
            "SearchContacts other": ("POST", f"{CONTACTS}/search", {"query": "city = 'Boston'"}),
            "GetSegmentV2 v1": ("GET", f"{V2}/{ids['v1']}", None),
            "SearchContactsByEmails": (
                "POST",
                f"{CONTACTS}/search/emails",
                {"emails": ["person0@austin.example", "person1@austin.example"]},
            ),
        }
        for name in ("segment", "child"):
            if name in ids:
                found[f"GetSegmentV2 {name}"] = ("GET", f"{V2}/{ids[name]}", None)
                unsampled = f"{V2}/{ids[name]}?contacts_sample=false"
                found[f"GetSegmentV2 {name} unsampled"] = ("GET", unsampled, None)
        if "list" in ids:
            found["GetList"] = ("GET", f"{LISTS}/{ids['list']}?contact_sample=true", None)
            found["GetListContactCount"] = ("GET", f"{LISTS}/{ids['list']}/contacts/count", None)
        if "contact" in ids:
            found["GetContact"] = ("GET", f"{CONTACTS}/{ids['contact']}", None)
            batch = {"ids": [ids["contact"], ids["v1 contact"]]}
            found["GetContactsBatch"] = ("POST", f"{CONTACTS}/batch", batch)
        if "job" in ids:
            found["GetImportStatus"] = ("GET", f"{CONTACTS}/imports/{ids['job']}", None)
        return found

    def read(self, requests: dict[str, Request]) -> dict[str, tuple[int, bytes]]:
        found = {}
        for name, (method, url, body) in requests.items():
            response = self.http.request(method, url, json=body)
            found[name] = response.status_code, response.content
        return found

    def step(self, change: Callable[[], Any]) -> dict[str, tuple[int, bytes]]:
        """Read everything (the memos hold the answers), ``change``, then read everything
        through the memos and fresh, which must agree; the fresh answers."""
        self.read(self.requests())
        change()
        requests = self.requests()
        memoized = self.read(requests)
        with self.monkeypatch.context() as patched:
            # Never steady: the engine's memo has an epoch equal to no other, this one no key.
            patched.setattr(self.memo, "state", lambda fresh=True: (None, self.memo.fold()))
            fresh = self.read(requests)
        for name in requests:
            assert memoized[name] == fresh[name], name
        return fresh


@pytest.fixture()
def sg(account: httpx.Client, contacts_server: LiveServer, monkeypatch) -> Account:
    found = Account(account, contacts_server, monkeypatch)
    v1 = ok(account.get(V1))["results"]
    found.ids["v1"] = v1[0]["id"]
    found.ids["v1 other"] = v1[1]["id"]
    found.ids["v1 contact"] = ok(account.get(CONTACTS))["result"][0]["id"]
    return found


def body(answers: dict[str, tuple[int, bytes]], name: str) -> Any:
    status, content = answers[name]
    assert status == 200, (name, content[:300])
    return orjson.loads(content)


def test_each_write_shows_through_the_memo(sg: Account):
    http, ids = sg.http, sg.ids

    def create_segment() -> None:
        ids["segment"] = ok(http.post(V2, json={"name": "A", "query_dsl": AUSTIN}), 201)["id"]

    sg.step(create_segment)
    sg.step(lambda: ids.update(list=create_list(http)["id"]))
    shown = sg.step(lambda: ok(http.patch(f"{LISTS}/{ids['list']}", json={"name": "Renamed"})))
    assert body(shown, "GetList")["name"] == "Renamed"

    def child() -> None:
        created = {"name": "Child", "query_dsl": AUSTIN, "parent_list_ids": [ids["list"]]}
        ids["child"] = ok(http.post(V2, json=created), 201)["id"]

    shown = sg.step(child)
    assert ids["child"] not in str(body(shown, "ListSegmentsV2 parentless"))
    sg.step(lambda: ok(http.patch(f"{V2}/{ids['segment']}", json={"name": "B"})))
    sg.step(lambda: ok(http.patch(f"{V2}/{ids['segment']}", json={"query_dsl": AUSTIN + " "})))
    sg.step(
        lambda: ok(http.post(f"{V2}/refresh/{ids['segment']}", json={"user_time_zone": ZONE}), 202)
    )
    sg.step(lambda: ok(http.delete(f"{V1}/{ids['v1 other']}"), 202))

    def upserted() -> None:
        ids["job"] = upsert(http, people(2, "austin.example", city="Austin"), [ids["list"]])

    shown = sg.step(upserted)
    assert body(shown, "GetImportStatus")["status"] == "pending"
    shown = sg.step(lambda: sg.later(10))  # the job applies: no entry in the log
    assert body(shown, "GetImportStatus")["status"] == "completed"
    added = body(shown, "GetList")["contact_sample"]
    ids["contact"] = next(c["id"] for c in added if c["email"].endswith("austin.example"))

    sg.step(lambda: upsert(http, [{"email": "person0@austin.example", "first_name": "Ann"}]))
    shown = sg.step(lambda: sg.later(10))
    assert body(shown, "GetContact")["first_name"] == "Ann"
    shown = sg.step(lambda: ok(http.delete(CONTACTS, params={"ids": ids["contact"]}), 202))
    shown = sg.step(lambda: sg.later(10))
    assert shown["GetContact"][0] == 404
    sg.step(lambda: ok(http.delete(f"{V2}/{ids.pop('child')}"), 202))
    sg.step(lambda: ok(http.delete(f"{LISTS}/{ids.pop('list')}"), 204))


def test_a_job_alone_falls_due_through_the_memo(sg: Account):
    """No v2 segment: the job pending is the only instant ahead."""
    sg.ids["job"] = upsert(sg.http, people(1, "austin.example", city="Austin"))
    before = body(sg.step(lambda: None), "GetContactCount")["contact_count"]
    shown = sg.step(lambda: sg.later(10))
    assert body(shown, "GetContactCount")["contact_count"] == before + 1


def test_the_clock_alone_shows_through_the_memo(sg: Account):
    """An evaluation an hour after the query is set, then hourly; a refresh counted from its
    instant; ``refreshes_used`` back to 0 at midnight in the refresh's zone; a job falling due;
    the clock moved back (a wall clock may be)."""
    http, ids = sg.http, sg.ids
    ids["segment"] = ok(http.post(V2, json={"name": "A", "query_dsl": AUSTIN}), 201)["id"]
    sg.later(HOUR - 60)
    shown = sg.step(lambda: sg.later(120))  # first evaluation
    assert body(shown, "GetSegmentV2 segment")["status"]["query_validation"] == "VALID"
    shown = sg.step(lambda: sg.later(HOUR))  # the next hour's
    first = body(shown, "GetSegmentV2 segment")["sample_updated_at"]
    set_clock(sg.server, now="2026-03-10T15:20:00Z")
    ok(http.post(f"{V2}/refresh/{ids['segment']}", json={"user_time_zone": ZONE}), 202)
    set_clock(sg.server, now="2026-03-10T15:10:00Z")  # before the refresh, after its entry
    shown = sg.step(lambda: sg.later(5 * 60))
    assert "last_refreshed_at" in body(shown, "GetSegmentV2 segment")
    shown = sg.step(lambda: sg.later(10 * 60))  # past the refresh's instant
    assert body(shown, "GetSegmentV2 segment")["sample_updated_at"] != first
    assert body(shown, "GetSegmentV2 segment")["refreshes_used"] == 1
    set_clock(sg.server, now="2026-03-11T14:50:00Z")  # 10 minutes before midnight in Tokyo
    shown = sg.step(lambda: sg.later(20 * 60))  # within one hour of evaluations
    assert body(shown, "GetSegmentV2 segment")["refreshes_used"] == 0
    shown = sg.step(lambda: sg.later(-60 * 60))  # a wall clock set back: the hour before
    assert body(shown, "GetSegmentV2 segment")["refreshes_used"] == 1
    assert body(shown, "GetSegmentV2 segment")["sample_updated_at"] == "2026-03-11T13:20:00.000Z"
    ids["job"] = upsert(http, people(1, "austin.example", city="Austin"))
    shown = sg.step(lambda: sg.later(10))
    assert body(shown, "GetImportStatus")["status"] == "completed"


def test_a_reset_shows_through_the_memo(sg: Account, contacts_server: LiveServer):
    """A reset starts a new generation: the same number of entries as before it is not the
    same account."""
    http = sg.http
    ok(http.post(V2, json={"name": "Before", "query_dsl": AUSTIN}), 201)

    def reset() -> None:
        actions.reset(contacts_server.app.control)
        set_clock(contacts_server, now=START)
        ok(http.post(V2, json={"name": "After", "query_dsl": AUSTIN}), 201)

    shown = sg.step(reset)
    assert [s["name"] for s in body(shown, "ListSegmentsV2")["results"]][-1] == "After"


def test_a_refresh_counts_from_its_instant_through_the_memo(sg: Account):
    """A refresh before the query was edited is no evaluation, but ``refreshes_used`` counts it
    once the clock is past it, and not before (a wall clock set back)."""
    http, ids = sg.http, sg.ids
    ids["segment"] = ok(http.post(V2, json={"name": "A", "query_dsl": AUSTIN}), 201)["id"]
    set_clock(sg.server, now="2026-03-10T15:20:00Z")
    ok(http.post(f"{V2}/refresh/{ids['segment']}", json={"user_time_zone": ZONE}), 202)
    set_clock(sg.server, now="2026-03-10T15:30:00Z")
    ok(http.patch(f"{V2}/{ids['segment']}", json={"query_dsl": AUSTIN + " "}), 200)
    shown = sg.step(lambda: sg.later(-15 * 60))
    assert body(shown, "GetSegmentV2 segment")["refreshes_used"] == 0


def test_the_last_refresh_zone_is_the_one_read(sg: Account):
    """Refreshed in Tokyo, then in Chicago: ``refreshes_used`` counts from midnight in Chicago,
    which falls inside an hour of evaluations (they fall at :30) while Tokyo's day goes on."""
    http, ids = sg.http, sg.ids
    ids["segment"] = ok(http.post(V2, json={"name": "A", "query_dsl": AUSTIN}), 201)["id"]
    for at, zone in (("15:20", ZONE), ("16:30", "America/Chicago")):
        set_clock(sg.server, now=f"2026-03-10T{at}:00Z")
        ok(http.post(f"{V2}/refresh/{ids['segment']}", json={"user_time_zone": zone}), 202)
    set_clock(sg.server, now="2026-03-11T04:50:00Z")  # 23:50 in Chicago
    assert body(sg.step(lambda: None), "GetSegmentV2 segment")["refreshes_used"] == 2
    shown = sg.step(lambda: sg.later(20 * 60))
    assert body(shown, "GetSegmentV2 segment")["refreshes_used"] == 0
