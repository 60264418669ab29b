"""A batch of contacts finds its ``segment_ids`` in one pass (a bitmap of the v1 segments, one
search per v2 segment): the same ids, in the same order, as a membership test per segment."""

from __future__ import annotations

import numpy as np

from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid.store import MemberBits, RowSet
from mockserver.vendors.sendgrid.views import View
from tests.sendgrid.contacts_helpers import V2, ok, people, set_clock, upsert

V1 = "/v3/marketing/segments"
QUERIES = {
    "Austin": "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'",
    "Not Austin": "SELECT contact_id, updated_at FROM contact_data WHERE city <> 'Austin'",
}


def one_by_one(view: View, row: int) -> list[str]:
    """The definition: the live v1 segments, then the v2 ones evaluated on this data version,
    each tested on its own."""
    ids = [s.id for s in view.live_v1 if row in s.members]
    for created in view.overlay.created.values():
        snap = view.snapshot(created)
        if snap is not None and snap.engine is view.engine and row in snap.members:
            ids.append(created.id)
    return ids


def test_a_batch_finds_the_ids_a_test_per_segment_finds(account, contacts_server: LiveServer):
    for name, query in QUERIES.items():
        ok(account.post(V2, json={"name": name, "query_dsl": query}), 201)
    set_clock(contacts_server, advance="PT1H")  # both evaluated
    stateful = contacts_server.app.runtimes["sendgrid"].backend.stateful
    v1 = stateful.engine.catalog.segments
    gone = max(v1, key=lambda s: len(s.members))
    ok(account.delete(f"{V1}/{gone.id}"), 202)
    view = stateful.view()
    # A few members of every v1 segment (the deleted one's too), in no particular order.
    rows = [row for s in v1 for row in s.members.rows[:3].tolist()]
    rows = list(dict.fromkeys(rows[::-1]))

    batched = view.segment_ids(rows)

    assert batched == [one_by_one(view, row) for row in rows]
    assert all(gone.id not in ids for ids in batched)
    created = set(view.overlay.created)
    # Meaningful: contacts in several v1 segments and in a v2 one, and the deleted one's.
    assert any(len(set(ids) - created) >= 2 and set(ids) & created for ids in batched)
    assert any(row in gone.members for row in rows)
    # What the contacts API answers, in the order asked.
    ids = [stateful.engine.catalog.contacts.ids[row] for row in rows]
    shown = ok(account.post("/v3/marketing/contacts/batch", json={"ids": ids}))["result"]
    assert [c["segment_ids"] for c in shown] == batched


def test_a_repeated_search_follows_the_clock_the_log_and_the_jobs(
    account, contacts_server: LiveServer, monkeypatch
):
    """The search answer is memoized: each thing it reads still shows at once, the time that
    passes with no entry in the log (a running clock) included."""
    clock = contacts_server.app.runtimes["sendgrid"].backend.stateful.ledger.clock

    def search() -> dict:
        return ok(account.post("/v3/marketing/contacts/search", json={"query": "city = 'Austin'"}))

    def later(seconds: float) -> None:
        monkeypatch.setattr(clock, "frozen", clock.frozen + seconds)

    first = search()
    assert search() == first
    segment = ok(account.post(V2, json={"name": "A", "query_dsl": QUERIES["Austin"]}), 201)
    assert all(segment["id"] not in c["segment_ids"] for c in search()["result"])
    later(3600)  # evaluated
    evaluated = search()
    assert all(segment["id"] in c["segment_ids"] for c in evaluated["result"])
    v1 = next(i for c in evaluated["result"] for i in c["segment_ids"] if i != segment["id"])
    ok(account.delete(f"{V1}/{v1}"), 202)
    assert all(v1 not in c["segment_ids"] for c in search()["result"])
    upsert(account, people(1, "austin.example", city="Austin"))
    assert search()["contact_count"] == first["contact_count"]  # the job is not due yet
    later(10)  # the job applies
    assert search()["contact_count"] == first["contact_count"] + 1


def test_member_bits_answer_rows_past_the_end_and_no_sets():
    sets = [RowSet(np.array(rows, np.int64)) for rows in ([0, 2, 9], [], [2, 3], *[[9]] * 7)]
    bits = MemberBits(sets, 10)
    rows = np.array([9, 2, 11, 0, 5], np.int64)
    expected = [[row in s for s in sets] for row in rows.tolist()]
    assert bits.flags(rows).tolist() == expected
    assert [s.flags(rows).tolist() for s in sets] == np.array(expected).T.tolist()
    assert MemberBits([], 4).flags(rows).shape == (5, 0)
