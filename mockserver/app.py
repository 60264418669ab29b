"""Assemble the mock from the specs: the served APIs, the path table, the control plane (a
small Starlette app, with the lifespan) beside the one request path, :meth:`MockApp.__call__`."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.config import CONFIG_ENV, ServeConfig, config_from_json
from mockserver.control import PREFIX
from mockserver.cors import ApiCors, exposed_headers, has_origin
from mockserver.crash import ContainCrashes, crash_handler
from mockserver.exchange import Exchange
from mockserver.generate.schema_faker import SchemaFaker
from mockserver.journal.masking import Masker
from mockserver.journal.recorder import ControlLog, Recorder
from mockserver.limits import LoadLimits
from mockserver.once import Once
from mockserver.pipeline import OperationPipeline
from mockserver.reality.replay import Replays
from mockserver.resources import bundled_dir
from mockserver.routing.endpoint import PathEndpoint, Recorded, wait_unless_gone
from mockserver.routing.table import PathTable, owner_of
from mockserver.runtime import ApiRuntime
from mockserver.serialize.reply import as_response, start_of
from mockserver.spec import load_spec
from mockserver.state.base import State
from mockserver.state.memory import open_state
from mockserver.state.values import Fault
from mockserver.vendors import vendor
from mockserver.vendors.interface import Reply, Vendor, VendorOptions

if TYPE_CHECKING:
    from mockserver.control.actions import ControlTarget


def build_runtime(
    chosen: Vendor, config: ServeConfig, state: State, clock: Callable[[], float]
) -> ApiRuntime:
    specs_dir = config.specs_dir or bundled_dir("specs")
    options = VendorOptions(
        windows=state.windows,
        writes=state.writes,
        seed=config.seed,
        fixtures_dir=config.fixtures_dir or bundled_dir("fixtures"),
        extra=config.vendor_options.get(chosen.name, {}),
        clock=clock,
        max_file_bytes=config.max_load_bytes,
    )
    return ApiRuntime(
        spec=load_spec(chosen.name, specs_dir / chosen.spec_file),
        vendor=chosen,
        options=options,
        seed_backend=chosen.build(options),
        faker=SchemaFaker(config.seed),
        validate_responses=config.validate_responses,
        strict_params=config.strict_params,
    )


def endpoints_for(runtime: ApiRuntime, state: State, recorded: Recorded) -> dict[str, PathEndpoint]:
    """Spec path -> its endpoint, one pipeline per operation."""
    by_path: dict[str, dict[str, OperationPipeline]] = {}
    for operation in runtime.spec.operations:
        pipeline = OperationPipeline(runtime, operation, state.overrides)
        by_path.setdefault(operation.path, {})[operation.method] = pipeline
    return {
        path: PathEndpoint(pipelines, runtime.dialect, state.overrides, recorded)
        for path, pipelines in by_path.items()
    }


#: Journaled when the client leaves before its answer (as nginx logs it): no answer was sent.
CLIENT_GONE = 499


class DialectErrors:
    """Starlette's HTTP errors and crashes, answered in the dialect of the path's owner."""

    def __init__(self, owner: Callable[[str], ApiRuntime]) -> None:
        self.owner = owner

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        dialect = self.owner(request.url.path).dialect
        if exc.status_code == 405:
            allowed = [m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m]
            reply = dialect.method_not_allowed(sorted(allowed))
        elif exc.status_code == 404:
            reply = dialect.not_found()
        else:
            reply = dialect.error(exc.status_code, str(exc.detail))
        return as_response(reply)

    def crash(self, scope: Scope) -> Reply:
        return self.owner(scope["path"]).dialect.error(500, "Internal Server Error")


class MockApp:
    """The mock's ASGI app, and the parts tests and the pytest fixture reach for."""

    def __init__(
        self,
        runtimes: Mapping[str, ApiRuntime],
        state: State,
        table: PathTable[PathEndpoint],
        recorder: Recorder,
        control: Once[ControlTarget],
        plane: ASGIApp,
        owner: Callable[[str], ApiRuntime],
        cors: ApiCors | None,
        replays: Replays,
    ) -> None:
        self.runtimes = runtimes
        self.state = state
        self.table = table
        self.recorder = recorder
        self._control = control
        #: ``/__mockserver`` and the lifespan (:class:`ControlPlane`), logged but never journaled.
        self.plane = plane
        self.owner = owner
        self.cors = cors
        self.replays = replays
        self._control_dir = PREFIX + "/"

    @property
    def control(self) -> ControlTarget:
        """What the control plane acts on (built on first use)."""
        return self._control.get()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The one request path: exchange -> route -> (reply, delay) -> wait -> CORS ->
        journal -> send."""
        found = self.table.match(scope["path"]) if scope["type"] == "http" else None
        if found is None and (scope["type"] != "http" or self.is_control(scope["path"])):
            await self.plane(scope, receive, send)
            return
        exchange = Exchange(scope, time.perf_counter())
        received = found is None or not found[0].waits or await found[0].ready(exchange, receive)
        reply, delay = self.answer(exchange, found) if received else (None, 0.0)
        if reply is None or (delay and not await wait_unless_gone(delay, receive)):
            self.recorder.record(exchange, CLIENT_GONE)
            return
        start = start_of(reply)
        if self.cors is not None:
            if has_origin(scope):
                await self.cors.on_origin(scope, start)
            else:
                self.cors.vary(start)
        self.recorder.record(exchange, reply.status)  # never waits: reads wait for records
        await send(start)
        body = b"" if scope["method"] == "HEAD" else reply.body
        await send({"type": "http.response.body", "body": body})

    def is_control(self, path: str) -> bool:
        return path == PREFIX or path.startswith(self._control_dir)

    def answer(
        self, exchange: Exchange, found: tuple[PathEndpoint, dict[str, str]] | None
    ) -> tuple[Reply, float]:
        """``(reply, delay)``: a CORS preflight's, the matched spec path's (``found``), or a 404
        in the dialect of the API the path resembles."""
        scope = exchange.scope
        if self.cors is not None and scope["method"] == "OPTIONS":
            preflight = self.cors.preflight(scope)
            if preflight is not None:
                return preflight, 0.0
        if found is None:
            return self.owner(scope["path"]).dialect.not_found(), 0.0
        endpoint, exchange.path_params = found
        return endpoint.answer(exchange)


def build_app(
    config: ServeConfig,
    *,
    state: State | None = None,
    clock: Callable[[], float] = time.time,
    vendors: Mapping[str, Vendor] | None = None,
) -> MockApp:
    """The mock for ``config``; ``state`` defaults to the config's, ``clock`` is the time
    rate-limit windows count in, ``vendors`` replace registered ones by API."""
    state = state or open_state(
        config.state_url,
        prefix=config.state_prefix,
        journal_size=config.journal_size,
        seed=config.seed,
        base_fault=Fault(config.latency_ms, config.error_rate),
    )
    chosen = {api: (vendors or {}).get(api) or vendor(api) for api in config.apis}
    runtimes = {api: build_runtime(chosen[api], config, state, clock) for api in config.apis}
    specs = [runtime.spec for runtime in runtimes.values()]
    masker = Masker.for_specs(specs)
    replays = Replays(runtimes, masker, config.replay)
    endpoints = {api: endpoints_for(runtime, state, replays) for api, runtime in runtimes.items()}
    table = PathTable.merge(endpoints)
    candidates = [(runtime.spec.paths, runtime) for runtime in runtimes.values()]

    def owner(path: str) -> ApiRuntime:
        return owner_of(path, candidates)

    recorder = Recorder(
        state.journal, masker, lambda path: owner(path).name, config.journal_entry_bytes
    )
    responders = {
        pipeline.key: pipeline.responder
        for by_path in endpoints.values()
        for endpoint in by_path.values()
        for pipeline in endpoint.pipelines.values()
    }
    state.attach(runtimes, masker)

    def target() -> ControlTarget:
        from mockserver.control.actions import ControlTarget

        limits = LoadLimits(config.max_load_bytes, config.load_timeout)
        return ControlTarget(
            runtimes,
            responders,
            state,
            masker,
            config.seed,
            replays,
            limits=limits,
            proxy_upstream=config.proxy_upstream,
        )

    control = Once(target)
    errors = DialectErrors(owner)
    plane = ControlPlane(
        Router(lifespan=state.lifespan),
        lambda: ControlLog(
            ContainCrashes(control_app(config, control, errors), errors.crash), recorder
        ),
    )
    cors = ApiCors(config.cors_origins, exposed_headers(specs)) if config.cors_origins else None
    return MockApp(runtimes, state, table, recorder, control, plane, owner, cors, replays)


class ControlPlane:
    """``/__mockserver`` and the lifespan. The control plane is built, its modules imported, on
    its first request: start-up and the API answers do without it (issue 25)."""

    def __init__(self, lifespan: ASGIApp, build: Callable[[], ASGIApp]) -> None:
        self.lifespan = lifespan
        self.app = Once(build)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.lifespan if scope["type"] == "lifespan" else self.app.get()
        await app(scope, receive, send)


def control_app(
    config: ServeConfig, control: Once[ControlTarget], errors: DialectErrors
) -> ASGIApp:
    """The control plane's Starlette app (with ``--no-control``, a page that says it is off)."""
    from starlette.applications import Starlette

    from mockserver.control.api import control_off_routes, control_routes

    app = Starlette(
        routes=(
            control_routes(control.get(), config.control_token, config.control_origins)
            if config.control
            else control_off_routes()
        ),
        exception_handlers={
            HTTPException: errors.http_error,
            Exception: crash_handler(errors.crash),
        },
    )
    app.router.redirect_slashes = False
    return app


def create_app_from_env() -> MockApp:
    """App factory of each ``serve --workers N`` process: the config comes as JSON in the env
    (uvicorn has applied the logging config already)."""
    from mockserver.server import GuardedHttpTools, connection_limits

    config = config_from_json(os.environ[CONFIG_ENV])
    app = build_app(config)
    # uvicorn was handed the protocol class by name: this worker's limits, before it serves.
    GuardedHttpTools.limits = connection_limits(config, raise_descriptors=True)
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """The start-up data lives as long as the process: out of every full GC pass (one over the
    default world paused the event loop ~35 ms; frozen, ~3 ms). No collection first: start-up
    leaves no garbage cycles (measured: 0 found)."""
    gc.freeze()
