"""The load workload of the write operations: one request per operation that stays valid when
wrk repeats it, and the Lua script that sends it.

A write changes the mock, so each row is chosen to mean the same thing at its 1st and its
10,000th request, and the mock is reset (``POST /__mockserver/reset``) and its fixture made
again (:func:`make_fixture`) before every measured run: the write log holds at most 20,000
entries (``state/ledger.py``), and a run starts from the same state each time. Three kinds:

- **repeated**: the same request every time, valid on repeat (an update with the same body, an
  upsert of the same contact, a removal from a list, a search);
- **pair**: a create and the delete of what it created, alternating (wrk's ``response`` reads
  the new id): a create alone would hit the account's cap (200 segments, 1,000 lists) and
  a delete alone has nothing left to delete after the first;
- **refused**: the repeat is refused by the API's own rule, and the row measures that answer
  (a second manual refresh within the hour: 429; a v1 segment deleted already: 404).

The baseline (bench/baseline_app.py) answers each with the status and bytes captured from the
mock, after parsing the JSON body as the mock does (orjson).
"""

from __future__ import annotations

import base64
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from compare import Cell, Target, rotated
from workload import KEY
from wrk import OWN, Measurement, run_script

#: The API every row is of (a target's server for it).
API = "sendgrid"
HEADERS = (("Authorization", f"Bearer {KEY}"), ("Content-Type", "application/json"))
V2 = "/v3/marketing/segments/2.0"
LISTS = "/v3/marketing/lists"
CONTACTS = "/v3/marketing/contacts"
QUERY = "SELECT contact_id, updated_at FROM contact_data WHERE city = 'Austin'"
#: The fixture's v2 segment, as made and as every update sets it again.
TARGET = {"name": "bench target", "query_dsl": QUERY}
REFRESHED = {"name": "bench refreshed", "query_dsl": QUERY}
#: Where a pair's created id goes in the delete's path (Starlette's path syntax, for the baseline).
ID = "{id}"


@dataclass(frozen=True)
class Fixture:
    """What the rows name, made on a freshly reset mock: the same ids after every reset."""

    segment_id: str  # a v2 segment, never refreshed (its answer has no sample yet)
    refreshed_id: str  # a v2 segment, refreshed once already
    deleted_v1_id: str  # a v1 segment, deleted already
    list_id: str  # a list of the world
    member_id: str  # a contact of that list
    member_email: str


def make_fixture(url: str) -> Fixture:
    """Reset the mock and make the fixture: two v2 segments (one refreshed), a v1 one deleted."""
    with httpx.Client(base_url=url, headers=dict(HEADERS), timeout=60) as http:
        http.post("/__mockserver/reset", json={}).raise_for_status()
        segment_id = http.post(V2, json=TARGET).raise_for_status().json()["id"]
        refreshed_id = http.post(V2, json=REFRESHED).raise_for_status().json()["id"]
        refreshed = http.post(f"{V2}/refresh/{refreshed_id}", json={"user_time_zone": "UTC"})
        v1 = http.get("/v3/marketing/segments").raise_for_status().json()["results"][0]["id"]
        deleted = http.delete(f"/v3/marketing/segments/{v1}")
        list_id = http.get(LISTS).raise_for_status().json()["result"][0]["id"]
        found = http.get(f"{LISTS}/{list_id}", params={"contact_sample": "true"})
        member = found.raise_for_status().json()["contact_sample"][0]
    if (refreshed.status_code, deleted.status_code) != (202, 202):
        raise SystemExit(f"fixture: refresh {refreshed.status_code}, delete {deleted.status_code}")
    return Fixture(segment_id, refreshed_id, v1, list_id, member["id"], member["email"])


@dataclass(frozen=True)
class Send:
    """One request: ``path`` may hold :data:`ID` (a pair's delete), ``body`` ``{n}`` (a
    create's unique name, numbered per request)."""

    method: str
    path: str
    body: Any = None
    query: str = ""

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def payload(self, n: int | None = None) -> bytes:
        """The JSON body, with ``{n}`` replaced by ``n`` if given (kept for the Lua script)."""
        text = "" if self.body is None else json.dumps(self.body, separators=(",", ":"))
        return (text if n is None else text.replace("{n}", str(n))).encode()


@dataclass(frozen=True)
class WriteRow:
    """One row of the table: the operations it covers, what it sends, which statuses are right."""

    name: str
    kind: str  # "repeated", "pair" or "refused"
    sends: Callable[[Fixture], tuple[Send, ...]]  # one request, or (create, delete)
    expect: frozenset[int]
    measures: str
    operations: tuple[str, ...] = field(default=())


