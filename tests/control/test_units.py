"""Pure pieces of the control plane: Prefer parsing, latency/rate parsing, masking, the journal."""

from __future__ import annotations

import asyncio
import time

import pytest

from mockserver.journal.masking import Masker, mask_secret
from mockserver.journal.record import Filter, Record, read
from mockserver.routing.endpoint import wait_unless_gone
from mockserver.scenarios.prefer import parse_prefer
from mockserver.state.base import OverrideStore
from mockserver.state.memory import MemoryJournal
from mockserver.state.values import (
    Fault,
    Preference,
    Scenario,
    parse_latency,
    parse_rate,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("code=404", Preference(code=404)),
        ("code=200, example=empty", Preference(code=200, example="empty")),
        ('example="documented"', Preference(example="documented")),
        ("dynamic=true", Preference(dynamic=True)),
        ("Dynamic=TRUE; foo=bar, code=429", Preference(code=429, dynamic=True)),
        ("dynamic", Preference(dynamic=True)),
    ],
)
def test_prefer_parses_prism_syntax(raw, expected):
    assert parse_prefer(raw) == (expected, None)


def test_prefer_ignores_unknown_preferences():
    assert parse_prefer("return=minimal, respond-async") == (None, None)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("code=abc", "int_parsing"), ("code=99", "int_parsing"), ("dynamic=maybe", "bool_parsing")],
)
def test_prefer_refuses_malformed_values(raw, kind):
    preference, error = parse_prefer(raw)
    assert preference is None
    assert error.kind == kind and error.location == "header" and error.name == "Prefer"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(100, (100.0, 100.0)), ("50-200", (50.0, 200.0)), ([5, 9], (5.0, 9.0)), ("0", (0.0, 0.0))],
)
def test_latency_forms(value, expected):
    assert parse_latency(value) == expected


@pytest.mark.parametrize("value", ["fast", "200-50", "-5", True, [1], "1-2-3"])
def test_latency_refuses_nonsense(value):
    with pytest.raises(ValueError):
        parse_latency(value)


@pytest.mark.parametrize("value", [-0.1, 1.5, "x", True])
def test_rate_refuses_out_of_range(value):
    with pytest.raises(ValueError):
        parse_rate(value)


def test_scenario_counts_down_then_disappears():
    store = OverrideStore()
    key = ("sendgrid", "ListSegment")
    store.set_scenario(key, Scenario(Preference(code=404), times=2))
    assert store.take(key) == Preference(code=404)
    assert store.take(key) == Preference(code=404)
    assert store.take(key) is None
    assert not store.has_scenarios


def test_scenario_without_times_lasts_until_cleared():
    store = OverrideStore()
    key = ("sendgrid", "ListSegment")
    store.set_scenario(key, Scenario(Preference(code=503)))
    assert all(store.take(key) == Preference(code=503) for _ in range(50))
    assert store.clear_scenario(key)
    assert store.take(key) is None


def test_fault_draws_are_deterministic_per_seed():
    def draws(seed):
        store = OverrideStore(seed, Fault((10, 20), 0.5))
        return [store.draw(("a", "b"), (500, 503)) for _ in range(20)]

    first = draws(7)
    assert first == draws(7)
    assert first != draws(8)
    assert {status for _, status in first} == {None, 500, 503}
    assert all(0.010 <= delay <= 0.020 for delay, _ in first)


def test_operation_fault_overrides_global_field_by_field():
    store = OverrideStore(0, Fault((100, 100), 1.0))
    store.set_fault(("a", "b"), Fault(error_rate=0.0))
    assert store.draw(("a", "b"), (500,)) == (0.1, None)
    assert store.draw(("a", "other"), (500,)) == (0.1, 500)
    store.reset()
    assert store.operation_faults() == {} and store.global_fault() == Fault((100, 100), 1.0)


def test_idle_store_is_not_faulty():
    store = OverrideStore()
    assert not store.faulty
    store.set_fault(None, Fault(error_rate=0.2))
    assert store.faulty
    store.set_fault(None, Fault(latency=(0, 0), error_rate=0))
    assert not store.faulty


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (
            "Bearer SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "Bearer SG.***",
        ),
        ("Bearer short", "Bearer ***"),
        ("abcdefghijklmnop", "abc***"),
        ("Basic ", "***"),
    ],
)
def test_mask_secret_keeps_only_scheme_and_prefix(value, masked):
    assert mask_secret(value) == masked


