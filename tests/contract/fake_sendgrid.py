"""A small in-memory SendGrid Segments deployment that records every request it receives.

It holds one segment and one list of its own (:data:`FOREIGN`, :data:`FOREIGN_LIST`: the
account's real data, which a contract run must never change), creates, reads, updates,
refreshes and deletes segments as the v2 API does, and lists as the Lists API does, loosely
(the run's checks may fail on its answers: what the tests read is :attr:`FakeSendGrid.requests`,
:attr:`FakeSendGrid.segments` and :attr:`FakeSendGrid.lists`). ``broken=True`` answers every
v2 GET by id with a body missing required fields, so a run over it fails a check.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FOREIGN = "7d3c6a52-1f0e-4b9a-8c2d-5e6f7a8b9c0d"
FOREIGN_LIST = "0b6f2d9e-3c1a-4e5b-9a7d-8c2e4f6a1b3d"
STAMP = "2024-06-03T12:00:00.000Z"
RATE = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "599", "X-RateLimit-Reset": "0"}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    body: Any


def _segment(identifier: str, name: str, query: str) -> dict[str, Any]:
    return {
        "id": identifier,
        "name": name,
        "query_dsl": query,
        "contacts_count": 0,
        "contacts_sample": [],
        "created_at": STAMP,
        "updated_at": STAMP,
        "sample_updated_at": STAMP,
        "next_sample_update": STAMP,
        "parent_list_ids": [],
        "query_version": "2",
        "status": {"query_validation": "PENDING"},
    }


def _list(identifier: str, name: str) -> dict[str, Any]:
    link = f"https://api.sendgrid.com/v3/marketing/lists/{identifier}"
    return {"id": identifier, "name": name, "contact_count": 0, "_metadata": {"self": link}}


def _error(status: int, field_name: str, message: str) -> JSONResponse:
    errors = {"errors": [{"field": field_name, "message": message}]}
    return JSONResponse(errors, status_code=status, headers=RATE)


@dataclass
class FakeSendGrid:
    broken: bool = False
    requests: list[Seen] = field(default_factory=list)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.segments[FOREIGN] = _segment(FOREIGN, "Customers in California", "SELECT 1")
        self.lists[FOREIGN_LIST] = _list(FOREIGN_LIST, "Newsletter")

    @property
    def writes(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.method not in ("GET", "HEAD")]

    async def _body(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.requests.append(Seen(request.method, request.url.path, body))
        return body

    async def segments_v1(self, request: Request) -> Response:
        await self._body(request)
        return JSONResponse({"results": list(self.segments.values())}, headers=RATE)

    async def segments_v2(self, request: Request) -> Response:
        body = await self._body(request)
        if request.method == "GET":
            return JSONResponse({"results": list(self.segments.values())}, headers=RATE)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return _error(400, "name", "name is required")
        identifier = str(uuid.uuid4())
        self.segments[identifier] = _segment(identifier, body["name"], str(body.get("query_dsl")))
        return JSONResponse(self.segments[identifier], status_code=201, headers=RATE)

    async def _named(self, request: Request, table: dict, parameter: str) -> tuple[Any, str, Any]:
        """The body, the id the path names and what ``table`` holds under it (a 404 if none)."""
        body = await self._body(request)
        identifier = request.path_params[parameter]
        found = table.get(identifier)
        if found is None:
            found = _error(404, parameter, f"{parameter} not found")
        return body, identifier, found

    async def segment(self, request: Request) -> Response:
        body, identifier, found = await self._named(request, self.segments, "segment_id")
        if isinstance(found, Response):
            return found
        if request.method == "DELETE":
            del self.segments[identifier]
            return Response(status_code=202, headers=RATE)
        if request.method == "PATCH" and isinstance(body, dict):
            found.update({k: v for k, v in body.items() if k in ("name", "query_dsl")})
        if request.method == "POST":  # refresh
            return JSONResponse({"job_id": str(uuid.uuid4())}, status_code=202, headers=RATE)
        if self.broken and request.method == "GET":
            return JSONResponse({"id": identifier}, headers=RATE)
        return JSONResponse(found, headers=RATE)

    async def lists_collection(self, request: Request) -> Response:
        body = await self._body(request)
        if request.method == "GET":
            results = list(self.lists.values())
            return JSONResponse({"result": results, "_metadata": {}}, headers=RATE)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return _error(400, "name", "name is required")
        identifier = str(uuid.uuid4())
        self.lists[identifier] = _list(identifier, body["name"])
        return JSONResponse(self.lists[identifier], status_code=201, headers=RATE)

    async def one_list(self, request: Request) -> Response:
        body, identifier, found = await self._named(request, self.lists, "id")
        if isinstance(found, Response):
            return found
        if request.url.path.endswith("/contacts/count"):
            return JSONResponse({"contact_count": 0, "billable_count": 0}, headers=RATE)
        if request.url.path.endswith("/contacts"):  # a removal: a job
            return JSONResponse({"job_id": str(uuid.uuid4())}, status_code=202, headers=RATE)
        if request.method == "DELETE":
            del self.lists[identifier]
            return Response(status_code=204, headers=RATE)
        if request.method == "PATCH" and isinstance(body, dict) and "name" in body:
            found["name"] = body["name"]
        return JSONResponse(found, headers=RATE)

    def app(self) -> Starlette:
        one = ["GET", "PATCH", "DELETE"]
        return Starlette(
            routes=[
                Route("/v3/marketing/segments", self.segments_v1),
                Route("/v3/marketing/segments/2.0", self.segments_v2, methods=["GET", "POST"]),
                Route(
                    "/v3/marketing/segments/2.0/refresh/{segment_id}",
                    self.segment,
                    methods=["POST"],
                ),
                Route("/v3/marketing/segments/2.0/{segment_id}", self.segment, methods=one),
                Route(
                    "/v3/marketing/segments/{segment_id}", self.segment, methods=["GET", "DELETE"]
                ),
                Route("/v3/marketing/lists", self.lists_collection, methods=["GET", "POST"]),
                Route("/v3/marketing/lists/{id}", self.one_list, methods=one),
                Route("/v3/marketing/lists/{id}/contacts/count", self.one_list, methods=["GET"]),
                Route("/v3/marketing/lists/{id}/contacts", self.one_list, methods=["DELETE"]),
            ]
        )