ROWS: tuple[WriteRow, ...] = (
    WriteRow(
        "CreateSegmentV2 + DeleteSegmentV2",
        "pair",
        lambda f: (
            Send("POST", V2, {"name": "bench {n}", "query_dsl": QUERY}),
            Send("DELETE", f"{V2}/{ID}"),
        ),
        frozenset({201, 202}),
        "a create (unique name) and the delete of a created segment, alternating",
        ("CreateSegmentV2", "DeleteSegmentV2"),
    ),
    WriteRow(
        "UpdateSegmentV2",
        "repeated",
        lambda f: (Send("PATCH", f"{V2}/{f.segment_id}", TARGET),),
        frozenset({200}),
        "name and query of a segment not evaluated yet set again (an entry of the log each)",
    ),
    WriteRow(
        "RefreshSegmentV2",
        "refused",
        lambda f: (Send("POST", f"{V2}/refresh/{f.refreshed_id}", {"user_time_zone": "UTC"}),),
        frozenset({429}),
        "a second refresh within the hour: the limit's 429 (the checks, no entry appended)",
    ),
    WriteRow(
        "DeleteSegment",
        "refused",
        lambda f: (Send("DELETE", f"/v3/marketing/segments/{f.deleted_v1_id}"),),
        frozenset({404}),
        "a v1 segment deleted already: its 404 (the checks, no entry appended)",
    ),
    WriteRow(
        "CreateList + DeleteList",
        "pair",
        lambda f: (Send("POST", LISTS, {"name": "bench {n}"}), Send("DELETE", f"{LISTS}/{ID}")),
        frozenset({201, 204}),
        "a create (unique name) and the delete of a created list, alternating",
        ("CreateList", "DeleteList"),
    ),
    WriteRow(
        "UpdateList",
        "repeated",
        lambda f: (Send("PATCH", f"{LISTS}/{f.list_id}", {"name": "bench list"}),),
        frozenset({200}),
        "one list renamed to the same name again",
    ),
    WriteRow(
        "UpsertContacts",
        "repeated",
        lambda f: (
            Send(
                "PUT",
                CONTACTS,
                {"list_ids": [f.list_id], "contacts": [{"email": "bench@example.com"}]},
            ),
        ),
        frozenset({202}),
        "one contact upserted into a list (added to it): a job queued; no job completes "
        "within a run (5 s on the mock clock)",
    ),
    WriteRow(
        "RemoveListContacts",
        "repeated",
        lambda f: (
            Send("DELETE", f"{LISTS}/{f.list_id}/contacts", query=f"contact_ids={f.member_id}"),
        ),
        frozenset({202}),
        "one member removed from its list: a job queued",
    ),
    WriteRow(
        "DeleteContacts",
        "repeated",
        lambda f: (Send("DELETE", CONTACTS, query=f"ids={f.member_id}"),),
        frozenset({202}),
        "one contact deleted: a job queued",
    ),
    WriteRow(
        "SearchContacts",
        "repeated",
        lambda f: (Send("POST", f"{CONTACTS}/search", {"query": "city = 'Austin'"}),),
        frozenset({200}),
        "a contact-field search (a read sent as POST; nothing written)",
    ),
    WriteRow(
        "SearchContactsByEmails",
        "repeated",
        lambda f: (Send("POST", f"{CONTACTS}/search/emails", {"emails": [f.member_email]}),),
        frozenset({200}),
        "one contact by its email (a read sent as POST)",
    ),
    WriteRow(
        "GetContactsBatch",
        "repeated",
        lambda f: (Send("POST", f"{CONTACTS}/batch", {"ids": [f.member_id]}),),
        frozenset({200}),
        "one contact by its id (a read sent as POST)",
    ),
)


def covered(rows: Sequence[WriteRow] = ROWS) -> set[str]:
    """The operationIds the rows measure."""
    return {op for row in rows for op in (row.operations or (row.name,))}


# --- the Lua script ----------------------------------------------------------------------------


def lua(text: str) -> str:
    return json.dumps(text)  # ASCII JSON strings are valid Lua string literals


RESULT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
unexpected = 0
response = function(status, headers, body)
  if not expected[status] then unexpected = unexpected + 1 end
  if harvest then harvest(status, body) end
