"""The endpoint of one spec path: dispatch by method, draw faults, never let an exception out."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from mockserver.errors import ConformanceError
from mockserver.journal.record import OPERATION_KEY, SOURCE_KEY, WARNINGS_KEY
from mockserver.params.body import BODY_KEY, receive_body
from mockserver.params.unknown import warning_headers
from mockserver.pipeline import OperationPipeline
from mockserver.serialize.reply import send_reply
from mockserver.state.base import OverrideStore
from mockserver.vendors.interface import ErrorDialect, Reply

if TYPE_CHECKING:
    from mockserver.reality.replay import Replays

log = logging.getLogger("mockserver")


async def sleep_at_least(seconds: float) -> None:
    """``asyncio.sleep`` that never ends early: uvloop rounds timers to whole milliseconds on a
    cached clock, so ``sleep(0.0404)`` can return after 39.5 ms; an injected latency is a floor."""
    deadline = time.perf_counter() + seconds
    while (left := deadline - time.perf_counter()) > 0:
        await asyncio.sleep(max(left, 0.001))


class _NoReplays:
    """Stands in for the replays of an app built without them."""

    active = False

    def match(self, api: str, scope: Scope) -> Reply | None:
        return None


class PathEndpoint:
    """One spec path and its operations by method (``HEAD`` answers like ``GET``)."""

    def __init__(
        self,
        pipelines: dict[str, OperationPipeline],
        dialect: ErrorDialect,
        overrides: OverrideStore,
        replays: Replays | None = None,
    ) -> None:
        self.pipelines = {**pipelines}
        if "GET" in pipelines:
            self.pipelines.setdefault("HEAD", pipelines["GET"])
        self.dialect = dialect
        self.overrides = overrides
        #: Recorded answers (``serve --replay``): one attribute check when none is loaded.
        self.replays: Replays | _NoReplays = replays if replays is not None else _NoReplays()
        self.not_allowed = dialect.method_not_allowed(sorted(self.pipelines))
        #: Whether any operation of the path reads a JSON body (one attribute check if none).
        self.reads_body = any(p.body is not None for p in self.pipelines.values())

    async def receive(self, scope: Scope, receive: Receive) -> None:
        """Read the request's body into the scope when its operation declares a JSON body
        (bounded: past the limit, the pipeline answers 413)."""
        if self.reads_body:
            pipeline = self.pipelines.get(scope["method"])
            if pipeline is not None and pipeline.body is not None:
                scope[BODY_KEY] = await receive_body(receive, pipeline.body_limit)

    def answer(self, scope: Scope) -> tuple[Reply, float]:
        """``(reply, delay in seconds)``: the operation's answer, or a fault's."""
        pipeline = self.pipelines.get(scope["method"])
        if pipeline is None:
            return self.not_allowed, 0.0
        scope[OPERATION_KEY] = pipeline.key
        delay = 0.0
        if self.overrides.faulty:
            delay, status = self.overrides.draw(pipeline.key, pipeline.responder.error_statuses)
            if status is not None:
                return pipeline.fault(scope, status), delay
        try:
            if self.replays.active:
                recorded = self.replays.match(pipeline.key[0], scope)
                if recorded is not None:
                    scope[SOURCE_KEY] = "replay"
                    return recorded, delay
            return pipeline.answer(scope), delay
        except ConformanceError as violation:
            log.error("response violates the spec: %s", violation)
            reply = self.dialect.error(500, f"mock response violates the spec: {violation}")
            reply = reply.with_headers(("x-mockserver-violation", "response"))
        except Exception:
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            reply = self.dialect.error(500, "Internal Server Error")
        # The request's warnings (noted before the answer failed) still reach the client.
        return reply.with_headers(*warning_headers(scope.get(WARNINGS_KEY, ()))), delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.receive(scope, receive)
        reply, delay = self.answer(scope)
        if delay:
            await sleep_at_least(delay)
        await send_reply(send, reply, head=scope["method"] == "HEAD")
