"""What the contacts and lists tests share: a server on the mock clock and small requests."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.testing import LiveServer
from tests.conftest import JSON

LISTS = "/v3/marketing/lists"
CONTACTS = "/v3/marketing/contacts"
V2 = "/v3/marketing/segments/2.0"
START = "2026-03-10T15:00:00Z"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def set_clock(server: LiveServer, **body: Any) -> dict[str, Any]:
    response = httpx.put(f"{server.url}/__mockserver/clock", json=body, headers=JSON)
    assert response.status_code == 200, response.text
    return response.json()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def create_list(sg: httpx.Client, name: str = "Synced") -> dict[str, Any]:
    return ok(sg.post(LISTS, json={"name": name}), 201)


def upsert(sg: httpx.Client, contacts: list[dict[str, Any]], list_ids=()) -> str:
    body: dict[str, Any] = {"contacts": contacts}
    if list_ids:
        body["list_ids"] = list(list_ids)
    return ok(sg.put(CONTACTS, json=body), 202)["job_id"]


def people(n: int, domain: str = "example.com", **fields: Any) -> list[dict[str, Any]]:
    return [{"email": f"person{i}@{domain}", **fields} for i in range(n)]


def state(sg: httpx.Client) -> tuple[Any, ...]:
    """What the account shows: contact count, lists, segments (to prove nothing changed)."""
    count = ok(sg.get(f"{CONTACTS}/count"))["contact_count"]
    lists = ok(sg.get(LISTS, params={"page_size": 1000}))["result"]
    segments = ok(sg.get(V2))["results"]
    return count, lists, [s["id"] for s in segments]
