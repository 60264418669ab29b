"""The endpoint of one spec path: dispatch by method, draw faults, never let an exception out."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from starlette.types import Receive, Scope

from mockserver.errors import ConformanceError
from mockserver.exchange import Exchange
from mockserver.params.body import receive_body
from mockserver.params.unknown import warning_headers
from mockserver.pipeline import OperationPipeline
from mockserver.state.base import OverrideStore
from mockserver.vendors.interface import ErrorDialect, Reply

log = logging.getLogger("mockserver")

#: An exchange's ``source`` when a recorded answer was replayed.
REPLAY = "replay"


class Recorded(Protocol):
    """Answers recorded earlier (``serve --replay``), matched after the faults, before the
    pipeline."""

    active: bool

    def match(self, api: str, scope: Scope, body: object = None) -> Reply | None: ...


class PathEndpoint:
    """One spec path and its operations by method (``HEAD`` answers like ``GET``)."""

    def __init__(
        self,
        pipelines: dict[str, OperationPipeline],
        dialect: ErrorDialect,
        overrides: OverrideStore,
        recorded: Recorded,
    ) -> None:
        self.pipelines = {**pipelines}
        if "GET" in pipelines:
            self.pipelines.setdefault("HEAD", pipelines["GET"])
        self.dialect = dialect
        self.overrides = overrides
        self.recorded = recorded
        self.not_allowed = dialect.method_not_allowed(sorted(self.pipelines))
        #: Whether an operation of the path waits for its JSON body or the write log to settle.
        self.waits = any(p.body is not None or p.settles for p in self.pipelines.values())

    async def ready(self, exchange: Exchange, receive: Receive) -> bool:
        """Read the request's JSON body into ``exchange.body`` (bounded), then settle the write
        log if the answer must show every write acknowledged before it; ``False`` when the
        client left before sending all of its body."""
        pipeline = self.pipelines.get(exchange.scope["method"])
        if pipeline is None:
            return True
        if pipeline.body is not None:
            exchange.body = await receive_body(receive, pipeline.body_limit)
            if exchange.body is None:
                return False
        if pipeline.settles:
            await pipeline.writes.settle()
        return True

    def answer(self, exchange: Exchange) -> tuple[Reply, float]:
        """``(reply, delay in seconds)``: the operation's answer, or a fault's."""
        scope = exchange.scope
        pipeline = self.pipelines.get(scope["method"])
        if pipeline is None:
            return self.not_allowed, 0.0
        exchange.operation = pipeline.key
        delay = 0.0
        if self.overrides.faulty:
            delay, status = self.overrides.draw(pipeline.key, pipeline.responder.error_statuses)
            if status is not None:
                return pipeline.fault(exchange, status), delay
        try:
            if self.recorded.active:
                recorded = self.recorded.match(pipeline.key[0], scope, exchange.body)
                if recorded is not None:
                    exchange.source = REPLAY
                    return recorded, delay
            return pipeline.answer(exchange), delay
        except ConformanceError as violation:
            log.error("response violates the spec: %s", violation)
            reply = self.dialect.error(500, f"mock response violates the spec: {violation}")
            reply = reply.with_headers(("x-mockserver-violation", "response"))
        except Exception:
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            reply = self.dialect.error(500, "Internal Server Error")
        # The request's warnings (noted before the answer failed) still reach the client.
        return reply.with_headers(*warning_headers(exchange.warnings)), delay


async def wait_unless_gone(seconds: float, receive: Receive) -> bool:
    """Wait ``seconds`` (a floor: uvloop rounds timers to whole milliseconds on a cached clock,
    so ``sleep(0.0404)`` can return after 39.5 ms); ``False`` as soon as the client leaves."""
    gone = asyncio.ensure_future(_disconnect(receive))
    try:
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            await asyncio.wait((gone,), timeout=max(left, 0.001))
            if gone.done():
                return False
        return True
    finally:
        gone.cancel()


async def _disconnect(receive: Receive) -> None:
    """Returns when the client has left (the request's body, if any, is read and dropped)."""
    while (await receive())["type"] != "http.disconnect":
        pass
