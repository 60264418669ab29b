"""The control API mounted at ``/__mockserver`` behind its guard: each endpoint reads the
request, calls one function of ``actions`` and answers JSON; a refusal is
``{"error", "reasons"}`` with a 4xx."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from mockserver import __version__
from mockserver.control import PREFIX, actions
from mockserver.control.actions import ControlTarget
from mockserver.control.guard import SECURITY_HEADERS, ControlGuard, NoFraming
from mockserver.control.index import CONTROL_OFF_PAGE, STATIC_DIR, index_page
from mockserver.control.loading import load_over_http, read_body
from mockserver.cors import control_cors
from mockserver.crash import ContainCrashes, crash_handler
from mockserver.errors import ControlError, StateUnavailable
from mockserver.journal.record import Filter
from mockserver.numbers import parse_int
from mockserver.serialize import json_bytes
from mockserver.vendors.interface import Reply


def json_response(value: Any, status: int = 200) -> Response:
    return Response(json_bytes(value), status_code=status, media_type="application/json")


#: The limit a scenario or fault body is held to (named in a 413).
CONTROL_BODY = "control body size"


def cursor(value: str | None, name: str = "since") -> int | None:
    """``?since=`` (entries after this id) or ``?limit=`` (the newest N): a whole number."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise ControlError(f"{name} must be a whole number (0 or more), got {value[:40]!r}")
    return parse_int(value)


