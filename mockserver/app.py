"""Assemble one Starlette app from the specs: a route per path, errors in each API's dialect."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import os
import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.behaviour.contract import Reply, VendorOptions
from mockserver.config import CONFIG_ENV, LOG_FORMAT, LOG_LEVEL_ENV, ServeConfig, config_from_json
from mockserver.conformance import ConformanceError
from mockserver.control import control_middleware, control_routes, masker_for
from mockserver.generate import SchemaFaker
from mockserver.journal import OPERATION_KEY, Journal
from mockserver.pipeline import OperationPipeline
from mockserver.resources import bundled_dir
from mockserver.routing import owner_of
from mockserver.runtime import ApiRuntime
from mockserver.scenarios import Fault, ScenarioStore
from mockserver.spec import load_spec
from mockserver.vendors import vendor

log = logging.getLogger("mockserver")


@functools.lru_cache(maxsize=64)
def content_type(media_type: str) -> tuple[bytes, bytes]:
    """The ``content-type`` header of a media type, encoded once per media type."""
    if media_type.startswith("text/") and "charset" not in media_type:
        media_type += "; charset=utf-8"
    return (b"content-type", media_type.encode())


def reply_headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-length", str(len(reply.body)).encode())]
    if reply.media_type:
        headers.append(content_type(reply.media_type))
    if reply.headers:
        headers += [(k.lower().encode(), v.encode("latin-1")) for k, v in reply.headers]
    return headers


async def sleep_at_least(seconds: float) -> None:
    """``asyncio.sleep`` that never ends early: uvloop rounds timers to whole milliseconds on a
    cached clock, so ``sleep(0.0404)`` can return after 39.5 ms; an injected latency is a floor."""
    deadline = time.perf_counter() + seconds
    while (left := deadline - time.perf_counter()) > 0:
        await asyncio.sleep(max(left, 0.001))


async def send_reply(send: Any, reply: Reply, *, head: bool = False) -> None:
    await send(
        {"type": "http.response.start", "status": reply.status, "headers": reply_headers(reply)}
    )
    await send({"type": "http.response.body", "body": b"" if head else reply.body})


class PathEndpoint:
    """The ASGI endpoint of one spec path: dispatch by method, never let an exception escape."""

    def __init__(self, runtime: ApiRuntime, pipelines: dict[str, OperationPipeline]) -> None:
        self.runtime = runtime
        self.pipelines = pipelines

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        method = scope["method"]
        pipeline = self.pipelines["GET" if method == "HEAD" else method]
        scope[OPERATION_KEY] = pipeline.key
        delay, reply = 0.0, None
        if pipeline.controls.faulty:
            delay, status = pipeline.controls.draw(pipeline.key, pipeline.responder.error_statuses)
            if status is not None:
                reply = pipeline.responder.static(status)
        try:
            if reply is None:
                reply = pipeline.answer(scope)
        except ConformanceError as violation:
            log.error("response violates the spec: %s", violation)
            reply = self.runtime.dialect.error(500, f"mock response violates the spec: {violation}")
            reply = reply.with_headers(("x-mockserver-violation", "response"))
        except Exception:
            log.exception("unexpected error answering %s %s", method, scope.get("path"))
            reply = self.runtime.dialect.error(500, "Internal Server Error")
        if delay:
            await sleep_at_least(delay)
        await send_reply(send, reply, head=method == "HEAD")


def build_runtime(api: str, config: ServeConfig) -> ApiRuntime:
    chosen = vendor(api)
    specs_dir = config.specs_dir or bundled_dir("specs")
    options = VendorOptions(
        seed=config.seed,
        fixtures_dir=config.fixtures_dir or bundled_dir("fixtures"),
        extra=config.vendor_options.get(api, {}),
    )
    runtime = ApiRuntime(
        spec=load_spec(api, specs_dir / chosen.spec_file),
        vendor=chosen,
        options=options,
        backend=chosen.build(options),
        faker=SchemaFaker(config.seed),
        validate_responses=config.validate_responses,
    )
    runtime.verify(runtime.backend)
    return runtime


def routes_for(runtime: ApiRuntime, controls: ScenarioStore | None = None) -> list[Route]:
    by_path: dict[str, dict[str, OperationPipeline]] = {}
    for operation in runtime.spec.operations:
        pipeline = OperationPipeline(runtime, operation, controls)
        by_path.setdefault(operation.path, {})[operation.method] = pipeline
    return [
        Route(path, PathEndpoint(runtime, pipelines), methods=list(pipelines))
        for path, pipelines in by_path.items()
    ]


class MockServer:
    """The served APIs and the Starlette app answering them."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.runtimes = {api: build_runtime(api, config) for api in config.apis}
        #: The data built at start-up: what ``/__mockserver/reset`` brings back.
        self.seed_backends = {api: rt.backend for api, rt in self.runtimes.items()}
        self.journal = Journal(config.journal_size, masker_for(self))
        self.controls = ScenarioStore(config.seed, Fault(config.latency_ms, config.error_rate))
        routes = [route for rt in self.runtimes.values() for route in routes_for(rt, self.controls)]
        self._owners = [(rt.spec.paths, rt) for rt in self.runtimes.values()]
        #: (api, operationId) -> its pipeline, for the control plane.
        self.pipelines = {p.key: p for r in routes for p in r.app.pipelines.values()}
        self.app = Starlette(
            routes=routes + control_routes(self),
            middleware=control_middleware(self),
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
        )
        self.app.router.redirect_slashes = False
        self.app.state.mockserver = self

    def owner(self, path: str) -> ApiRuntime:
        return owner_of(path, self._owners)

    def _to_response(self, reply: Reply) -> Response:
        return Response(
            reply.body,
            status_code=reply.status,
            media_type=reply.media_type,
            headers=dict(reply.headers),
        )

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        dialect = self.owner(request.url.path).dialect
        if exc.status_code == 405:
            allowed = [m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m]
            reply = dialect.method_not_allowed(allowed)
        elif exc.status_code == 404:
            reply = dialect.not_found()
        else:
            reply = dialect.error(exc.status_code, str(exc.detail))
        return self._to_response(reply)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        log.error(
            "unexpected error answering %s %s", request.method, request.url.path, exc_info=exc
        )
        return self._to_response(
            self.owner(request.url.path).dialect.error(500, "Internal Server Error")
        )


def create_app(config: ServeConfig | None = None) -> Starlette:
    return MockServer(config or ServeConfig()).app


def create_app_from_env() -> Starlette:
    """App factory of each ``serve --workers N`` process: the config comes as JSON in the env."""
    level = os.environ.get(LOG_LEVEL_ENV)
    if level:
        logging.basicConfig(level=level.upper(), format=LOG_FORMAT)
    app = create_app(config_from_json(os.environ[CONFIG_ENV]))
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """The start-up data lives as long as the process: keep it out of every full GC pass
    (a full collection over the default world paused the event loop ~35 ms; frozen, ~3 ms)."""
    gc.collect()
    gc.freeze()
