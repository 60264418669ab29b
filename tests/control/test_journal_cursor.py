"""``GET /__mockserver/requests?since=&limit=``: the cursor a poller (the console) reads with."""

from __future__ import annotations

from mockserver.journal.masking import Masker
from mockserver.journal.record import Filter, Record, read
from mockserver.state.memory import MemoryJournal
from tests.conftest import AUTH, JSON, PROGRAM

REQUESTS = "/__mockserver/requests"


def test_since_returns_only_newer_entries_and_limit_the_newest(http):
    for size in (1, 2, 3):
        http.get("/segments", params={"size": size}, headers=PROGRAM)
    everything = http.get(REQUESTS).json()["requests"]
    first, second, third = (entry["id"] for entry in everything)
    assert first < second < third

    newer = http.get(REQUESTS, params={"since": first}).json()
    assert [e["id"] for e in newer["requests"]] == [second, third] and newer["count"] == 2
    assert http.get(REQUESTS, params={"since": third}).json() == {"count": 0, "requests": []}

    newest = http.get(REQUESTS, params={"limit": 2}).json()["requests"]
    assert [e["params"]["size"] for e in newest] == [["2"], ["3"]]
    assert (
        http.get(REQUESTS, params={"since": first, "limit": 1}).json()["requests"][0]["id"] == third
    )
    assert http.get(REQUESTS, params={"limit": 0}).json()["count"] == 0


def test_cursor_combines_with_the_filters(http):
    http.get("/v3/marketing/segments", headers=AUTH)
    http.get("/segments", headers=PROGRAM)
    http.get("/v3/marketing/segments", headers=AUTH)
    first = http.get(REQUESTS).json()["requests"][0]["id"]
    found = http.get(REQUESTS, params={"since": first, "api": "sendgrid"}).json()["requests"]
    assert [(e["api"], e["id"]) for e in found] == [("sendgrid", first + 2)]


def test_ids_keep_counting_after_a_clear(http):
    http.get("/segments", headers=PROGRAM)
    last = http.get(REQUESTS).json()["requests"][-1]["id"]
    http.delete(REQUESTS, headers=JSON)
    http.get("/segments", headers=PROGRAM)
    assert [e["id"] for e in http.get(REQUESTS, params={"since": last}).json()["requests"]] == [
        last + 1
    ]


def test_bad_cursor_values_are_a_400_with_the_reason(http):
    for name, value in (("since", "-1"), ("since", "abc"), ("limit", "1.5"), ("limit", "9" * 30)):
        response = http.get(REQUESTS, params={name: value})
        assert response.status_code == 400
        assert response.json()["error"].startswith(f"{name} must be a whole number")


def test_journal_cursor_unit():
    journal = MemoryJournal(size=3)
    for n in range(5):
        journal.append(Record(1.0, "a", None, "GET", f"/p{n}", b"", 200, 1.0, []))

    def paths(where=None, since=0, limit=None):
        return [e.path for e in read(journal.records(since), Masker(), where, limit)]

    assert paths() == ["/p2", "/p3", "/p4"]  # the ring kept 3
    assert paths(since=3) == ["/p3", "/p4"]
    assert paths(limit=1) == ["/p4"]
    assert paths(Filter(path="/p2"), since=2, limit=5) == ["/p2"]
