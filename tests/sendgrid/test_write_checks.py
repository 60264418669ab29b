"""The checks a write makes by lookup (a list by its id, a segment name by the v1 names and the
created ones) agree with the account's whole maps after every kind of write that changes them;
and a write's answer, folded from this process's copy of the log, equals a fresh read."""

from __future__ import annotations

import httpx

from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid import writes as segment_writes
from tests.sendgrid.contacts_helpers import UNKNOWN, V2
from tests.sendgrid.test_v2_segments import AUSTIN, create

LISTS = "/v3/marketing/lists"
V1 = "/v3/marketing/segments"


def stateful(server: LiveServer):
    return server.app.runtimes["sendgrid"].backend.stateful


def test_a_list_is_found_by_its_id_as_the_lists_show_it(account, contacts_server):
    writes = stateful(contacts_server)
    base = [item["id"] for item in account.get(LISTS).json()["result"]]
    made = [account.post(LISTS, json={"name": f"made {i}"}).json()["id"] for i in range(3)]
    steps = [
        ("patch", f"{LISTS}/{base[0]}", {"name": "base renamed"}),
        ("patch", f"{LISTS}/{made[0]}", {"name": "made renamed"}),
        ("delete", f"{LISTS}/{base[1]}", None),
        ("delete", f"{LISTS}/{made[1]}", None),
    ]
    for method, path, body in [("get", LISTS, None), *steps]:
        assert account.request(method, path, json=body).status_code in (200, 204)
        view = writes.view()
        every = view.lists()
        for list_id in [*base, *made, UNKNOWN]:
            assert view.list_name(list_id) == every.get(list_id), (path, list_id)
    # A deleted list is refused as a segment's parent and an upsert's list, a renamed one not.
    for gone in (base[1], made[1]):
        refused = account.post(
            V2, json={"name": "x", "query_dsl": AUSTIN, "parent_list_ids": [gone]}
        )
        assert refused.status_code == 400 and gone in refused.text
    assert create(account, "child", parent_list_ids=[made[0]])["parent_list_ids"] == [made[0]]


def test_a_name_is_refused_while_a_live_segment_holds_it(account):
    v1 = account.get(V1).json()["results"]
    first = create(account, "first")
    second = create(account, "second")
    assert account.patch(f"{V2}/{second['id']}", json={"name": "second renamed"}).status_code == 200
    assert account.delete(f"{V2}/{first['id']}").status_code == 202
    assert account.delete(f"{V1}/{v1[0]['id']}").status_code == 202
    held = {s["name"] for s in account.get(V2).json()["results"]}
    assert "second renamed" in held and "second" not in held and "first" not in held
    candidates = {"first", "second", "second renamed", v1[0]["name"], v1[1]["name"], "fresh"}
    for name in sorted(candidates):
        response = account.post(V2, json={"name": name, "query_dsl": AUSTIN})
        assert response.status_code == (400 if name in held else 201), (name, response.text)
        if response.status_code == 201:
            assert account.delete(f"{V2}/{response.json()['id']}").status_code == 202
    # A segment keeps its own name on update; another's is refused.
    own = account.patch(f"{V2}/{second['id']}", json={"name": "second renamed"})
    assert own.status_code == 200
    taken = account.patch(f"{V2}/{second['id']}", json={"name": v1[1]["name"]})
    assert taken.status_code == 400


def test_a_writes_answer_equals_a_fresh_read(account: httpx.Client):
    made = create(account, "answered")
    assert account.get(f"{V2}/{made['id']}").json() == made
    updated = account.patch(f"{V2}/{made['id']}", json={"name": "answered again"}).json()
    assert account.get(f"{V2}/{made['id']}").json() == updated
    created = account.post(LISTS, json={"name": "answered list"}).json()
    assert account.get(f"{LISTS}/{created['id']}").json() == created
    renamed = account.patch(f"{LISTS}/{created['id']}", json={"name": "renamed list"}).json()
    assert account.get(f"{LISTS}/{created['id']}").json() == renamed


def test_the_segment_cap_counts_the_live_segments_of_both_versions(
    account, contacts_server, monkeypatch
):
    writes = stateful(contacts_server)
    v1 = account.get(V1).json()["results"]
    made = [create(account, f"counted {i}")["id"] for i in range(3)]
    assert account.delete(f"{V2}/{made[0]}").status_code == 202
    assert account.delete(f"{V1}/{v1[0]['id']}").status_code == 202
    shown = len(account.get(V2).json()["results"])
    assert writes.live_count(writes.view()) == shown == len(v1) - 1 + 2
    monkeypatch.setattr(segment_writes, "MAX_SEGMENTS", shown + 1)
    create(account, "the last one")
    refused = account.post(V2, json={"name": "one too many", "query_dsl": AUSTIN})
    assert refused.status_code == 400 and "at most" in refused.text
