"""The control API mounted at ``/__mockserver``: journal, reset, data, scenarios, faults."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver import __version__
from mockserver.control import actions
from mockserver.control.actions import ControlError
from mockserver.control.index import STATIC_DIR, index_page
from mockserver.scenarios import Fault
from mockserver.serialize import json_bytes

if TYPE_CHECKING:
    from mockserver.app import MockServer


def json_response(value: Any, status: int = 200) -> Response:
    return Response(json_bytes(value), status_code=status, media_type="application/json")


def error_response(error: ControlError) -> Response:
    return json_response(error.as_dict(), error.status)


async def json_body(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        raise ControlError("the request body is empty; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ControlError("the request body is not valid JSON", [str(exc)]) from None


def cursor(value: str | None, name: str = "since") -> int | None:
    """``?since=`` (entries after this id) or ``?limit=`` (the newest N): a whole number."""
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ControlError(f"{name} must be a whole number (0 or more), got {value!r}")
    return int(value)


def operation_key(server: MockServer, request: Request) -> tuple[str, str]:
    params = request.path_params
    return actions.pipeline_of(server, params["api"], params["operation"]).key


class ControlAPI:
    """Endpoints as bound methods over one :class:`MockServer`."""

    def __init__(self, server: MockServer) -> None:
        self.server = server

    async def health(self, request: Request) -> Response:
        apis = list(self.server.runtimes)
        return json_response({"status": "ok", "version": __version__, "apis": apis})

    async def requests(self, request: Request) -> Response:
        journal = self.server.journal
        if request.method == "DELETE":
            return json_response({"cleared": journal.clear()})
        query = request.query_params
        since, limit = cursor(query.get("since")), cursor(query.get("limit"), "limit")
        entries = journal.entries(
            query.get("path"), query.get("method"), query.get("api"), since=since or 0, limit=limit
        )
        return json_response(
            {"count": len(entries), "requests": [entry.as_dict() for entry in entries]}
        )

    async def reset(self, request: Request) -> Response:
        await run_in_threadpool(actions.reset, self.server)
        return json_response({"status": "reset"})

    async def data(self, request: Request) -> Response:
        api = request.path_params["api"]
        actions.runtime_of(self.server, api)
        document = actions.parse_document(
            await request.body(), request.headers.get("content-type", "")
        )
        await run_in_threadpool(actions.load_data, self.server, api, document)
        return json_response({"status": "loaded", "api": api})

    async def scenarios(self, request: Request) -> Response:
        controls = self.server.controls
        if request.method == "DELETE":
            controls.reset_scenarios()
        return json_response({"scenarios": controls.snapshot()["scenarios"]})

    async def scenario(self, request: Request) -> Response:
        params = request.path_params
        if request.method == "DELETE":
            key = operation_key(self.server, request)
            return json_response({"cleared": self.server.controls.clear_scenario(key)})
        body = await json_body(request)
        scenario = actions.set_scenario(self.server, params["api"], params["operation"], body)
        return json_response(scenario.as_dict())

    async def faults(self, request: Request) -> Response:
        controls = self.server.controls
        if request.method == "PUT":
            controls.set_fault(None, self._fault(await json_body(request)))
        elif request.method == "DELETE":
            controls.clear_fault(None)
        return json_response(controls.snapshot()["faults"])

    async def fault(self, request: Request) -> Response:
        controls = self.server.controls
        key = operation_key(self.server, request)
        if request.method == "PUT":
            controls.set_fault(key, self._fault(await json_body(request)))
        elif request.method == "DELETE":
            return json_response({"cleared": controls.clear_fault(key)})
        return json_response(controls.fault_for(key).as_dict())

    def _fault(self, body: Any) -> Fault:
        try:
            return Fault.from_json(body)
        except ValueError as exc:
            raise ControlError("invalid fault; nothing was changed", [str(exc)]) from None

    async def spec(self, request: Request) -> Response:
        runtime = actions.runtime_of(self.server, request.path_params["api"])
        fmt = request.path_params["format"]
        if fmt == "json":
            return json_response(runtime.spec.document)
        if fmt != "yaml":
            raise ControlError(f"no spec format {fmt!r}; use .yaml or .json", status=404)
        return Response(Path(runtime.spec.source).read_bytes(), media_type="application/yaml")

    async def index(self, request: Request) -> Response:
        return Response(index_page(self.server, request), media_type="text/html")


async def _control_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ControlError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return json_response({"error": exc.detail}, exc.status_code)


def control_app(server: MockServer) -> Starlette:
    api = ControlAPI(server)
    op = "/{api}/{operation}"
    routes = [
        Route("/", api.index, methods=["GET"]),
        Route("/health", api.health, methods=["GET"]),
        Route("/requests", api.requests, methods=["GET", "DELETE"]),
        Route("/reset", api.reset, methods=["POST"]),
        Route("/data/{api}", api.data, methods=["PUT"]),
        Route("/scenarios", api.scenarios, methods=["GET", "DELETE"]),
        Route("/scenarios" + op, api.scenario, methods=["PUT", "DELETE"]),
        Route("/faults", api.faults, methods=["GET", "PUT", "DELETE"]),
        Route("/faults" + op, api.fault, methods=["GET", "PUT", "DELETE"]),
        Route("/specs/{api}.{format:str}", api.spec, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={ControlError: _control_error, HTTPException: _http_error},
    )
