"""``mockserver proxy``: forward an app's requests to the real deployment unchanged and judge
both sides against the bundled spec (docs/REALITY.md, ``mockserver proxy``)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.conformance.validator import Violation
from mockserver.crash import ContainCrashes
from mockserver.exchange import Exchange, first_values
from mockserver.journal.masking import Masker, Redactor, mask_text
from mockserver.journal.recorder import Recorder
from mockserver.limits import body_limit
from mockserver.params.body import receive_body
from mockserver.reality.cassette import Recording
from mockserver.reality.checks import ApiChecks, shown
from mockserver.reality.forward import Upstream, UpstreamAnswer, UpstreamFailure
from mockserver.reality.headers import as_text, decoded_body, end_to_end
from mockserver.reality.options import ProxyOptions
from mockserver.serialize.reply import send_reply
from mockserver.spec.model import Operation
from mockserver.vendors.interface import ErrorDialect, Reply

if TYPE_CHECKING:
    from mockserver.app import MockApp
    from mockserver.reality.replay import Replays

log = logging.getLogger("mockserver.proxy")

VIOLATION_HEADER = b"x-mockserver-violation"
#: Violation headers on one answer at most (the journal keeps them all).
MAX_VIOLATION_HEADERS = 20
MAX_HEADER_VALUE = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def header_value(text: str) -> bytes:
    """A violation as a header value: one line, latin-1, bounded."""
    line = _CONTROL.sub(" ", text)
    if len(line) > MAX_HEADER_VALUE:
        line = line[: MAX_HEADER_VALUE - 3] + "..."
    return line.encode("latin-1", "replace")


@dataclass(eq=False)
class ProxyApp:
    """The proxy's ASGI app: ``/__mockserver`` to ``control``, everything else upstream."""

    api: str
    upstream: Upstream
    checks: ApiChecks
    control: ASGIApp
    is_control: Callable[[str], bool]  # the mock's test
    recorder: Recorder
    masker: Masker
    dialect: ErrorDialect
    recording: Recording | None = None
    #: A cassette loaded through the control API answers before the upstream is asked.
    replays: Replays | None = None

    def __post_init__(self) -> None:
        self._exchange = ContainCrashes(self.exchange, self._crash)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "http" and not self.is_control(scope["path"]):
            await self._exchange(scope, receive, send)
        else:
            await self.control(scope, receive, send)

    async def exchange(self, scope: Scope, receive: Receive, send: Send) -> None:
        noted = Exchange(scope, time.perf_counter(), source="proxy")
        method: str = scope["method"]
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        headers = first_values(scope["headers"])
        preflight = method == "OPTIONS" and "access-control-request-method" in headers
        route = None if preflight else self.checks.route(method, path)
        operation = route.operation if route is not None else None
        limit = body_limit(operation.max_body if operation is not None else None)  # the mock's
        body = await receive_body(receive, limit)
        if body is None:  # the client left first: a cut write must not reach the upstream
            return
        if not isinstance(body, bytes):  # past the limit
            message = f"request body larger than {limit} bytes"
            await self._answer(noted, send, self.dialect.error(413, message, "body"))
            return
        noted.body = body  # the journal keeps it (masked when read)
        found: list[Violation] = []
        unknown: tuple[str, ...] = ()
        if not preflight:
            found, unknown = self.checks.request_violations(
                method, path, route, query, headers, body
            )
        if operation is not None:
            noted.operation = (self.api, operation.operation_id)
            if self.replays is not None and self.replays.active:
                recorded = self.replays.match(self.api, scope, body)
                if recorded is not None:
                    noted.source = "replay"
                    self._note(noted, recorded.status, found, unknown)
                    await self._answer(noted, send, recorded)
                    return
        raw_path = scope.get("raw_path") or path.encode()
        try:
            answer = await self.upstream.send(method, raw_path, query, scope["headers"], body)
        except UpstreamFailure as failure:
            message = f"upstream {failure.kind}: {failure.detail}"
            reply = self.dialect.error(failure.status, message)
            self._note(noted, reply.status, found)
            noted.warnings = (message, *noted.warnings)
            target, upstream = self.masker.target(scope), self.upstream.base_url
            log.error("%s %s -> %d: %s (%s)", method, target, reply.status, message, upstream)
            await self._answer(noted, send, reply)
            return
        if operation is not None:
            found += self._answer_violations(operation, method, answer)
        secrets = self._secrets(scope) if found or self.recording else ()
        breaking, lines = self._note(noted, answer.status, found, unknown, secrets)
        out = end_to_end(answer.headers)
        if _has_body(method, answer.status) and not any(n == b"content-length" for n, _ in out):
            out.append((b"content-length", str(len(answer.body)).encode()))
        out += [(VIOLATION_HEADER, header_value(line)) for line in lines[:MAX_VIOLATION_HEADERS]]
        self.recorder.record(noted, answer.status)
        if self.recording is not None:  # before answering: whoever has the answer finds its line
            label = f"{method} {self.masker.target(scope)} -> {answer.status} not recorded"
            if operation is None:
                log.warning("%s: no operation of the spec", label)
            elif any(v.where != "request" for v in breaking):
                log.warning("%s: the answer violates the spec", label)
            else:
                self.recording.record(self.api, operation, scope, body, answer, secrets)
        await send({"type": "http.response.start", "status": answer.status, "headers": out})
        await send({"type": "http.response.body", "body": answer.body})

    def _answer_violations(
        self, operation: Operation, method: str, answer: UpstreamAnswer
    ) -> list[Violation]:
        headers = as_text(answer.headers)
        body = decoded_body(headers, answer.body)
        if body is None:
            return [Violation("body", "", "its Content-Encoding cannot be decoded")]
        return self.checks.response_violations(
            operation, answer.status, headers, body, head=method == "HEAD"
        )

    async def _answer(self, noted: Exchange, send: Send, reply: Reply) -> None:
        self.recorder.record(noted, reply.status)
        await send_reply(send, reply, head=noted.scope["method"] == "HEAD")

    def _note(
        self,
        noted: Exchange,
        status: int,
        found: list[Violation],
        unknown: tuple[str, ...] = (),
        secrets: tuple[str, ...] | None = None,
    ) -> tuple[list[Violation], list[str]]:
        """Violations and warnings into the journal entry and the log, secrets masked; returns
        the breaking violations and their lines (for the answer's headers)."""
        if secrets is None:
            secrets = self._secrets(noted.scope) if found else ()
        breaking = [v for v in found if v.breaking]
        lines = [mask_text(shown(v), secrets) for v in breaking]
        changes = [mask_text(shown(v), secrets) for v in found if not v.breaking]
        noted.violations = tuple(
            {**v.as_dict(), "message": mask_text(v.message, secrets)} for v in breaking
        )
        noted.warnings = (*unknown, *(f"additive change: {change}" for change in changes))
        if lines or changes:
            scope = noted.scope
            request = f"{scope['method']} {self.masker.target(scope)} -> {status}"
            for line in lines:
                log.warning("%s violates the %s spec: %s", request, self.api, line)
            for change in changes:
                log.info("%s: additive change (tolerated): %s", request, change)
        return breaking, lines

    def _secrets(self, scope: Scope) -> tuple[str, ...]:
        return self.masker.secrets(scope["headers"], scope["query_string"].decode("latin-1"))

    def _crash(self, scope: Scope) -> Reply:
        return self.dialect.error(500, "Internal Server Error (the proxy's; see its log)")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        await self.upstream.aclose()
        if self.recording is not None:
            self.recording.close()


def _has_body(method: str, status: int) -> bool:
    """May this answer carry a body (RFC 9110 6.4.1)? Else no framing header is made up."""
    return method != "HEAD" and status >= 200 and status not in (204, 304)


def build_proxy(options: ProxyOptions, plane: MockApp) -> ProxyApp:
    """The proxy for ``options`` with the control plane, journal and masker of ``plane``."""
    runtime = plane.runtimes[options.api]
    masker = plane.control.masker
    recording = None
    if options.record is not None:
        recording = Recording(
            options.record,
            masker,
            Redactor(options.redact, options.seed),
            runtime.vendor.credential.header,
        )
    return ProxyApp(
        api=options.api,
        upstream=Upstream(options.upstream, options.upstream_timeout),
        checks=ApiChecks(runtime),
        control=plane.plane,
        is_control=plane.is_control,
        recorder=plane.recorder,
        masker=masker,
        dialect=runtime.dialect,
        recording=recording,
        replays=plane.control.replays,
    )
