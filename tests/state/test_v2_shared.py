"""Segmentation v2 on one Redis: two replicas (each its own state and write log follower) are
one account - a segment created through one is read, refreshed and deleted through the other,
refresh limits and names count across both, the clock and a reset reach both."""

from __future__ import annotations

from mockserver.state.ledger import Ledger
from mockserver.state.redis import redis_state
from mockserver.state.redis.writes import RedisWriteLog
from tests.conftest import JSON
from tests.state.redis_server import RedisServer
from tests.state.replicas import wait_until

V1 = "/v3/marketing/segments"
V2 = "/v3/marketing/segments/2.0"
QUERY = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'"


def test_a_segment_created_on_one_is_read_refreshed_and_deleted_on_the_other(sendgrid_replicas):
    a, b = sendgrid_replicas
    created = a.post(V2, json={"name": "Austin", "query_dsl": QUERY})
    assert created.status_code == 201
    segment = created.json()["id"]
    assert b.get(f"{V2}/{segment}").json() == a.get(f"{V2}/{segment}").json()
    assert b.post(V2, json={"name": "Austin", "query_dsl": QUERY}).status_code == 400
    assert b.post(f"{V2}/refresh/{segment}", json={"user_time_zone": "UTC"}).status_code == 202
    # The limit counts across replicas: the second refresh within the hour is refused on A.
    assert a.post(f"{V2}/refresh/{segment}", json={"user_time_zone": "UTC"}).status_code == 429
    counted = a.get(f"{V2}/{segment}").json()
    assert counted["contacts_count"] > 0 and counted["refreshes_used"] == 1
    assert counted == b.get(f"{V2}/{segment}").json()
    assert b.delete(f"{V2}/{segment}").status_code == 202
    assert a.get(f"{V2}/{segment}").status_code == 404


def test_a_v1_delete_on_one_leaves_the_others_v1_reads(sendgrid_replicas):
    a, b = sendgrid_replicas
    gone = b.get(V1).json()["results"][0]["id"]
    b.get(V1)  # memoized on B
    assert a.delete(f"{V1}/{gone}").status_code == 202
    # B's memo holds until the write's event arrives (milliseconds); its v2 reads sync at once.
    assert gone not in {s["id"] for s in b.get(V2).json()["results"]}
    wait_until(lambda: gone not in {s["id"] for s in b.get(V1).json()["results"]}, "v1 delete")


def test_the_clock_and_a_reset_reach_every_replica(sendgrid_replicas):
    a, b = sendgrid_replicas
    moved = a.put("/__mockserver/clock", json={"advance": "PT2H"}, headers=JSON).json()
    assert b.get("/__mockserver/clock").json()["now"] == moved["now"] == "2026-05-01T14:00:00.000Z"
    segment = b.post(V2, json={"name": "Austin", "query_dsl": QUERY}).json()
    assert segment["created_at"] == "2026-05-01T14:00:00.000Z"
    assert a.post("/__mockserver/reset", headers=JSON).status_code == 200
    assert b.get(f"{V2}/{segment['id']}").status_code == 404
    assert b.get("/__mockserver/clock").json()["frozen"] is False


def test_conditional_appends_order_two_writers(redis_server: RedisServer, prefix: str):
    states = [redis_state(redis_server.url, prefix=prefix) for _ in range(2)]
    try:
        first, second = (state.writes for state in states)
        first.sync(), second.sync()
        assert first.append({"op": "x", "n": 1}) == 1
        assert second.append({"op": "x", "n": 2}) is None  # it had not read entry 1
        second.sync()
        assert second.append({"op": "x", "n": 2}) == 2
        first.sync()
        assert [e["n"] for e in first.entries] == [1, 2]
        first.clear()
        second.sync()
        assert second.entries == [] and second.generation == first.generation
        fresh = Ledger(RedisWriteLog(states[0].link))
        fresh.sync()
        assert fresh.generation == first.generation
    finally:
        for state in states:
            state.close()