def test_masker_masks_headers_and_query_parameters():
    masker = Masker(extra_headers=["X-Custom-Key"], extra_params=["sig"])
    headers = masker.header_items(
        [
            (b"Authorization", b"Bearer SG.secretsecretsecret"),
            (b"x-custom-key", b"k" * 20),
            (b"program-id", b"demo"),
        ]
    )
    assert headers == {
        "authorization": "Bearer SG.***",
        "x-custom-key": "kkk***",
        "program-id": "demo",
    }
    assert masker.query("ids=a,b&api_key=s3cr3t&sig=xyz") == "ids=a,b&api_key=***&sig=***"
    assert masker.query("ids=a%2Cb") == "ids=a%2Cb"


def record(path: str, method: str = "GET", query: bytes = b"", headers=()) -> Record:
    return Record(1.0, "sendgrid", None, method, path, query, 200, 1.23456, list(headers))


def test_journal_is_bounded_and_filters():
    journal = MemoryJournal(size=3)
    for index in range(5):
        journal.append(record(f"/p/{index}", "GET" if index % 2 else "POST"))
    masker = Masker()

    def paths(where: Filter) -> list[str]:
        return [entry.path for entry in read(journal.records(), masker, where)]

    assert paths(Filter()) == ["/p/2", "/p/3", "/p/4"]
    assert paths(Filter(method="get")) == ["/p/3"]
    assert paths(Filter(path="/p/*")) == ["/p/2", "/p/3", "/p/4"]
    assert read(journal.records(), masker, Filter(path="/p/4"))[0].id == 5
    assert journal.clear() == 3 and len(journal) == 0


def test_journal_stores_raw_requests_and_masks_them_when_read():
    journal = MemoryJournal(10)
    raw_headers = [(b"authorization", b"Bearer SG.secretsecretsecret"), (b"program-id", b"demo")]
    journal.append(
        record("/v3/marketing/segments", query=b"ids=a%2Cb&sig=xyz", headers=raw_headers)
    )
    (entry,) = read(journal.records(), Masker(extra_params=["sig"]))
    assert entry.headers == {"authorization": "Bearer SG.***", "program-id": "demo"}
    assert entry.query == "ids=a%2Cb&sig=***"  # only the secret value changes
    assert entry.ms == 1.235
    assert entry.as_dict()["params"] == {"ids": ["a,b"], "sig": ["***"]}
    assert raw_headers[0] == (b"authorization", b"Bearer SG.secretsecretsecret")


def test_injected_latency_is_a_floor_under_uvloop():
    """uvloop rounds ``sleep(0.0104)`` to a 10 ms timer on a cached clock: it may end early."""
    uvloop = pytest.importorskip("uvloop")

    async def stays() -> dict:
        await asyncio.sleep(3600)  # the client never leaves
        return {"type": "http.disconnect"}

    async def shortest() -> float:
        elapsed = []
        for _ in range(5):
            started = time.perf_counter()
            assert await wait_unless_gone(0.0104, stays)
            elapsed.append(time.perf_counter() - started)
        return min(elapsed)

    assert uvloop.run(shortest()) >= 0.0104


def test_a_wait_ends_when_the_client_leaves():
    messages = iter([{"type": "http.request", "body": b"", "more_body": False}])

    async def receive() -> dict:
        return next(messages, {"type": "http.disconnect"})

    async def waited() -> tuple[bool, float]:
        started = time.perf_counter()
        return await wait_unless_gone(10.0, receive), time.perf_counter() - started

    stayed, seconds = asyncio.run(waited())
    assert not stayed and seconds < 1


@pytest.mark.parametrize(
    "value",
    ["\u0663", "5\u0660", "\u00b2", "1e3", "nan", "inf", "1_000", "50-\u0663", ["1", "\u0662"]],
)
def test_fault_numbers_are_ascii_digits_only(value):
    """float() would take "٣" as 3.0: the control plane reads numbers by one strict rule."""
    with pytest.raises(ValueError):
        Fault.from_json({"latency": value})
    if not isinstance(value, list):
        with pytest.raises(ValueError):
            Fault.from_json({"error_rate": value})


def test_fault_numbers_in_ascii_are_read():
    assert Fault.from_json({"latency": " 50 - 200 ", "error_rate": "0.25"}) == Fault(
        (50.0, 200.0), 0.25
    )
    assert Fault.from_json({"latency": ["10", 20]}).latency == (10.0, 20.0)
