"""The start-up floor: uvicorn serving a two-route Starlette app, nothing else.

``bench/startup.py`` spawns it (``python -m uvicorn startup_floor:app``) and polls it exactly as
it does the mock, so the ratio mock / floor is the cost of the mock's own start-up work.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def actionhub(request: Request) -> JSONResponse:
    return JSONResponse({"segments": []})


async def sendgrid(request: Request) -> JSONResponse:
    return JSONResponse({"results": []})


app = Starlette(routes=[Route("/segments", actionhub), Route("/v3/marketing/segments", sendgrid)])
