"""``mockserver proxy``: forward an app's requests to the real deployment and judge both sides.

Every request outside ``/__mockserver`` goes to the upstream as it came (method, path, query
bytes, end-to-end headers, body - read whole within the mock's own request-body bound, else 413
in the API's dialect; ``Host`` rewritten) and the upstream's answer comes back unchanged. Both
are judged against the bundled spec (``checks``: the request's parameters and JSON body, the
answer); the body is kept in the journal entry (masked when read). Each breaking violation goes
to the exchange's journal entry, to one log line and to an ``x-mockserver-violation`` answer
header; additive changes (the consumer-tolerant mode) are journal warnings and INFO lines. A CORS
preflight is forwarded but not judged: it is the browser's question, not an API call.
No answer from the upstream in time -> 502/504 in the API's dialect. With ``--record`` each
exchange the spec allows is appended to a cassette. A cassette loaded through the control API
(``PUT /__mockserver/cassettes``) answers the requests it holds without asking the upstream.

The control plane (journal, health, console) is the mock's own: the proxy is handed the
:class:`~mockserver.app.MockApp` of the proxied API and passes ``/__mockserver`` to it.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.conformance.validator import Violation
from mockserver.control.index import PROXY_KEY
from mockserver.control.mount import PREFIX
from mockserver.crash import ContainCrashes
from mockserver.exchange import Exchange
from mockserver.journal.masking import Masker, Redactor, log_safe, mask_text
from mockserver.journal.recorder import Recorder
from mockserver.limits import MAX_REQUEST_BODY
from mockserver.params.body import receive_body
from mockserver.reality.cassette import CassetteWriter
from mockserver.reality.checks import ApiChecks, shown, split
from mockserver.reality.forward import Upstream, UpstreamAnswer, UpstreamFailure
from mockserver.reality.headers import as_text, decoded_body, end_to_end, first_values
from mockserver.reality.options import ProxyOptions
from mockserver.reality.recording import Recording
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


class ProxyApp:
    """The proxy's ASGI app: ``/__mockserver`` to ``control``, everything else upstream."""

    def __init__(
        self,
        api: str,
        upstream: Upstream,
        checks: ApiChecks,
        control: ASGIApp,
        recorder: Recorder,
        masker: Masker,
        dialect: ErrorDialect,
        recording: Recording | None = None,
        replays: Replays | None = None,
        body_limit: int = MAX_REQUEST_BODY,
    ) -> None:
        self.api = api
        self.upstream = upstream
        self.checks = checks
        self.control = control
        self.recorder = recorder
        self.masker = masker
        self.dialect = dialect
        self.recording = recording
        #: A cassette loaded through the control API answers before the upstream is asked.
        self.replays = replays
        #: The largest request body forwarded (the mock's own bound; past it, 413).
        self.body_limit = body_limit
        self._exchange = ContainCrashes(self.exchange, self._crash)
        self._control_dir = PREFIX + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "http" and not (
            scope["path"] == PREFIX or scope["path"].startswith(self._control_dir)
        ):
            await self._exchange(scope, receive, send)
        else:
            scope[PROXY_KEY] = self.upstream.base_url
            await self.control(scope, receive, send)

    # -- one exchange -------------------------------------------------------------------------
    async def exchange(self, scope: Scope, receive: Receive, send: Send) -> None:
        noted = Exchange(scope, time.perf_counter(), source="proxy")
        method: str = scope["method"]
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        headers = scope["headers"]
        # A client that leaves before its body is complete has nothing forwarded: a cut write
        # must not reach the upstream.
        body = await receive_body(receive, self.body_limit)
        if body is None:
            return
        if not isinstance(body, bytes):  # past the limit
            message = f"request body larger than {self.body_limit} bytes"
            reply = self.dialect.error(413, message, "body")
            self.recorder.record(noted, reply.status)
            await send_reply(send, reply)
            return
        noted.body = body  # the journal keeps it (masked when read)
        text_headers = first_values(headers)
        preflight = method == "OPTIONS" and "access-control-request-method" in text_headers
        route = None if preflight else self.checks.route(method, path)
        operation = route.operation if route is not None else None
        if operation is not None:
            noted.operation = (self.api, operation.operation_id)
        found = (
            []
            if preflight
            else self.checks.request_violations(method, path, route, query, text_headers, body)
        )
        unknown = self.checks.unknown_query(route, query)
        if self.replays is not None and self.replays.active and operation is not None:
            recorded = self.replays.match(self.api, scope, body)
            if recorded is not None:
                noted.source = "replay"
                self._note(
                    noted, recorded.status, found, self._secrets(scope) if found else (), unknown
                )
                self.recorder.record(noted, recorded.status)
                await send_reply(send, recorded, head=method == "HEAD")
                return
        try:
            answer = await self.upstream.send(
                method, scope.get("raw_path") or path.encode(), query, headers, body
            )
        except UpstreamFailure as failure:
            await self._failed(noted, send, failure, found)
            return
        if operation is not None:
            found += self._answer_violations(operation, method, answer)
        secrets = self._secrets(scope) if found or self.recording else ()
        breaking, lines = self._note(noted, answer.status, found, secrets, unknown)
        out = end_to_end(answer.headers)
        if _has_body(method, answer.status) and not any(n == b"content-length" for n, _ in out):
            out.append((b"content-length", str(len(answer.body)).encode()))
        out += [(VIOLATION_HEADER, header_value(line)) for line in lines[:MAX_VIOLATION_HEADERS]]
        self.recorder.record(noted, answer.status)
        await send({"type": "http.response.start", "status": answer.status, "headers": out})
        await send({"type": "http.response.body", "body": answer.body})
        if self.recording is not None:
            self._record(scope, operation, body, answer, breaking, secrets)

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

    async def _failed(
        self, noted: Exchange, send: Send, failure: UpstreamFailure, found: list[Violation]
    ) -> None:
        """No usable answer: 502/504 in the API's dialect, logged and journaled."""
        scope = noted.scope
        message = f"upstream {failure.kind}: {failure.detail}"
        reply = self.dialect.error(failure.status, message)
        self._note(noted, reply.status, found, self._secrets(scope) if found else ())
        noted.warnings = (message, *noted.warnings)
        log.error(
            "%s %s -> %d: %s (%s)",
            scope["method"],
            self._target(scope),
            reply.status,
            message,
            self.upstream.base_url,
        )
        self.recorder.record(noted, reply.status)
        await send_reply(send, reply, head=scope["method"] == "HEAD")

    def _record(
        self,
        scope: Scope,
        operation: Operation | None,
        body: bytes,
        answer: UpstreamAnswer,
        breaking: list[Violation],
        secrets: tuple[str, ...],
    ) -> None:
        assert self.recording is not None
        label = f"{scope['method']} {self._target(scope)}"
        if operation is None:
            log.warning("%s -> %d not recorded: no operation of the spec", label, answer.status)
            return
        if any(v.where != "request" for v in breaking):
            log.warning("%s -> %d not recorded: the answer violates the spec", label, answer.status)
            return
        exchange = self.recording.exchange(
            self.api,
            operation,
            scope["method"],
            scope["path"],
            scope["query_string"],
            scope["headers"],
            body,
            answer,
            secrets,
        )
        self.recording.write(exchange)

    # -- helpers ------------------------------------------------------------------------------
    def _note(
        self,
        noted: Exchange,
        status: int,
        found: list[Violation],
        secrets: tuple[str, ...],
        unknown: tuple[str, ...] = (),
    ) -> tuple[list[Violation], list[str]]:
        """Violations and warnings (unknown query names, additive changes) into the journal
        entry (the exchange) and the log, secrets masked; returns the breaking violations and
        their lines (for the answer's headers)."""
        breaking, additive = split(found)
        lines = [mask_text(shown(v), secrets) for v in breaking]
        noted.violations = tuple(_masked_dict(v, secrets) for v in breaking)
        noted.warnings = (
            *unknown,
            *(f"additive change: {mask_text(shown(v), secrets)}" for v in additive),
        )
        self._log(noted.scope, status, lines, additive, secrets)
        return breaking, lines

    def _secrets(self, scope: Scope) -> tuple[str, ...]:
        return self.masker.secrets(scope["headers"], scope["query_string"].decode("latin-1"))

    def _target(self, scope: Scope) -> str:
        """The request's target for a log line: secrets masked, control characters escaped."""
        shown_query = self.masker.query(scope["query_string"].decode("latin-1"))
        return log_safe(scope["path"] + (f"?{shown_query}" if shown_query else ""))

    def _log(
        self,
        scope: Scope,
        status: int,
        lines: list[str],
        additive: list[Violation],
        secrets: tuple[str, ...],
    ) -> None:
        if not lines and not (additive and log.isEnabledFor(logging.INFO)):
            return
        request = f"{scope['method']} {self._target(scope)} -> {status}"
        for line in lines:
            log.warning("%s violates the %s spec: %s", request, self.api, line)
        for violation in additive:
            change = mask_text(shown(violation), secrets)
            log.info("%s: additive change (tolerated): %s", request, change)

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


def _masked_dict(violation: Violation, secrets: tuple[str, ...]) -> dict[str, Any]:
    found = violation.as_dict()
    found["message"] = mask_text(found["message"], secrets)
    return found


def build_proxy(options: ProxyOptions, plane: MockApp) -> ProxyApp:
    """The proxy for ``options``; ``plane`` is the mock of the same API, whose control plane,
    journal, masker and compiled spec the proxy uses."""
    runtime = plane.runtimes[options.api]
    masker = plane.control.masker
    recording = None
    if options.record is not None:
        recording = Recording(
            CassetteWriter(options.record),
            masker,
            Redactor(options.redact, options.seed),
            runtime.vendor.credential.header,
        )
    return ProxyApp(
        api=options.api,
        upstream=Upstream(options.upstream, options.upstream_timeout),
        checks=ApiChecks(runtime.spec, runtime.vendor.grammar, runtime.checker),
        control=plane.plane,
        recorder=plane.recorder,
        masker=masker,
        dialect=runtime.dialect,
        recording=recording,
        replays=plane.control.replays,
    )