class ControlAPI:
    """Endpoints as bound methods over one :class:`ControlTarget`."""

    def __init__(self, target: ControlTarget, token_required: bool) -> None:
        self.target = target
        self.token_required = token_required

    async def body(self, request: Request) -> Any:
        """A scenario's, fault's or clock's JSON body (bounded: :data:`CONTROL_BODY`)."""
        limits = self.target.limits
        body = await read_body(request, limits.max_control_body, limits.timeout, CONTROL_BODY)
        if not body.strip():
            raise ControlError("the request body is empty; send a JSON object")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ControlError("the request body is not valid JSON", [str(exc)]) from None

    async def health(self, request: Request) -> Response:
        runtimes = self.target.runtimes
        problems = self.target.state.problems()  # a stopped loop: restart this replica
        return json_response(
            {
                "status": "unhealthy" if problems else "ok",
                "version": __version__,
                "apis": list(runtimes),
                "data_versions": {api: runtime.version for api, runtime in runtimes.items()},
                "state": self.target.state.describe(),
                **({"problems": problems} if problems else {}),
            },
            503 if problems else 200,
        )

    async def requests(self, request: Request) -> Response:
        # In a worker thread: a shared journal's read waits until every replica has stored
        # the records of the requests it answered (the serving loop's writer among them).
        if request.method == "DELETE":
            cleared = await run_in_threadpool(self.target.state.journal.clear)
            return json_response({"cleared": cleared})
        query = request.query_params
        where = Filter(query.get("path"), query.get("method"), query.get("api"))
        since, limit = cursor(query.get("since")), cursor(query.get("limit"), "limit")
        entries = await run_in_threadpool(
            actions.journal, self.target, where, since=since or 0, limit=limit
        )
        return json_response(
            {"count": len(entries), "requests": [entry.as_dict() for entry in entries]}
        )

    async def reset(self, request: Request) -> Response:
        await run_in_threadpool(actions.reset, self.target)
        return json_response({"status": "reset"})

    async def clock(self, request: Request) -> Response:
        if request.method == "PUT":
            return json_response(actions.set_clock(self.target, await self.body(request)))
        return json_response(actions.clock(self.target))

    async def data(self, request: Request) -> Response:
        api = request.path_params["api"]
        version = await load_over_http(self.target, api, request)
        return json_response({"status": "loaded", "api": api, "version": version})

    async def cassettes(self, request: Request) -> Response:
        if request.method == "PUT":
            limits = self.target.limits
            body = await read_body(request, limits.max_bytes, limits.timeout)
            loaded = await run_in_threadpool(actions.load_cassette, self.target, body)
            return json_response({"status": "loaded", **loaded})
        if request.method == "DELETE":
            return json_response({"cleared": actions.replays_of(self.target).clear()})
        return json_response(actions.replays_of(self.target).describe())

    async def scenarios(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.target.state.overrides.clear_scenarios()
        return json_response({"scenarios": actions.scenarios(self.target)})

    async def scenario(self, request: Request) -> Response:
        api, operation = request.path_params["api"], request.path_params["operation"]
        if request.method == "DELETE":
            return json_response({"cleared": actions.clear_scenario(self.target, api, operation)})
        scenario = actions.set_scenario(self.target, api, operation, await self.body(request))
        return json_response(scenario.as_dict())

    async def faults(self, request: Request) -> Response:
        if request.method == "PUT":
            actions.set_fault(self.target, await self.body(request))
        elif request.method == "DELETE":
            actions.clear_fault(self.target)
        return json_response(actions.faults(self.target))

    async def fault(self, request: Request) -> Response:
        api, operation = request.path_params["api"], request.path_params["operation"]
        if request.method == "PUT":
            fault = actions.set_fault(self.target, await self.body(request), api, operation)
        elif request.method == "DELETE":
            return json_response({"cleared": actions.clear_fault(self.target, api, operation)})
        else:
            fault = actions.fault_for(self.target, api, operation)
        return json_response(fault.as_dict())

    async def spec(self, request: Request) -> Response:
        runtime = actions.runtime_of(self.target, request.path_params["api"])
        fmt = request.path_params["format"]
        if fmt == "json":
            return json_response(runtime.spec.document)
        if fmt != "yaml":
            raise ControlError(f"no spec format {fmt!r}; use .yaml or .json", status=404)
        return Response(Path(runtime.spec.source).read_bytes(), media_type="application/yaml")

    async def index(self, request: Request, refusal: str | None = None) -> Response:
        page = index_page(self.target, request, token_required=self.token_required, refusal=refusal)
        return Response(page, media_type="text/html")


async def _refused(request: Request, exc: Exception) -> Response:
    """A ControlError; a lost shared state store (503: nothing was changed, the data plane still
    answers); Starlette's own 404 and 405."""
    if isinstance(exc, HTTPException):
        return json_response({"error": exc.detail}, exc.status_code)
    assert isinstance(exc, ControlError | StateUnavailable)
    return json_response(exc.as_dict(), exc.status if isinstance(exc, ControlError) else 503)


#: What a bug in the control plane answers (its traceback goes to the mock's log).
CRASH = Reply(500, json_bytes({"error": "internal error of the control API (see the mock's log)"}))


def control_app(api: ControlAPI) -> ASGIApp:
    op = "/{api}/{operation}"
    routes = [
        Route("/", api.index, methods=["GET"]),
        Route("/health", api.health, methods=["GET"]),
        Route("/requests", api.requests, methods=["GET", "DELETE"]),
        Route("/reset", api.reset, methods=["POST"]),
        Route("/clock", api.clock, methods=["GET", "PUT"]),
        Route("/data/{api}", api.data, methods=["PUT"]),
        Route("/cassettes", api.cassettes, methods=["GET", "PUT", "DELETE"]),
        Route("/scenarios", api.scenarios, methods=["GET", "DELETE"]),
        Route("/scenarios" + op, api.scenario, methods=["PUT", "DELETE"]),
        Route("/faults", api.faults, methods=["GET", "PUT", "DELETE"]),
        Route("/faults" + op, api.fault, methods=["GET", "PUT", "DELETE"]),
        Route("/specs/{api}.{format:str}", api.spec, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ControlError: _refused,
            StateUnavailable: _refused,
            HTTPException: _refused,
            Exception: crash_handler(lambda scope: CRASH),
        },
    )
    return ContainCrashes(app, lambda scope: CRASH)


#: The security headers as a response's ``headers=`` argument (the routes outside the mount).
_HEADERS = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


def control_routes(
    target: ControlTarget, token: str | None, origins: Sequence[str] = ()
) -> list[BaseRoute]:
    """The ``/__mockserver`` mount (and its bare path redirecting to the index page); browser
    pages of ``origins`` (``--control-origin``) may call it, with CORS; no page may frame it."""

    async def to_index(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=308, headers=_HEADERS)

    api = ControlAPI(target, token_required=token is not None)
    guard = ControlGuard(control_app(api), token, origins, refused_page=api.index)
    guarded = control_cors(guard, origins)
    return [
        Route(PREFIX, to_index, methods=["GET", "HEAD"]),
        Mount(PREFIX, app=NoFraming(guarded)),
    ]


def control_off_routes() -> list[BaseRoute]:
    """With ``--no-control``: only a 404 page at the console's address that says it is off."""

    async def control_off(request: Request) -> HTMLResponse:
        return HTMLResponse(CONTROL_OFF_PAGE, status_code=404, headers=_HEADERS)

    return [Route(path, control_off, methods=["GET", "HEAD"]) for path in (PREFIX, PREFIX + "/")]
