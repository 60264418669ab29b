"""Records share equal header lists and paths: each request's own copies are freed at once, the
table that keeps the shared ones is bounded."""

from __future__ import annotations

from mockserver.exchange import Exchange
from mockserver.journal.masking import Masker
from mockserver.journal.recorder import SHARED_VALUES, Recorder
from mockserver.state.memory import MemoryJournal


def request(path: str, agent: str) -> Exchange:
    """An exchange whose scope values are fresh objects, as a server makes them per request."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "".join(["/v3/", path]),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", agent.encode())],
    }
    return Exchange(scope, 0.0)


def recorder() -> tuple[Recorder, MemoryJournal]:
    journal = MemoryJournal(10_000)
    return Recorder(journal, Masker.for_specs([]), lambda path: "api"), journal


def test_equal_headers_and_paths_are_kept_once():
    rec, journal = recorder()
    for _ in range(3):
        rec.record(request("segments", "client/1"), 200)
    first, second, third = (record for _, record in journal.records())
    assert first.headers is second.headers is third.headers
    assert first.path is second.path is third.path == "/v3/segments"
    rec.record(request("segments", "client/2"), 200)
    other = journal.records()[-1][1]
    assert other.headers is not first.headers and other.headers[1] == (b"user-agent", b"client/2")


def test_the_shared_table_is_bounded():
    rec, journal = recorder()
    for n in range(SHARED_VALUES * 3):
        rec.record(request(f"segments/{n}", f"client/{n}"), 200)
    assert len(journal) == SHARED_VALUES * 3
    assert len(rec._headers) <= SHARED_VALUES and len(rec._paths) <= SHARED_VALUES
    kept = [record.headers[1][1] for _, record in journal.records()]
    assert kept == [f"client/{n}".encode() for n in range(SHARED_VALUES * 3)]
