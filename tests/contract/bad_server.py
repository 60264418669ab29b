"""A deliberately non-conforming SendGrid segments server: every violation a contract must catch.

- it accepts any credential, or none (``ignored_auth``);
- ListSegment answers wrong types (``id`` an integer, ``contacts_count`` a string);
- GetSegment answers without required properties (``query_dsl``, ``contacts_sample``);
- GetSegment with ``query_json=true`` answers 418, a status the spec does not declare;
- it echoes the credentials it received, so an unmasked report would leak them.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

RATE = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "599", "X-RateLimit-Reset": "0"}
STAMP = "2024-03-11T09:15:42.118Z"


def _echo(request: Request) -> str:
    return f"{request.headers.get('authorization')} {request.headers.get('x-tenant')}"


async def list_segments(request: Request) -> JSONResponse:
    segment = {
        "id": 12345,
        "contacts_count": "many",
        "created_at": STAMP,
        "sample_updated_at": STAMP,
        "updated_at": STAMP,
        "name": _echo(request)[:100],
    }
    return JSONResponse({"results": [segment]}, headers=RATE)


async def get_segment(request: Request) -> JSONResponse:
    if request.query_params.get("query_json") == "true":
        return JSONResponse({"teapot": _echo(request)}, status_code=418, headers=RATE)
    segment = {
        "id": request.path_params["segment_id"],
        "contacts_count": 1,
        "created_at": STAMP,
        "sample_updated_at": STAMP,
        "updated_at": STAMP,
        "name": _echo(request)[:100],
    }
    return JSONResponse(segment, headers=RATE)


app = Starlette(
    routes=[
        Route("/v3/marketing/segments", list_segments),
        Route("/v3/marketing/segments/{segment_id}", get_segment),
    ]
)