end
done = function(summary, latency, requests)
  local e, wrong = summary.errors, 0
  for _, thread in ipairs(threads) do wrong = wrong + thread:get("unexpected") end
  io.write(string.format("RESULT %.0f %.0f %.0f %.0f %.0f\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + wrong))
end
"""


def lua_script(row: WriteRow, fixture: Fixture) -> str:
    """wrk's script for ``row``: its request(s), and ``RESULT`` counting any status not in
    ``row.expect`` as an error."""
    headers = ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in HEADERS)
    statuses = ", ".join(f"[{s}] = true" for s in sorted(row.expect))
    lines = [f"expected = {{{statuses}}}", f"local headers = {{{headers}}}"]
    sends = row.sends(fixture)
    if row.kind != "pair":
        (send,) = sends
        body = send.payload()
        lines.append(
            f"local req = wrk.format({lua(send.method)}, {lua(send.target)}, headers"
            + (f", {lua(body.decode())})" if body else ")")
        )
        lines.append("request = function() return req end")
    else:
        create, delete = sends
        before, _, after = create.payload().decode().partition("{n}")
        prefix, _, suffix = delete.target.partition(ID)
        lines.append(
            f"""local n, pending = 0, {{}}
request = function()
  local id = table.remove(pending)
  if id then
    return wrk.format({lua(delete.method)}, {lua(prefix)} .. id .. {lua(suffix)}, headers)
  end
  n = n + 1
  local body = {lua(before)} .. n .. {lua(after)}
  return wrk.format({lua(create.method)}, {lua(create.target)}, headers, body)
end
harvest = function(status, body)
  if status == 201 then
    local id = body:match('"id":"([^"]+)"')
    if id then table.insert(pending, id) end
  end
end"""
        )
    return "\n".join(lines) + RESULT


# --- capture the mock's answers for the baseline ----------------------------------------------


def _entry(send: Send, path: str, reply: httpx.Response) -> dict:
    return {
        "method": send.method,
        "path": path,
        "query": send.query,
        "json": send.body is not None,
        "status": reply.status_code,
        "headers": sorted((k, v) for k, v in reply.headers.items() if k not in OWN),
        "body_b64": base64.b64encode(reply.content).decode(),
    }


def capture(url: str, rows: Sequence[WriteRow]) -> tuple[list[dict], Fixture]:
    """The mock's answers, as the baseline serves them (bench/baseline_app.py's entries), and
    the fixture they name. A repeated or refused row: the answer to its second request; a pair:
    the create's answer and its delete's. A status ``row.expect`` does not hold ends the run."""
    entries = []
    for row in rows:
        fixture = make_fixture(url)
        sends = row.sends(fixture)
        with httpx.Client(base_url=url, headers=dict(HEADERS), timeout=60) as http:
            if row.kind == "pair":
                create, delete = sends
                made = http.request(create.method, create.target, content=create.payload(1))
                path = delete.target.replace(ID, made.json().get("id", ""))
                gone = http.request(delete.method, path)
                replies = [made, gone]
                entries += [_entry(create, create.path, made), _entry(delete, delete.path, gone)]
            else:
                (send,) = sends
                replies = [http.request(send.method, send.target, content=send.payload())]
                replies.append(http.request(send.method, send.target, content=send.payload()))
                entries.append(_entry(send, send.path, replies[-1]))
        wrong = [r for r in replies[-len(sends) :] if r.status_code not in row.expect]
        if wrong:
            reply = wrong[0]
            raise SystemExit(f"{row.name}: the mock answers {reply.status_code}: {reply.text}")
    return entries, fixture


def check_baseline(url: str, entries: Sequence[dict]) -> None:
    """The baseline answers every captured request with its status and bytes."""
    with httpx.Client(base_url=url, headers=dict(HEADERS), timeout=10) as http:
        for entry in entries:
            path = entry["path"].replace(ID, "00000000-0000-4000-8000-000000000000")
            target = f"{path}?{entry['query']}" if entry["query"] else path
            reply = http.request(entry["method"], target, content=b"{}" if entry["json"] else b"")
            want = (entry["status"], base64.b64decode(entry["body_b64"]))
            if (reply.status_code, reply.content) != want:
                raise SystemExit(f"{url} answers {entry['method']} {target} unlike the capture")


# --- interleaved measurement -------------------------------------------------------------------


def measure(
    mock: Target,
    baseline: Target,
    rows: Sequence[WriteRow],
    captured: Fixture,
    connections: Sequence[int],
    seconds: float,
    rounds: int,
) -> dict[tuple[str, str, int], Cell]:
    """Every (target, row, connections) ``rounds`` times, the two targets back to back per round
    (order rotating); the mock reset and its fixture made again before each of its runs."""
    runs: dict[tuple[str, str, int], list[tuple[Measurement, float]]] = {}
    for conns in connections:
        for row in rows:
            for round_ in range(rounds):
                for target in rotated([mock, baseline], round_):
                    url = target.url(API)
                    fixture = make_fixture(url) if target is mock else captured
                    cpu_before = target.cpu_seconds()
                    found = run_script(url, lua_script(row, fixture), conns, seconds)
                    cpu = (target.cpu_seconds() - cpu_before) / max(found.requests, 1) * 1e6
                    runs.setdefault((target.name, row.name, conns), []).append((found, cpu))
            medians = {
                t.name: statistics.median(m.rps for m, _ in runs[t.name, row.name, conns])
                for t in (mock, baseline)
            }
            line = ", ".join(f"{name} {rps:,.0f}" for name, rps in medians.items())
            print(f"{row.name} c={conns}: {line} req/s", flush=True)
    return {
        key: Cell(tuple(m for m, _ in found), tuple(cpu for _, cpu in found))
        for key, found in runs.items()
    }


def warm_up(mock: Target, baseline: Target, rows: Sequence[WriteRow], captured: Fixture) -> None:
    """One second of 8 connections per target and row: caches filled, code warm."""
    for row in rows:
        for target in (mock, baseline):
            url = target.url(API)
            fixture = make_fixture(url) if target is mock else captured
            run_script(url, lua_script(row, fixture), 8, 1)
