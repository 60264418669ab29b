"""The request flow of one operation (docs/ARCHITECTURE.md lists its steps): plain function
calls over data compiled at start-up, with the decoded parameters and memoizable answers kept."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from mockserver.exchange import Exchange
from mockserver.limits import body_limit
from mockserver.lru import LruCache
from mockserver.params.body import TOO_LARGE, BodyDecoder
from mockserver.params.decode import OperationDecoder, RawRequest
from mockserver.params.errors import ParamError
from mockserver.params.unknown import QueryNames, UnknownParams
from mockserver.runtime import ApiRuntime
from mockserver.scenarios.prefer import parse_prefer
from mockserver.scenarios.responder import Responder
from mockserver.security.credentials import CredentialFinder
from mockserver.serialize.reply import prepared
from mockserver.spec.model import Operation
from mockserver.state.base import OverrideStore
from mockserver.state.values import Preference
from mockserver.vendors.interface import Call, Reply

log = logging.getLogger("mockserver")

#: Generous but finite: a 100 KB query string of ``a=&`` pairs stays well below it.
MAX_QUERY_FIELDS = 100_000

#: The memos of decoded parameters (keyed by the raw strings they come from) and of answers (for
#: the data version in service), bounded in entries, key size and body bytes.
DECODED_CACHE_SIZE = 1024
MAX_CACHED_KEY = 2048
ANSWER_CACHE_SIZE = 1024
ANSWER_CACHE_BYTES = 8 * 2**20


class Decoded(NamedTuple):
    """The parameters of one request, decoded once per distinct raw input (memoized)."""

    query: dict[str, list[str]]
    params: Mapping[str, Any]
    #: Invalid values; with ``--strict-params`` also one per unknown query name.
    errors: list[ParamError]
    unknown: UnknownParams | None
    #: ``Backend.memoizable`` said so.
    memoizable: bool = False


def parse_query(raw: bytes) -> dict[str, list[str]]:
    """Query string -> name -> values, undecodable bytes replaced rather than refused."""
    values: dict[str, list[str]] = {}
    pairs = parse_qsl(
        raw.decode("latin-1"),
        keep_blank_values=True,
        encoding="utf-8",
        errors="replace",
        max_num_fields=MAX_QUERY_FIELDS,
    )
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return values


def picked_headers(raw: list[tuple[bytes, bytes]], names: frozenset[bytes]) -> dict[str, str]:
    """The first value of each of ``names`` the request carries: every request needs only a
    few headers decoded (parameters, credential, ``Prefer``), so the rest stay bytes."""
    picked: dict[str, str] = {}
    for name, value in raw:
        if name in names:
            picked.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return picked


class Memo(NamedTuple):
    """A memoized answer: the reply as sent (warning headers included) and its warnings."""

    reply: Reply
    warnings: tuple[str, ...] = ()


class OperationPipeline:
    """Answers one operation; compiled once per operation at start-up."""

    def __init__(self, runtime: ApiRuntime, operation: Operation, overrides: OverrideStore) -> None:
        self.runtime = runtime
        self.operation = operation
        self.overrides = overrides
        self.key = (runtime.name, operation.operation_id)
        self.decode = OperationDecoder(operation, runtime.vendor.grammar)
        schemes = runtime.spec.security_schemes
        self.credential = CredentialFinder(operation, schemes)
        self.query_names = QueryNames(operation, schemes, runtime.vendor.grammar)
        self.responder = Responder(runtime, operation)
        body = operation.request_body
        self.body = BodyDecoder(body) if body is not None else None
        self.body_limit = body_limit(operation.max_body)
        #: Whether a request waits for the write log to settle before its answer.
        self.writes = runtime.options.writes
        self.settles = self.writes.shared and runtime.backend.reads_writes(operation.operation_id)
        #: The headers a request's parameters and credential come from; those read on every
        #: request add ``Prefer`` and, when a parameter is one, the cookies.
        declared = (p.key for p in operation.parameters if p.location == "header")
        self._header_keys = tuple(dict.fromkeys((*declared, *self.credential.headers)))
        self._cookies = any(p.location == "cookie" for p in operation.parameters)
        read = (*self._header_keys, "prefer", *(("cookie",) if self._cookies else ()))
        self._read = frozenset(name.encode("latin-1") for name in read)
        self._decoded: LruCache[Decoded | Reply] = LruCache(DECODED_CACHE_SIZE)
        self._answers: LruCache[Memo] = LruCache(
            ANSWER_CACHE_SIZE, ANSWER_CACHE_BYTES, sizeof=lambda memo: len(memo.reply.body)
        )
        #: The data version (weakly), its ``memo_epoch`` hook and the epoch the memo holds for.
        self._answered_by: tuple[weakref.ref[Any], Callable[[], Any] | None, Any] | None = None
        #: The last stored scenario ignored (logged once, not per request).
        self._ignored: Preference | None = None

    def answer(self, exchange: Exchange) -> Reply:
        """The operation's answer, with a warning header per unknown query name (noted in the
        exchange too); memoized only when the backend says so, never with ``Prefer`` or a
        scenario set."""
        headers, key = self._read_request(exchange)
        decoded = self._decoded_params(exchange, headers, key)
        if isinstance(decoded, Reply):
            return decoded
        # A request's body, when the operation reads one, is part of its answer's key.
        memoizable, body = decoded.memoizable, exchange.body
        if self.body is not None:
            key = (*key, body)
            memoizable = memoizable and isinstance(body, bytes) and len(body) <= MAX_CACHED_KEY
        if memoizable and "prefer" not in headers and not self.overrides.has_scenarios:
            memo = self._memoized(key)
            if memo is not None:
                exchange.warnings = memo.warnings
                return memo.reply
        warnings = ()
        if decoded.unknown is not None:
            # Noted before answering: should the answer fail, the endpoint's 500 carries them.
            exchange.warnings = warnings = decoded.unknown.warnings
        reply, answered = self._respond(decoded, headers, exchange)
        if decoded.unknown is not None:
            reply = reply.with_headers(*decoded.unknown.headers)
        if memoizable and answered:
            self._answers.put(key, Memo(prepared(reply), warnings))
        return reply

    def fault(self, exchange: Exchange, status: int) -> Reply:
        """The error answer a fault draws for this request (warned about like any other)."""
        reply = self.responder.static(status)
        decoded = self._decoded_params(exchange, *self._read_request(exchange))
        if isinstance(decoded, Reply) or decoded.unknown is None:
            return reply
        exchange.warnings = decoded.unknown.warnings
        return reply.with_headers(*decoded.unknown.headers)

    def _respond(
        self, decoded: Decoded, headers: dict[str, str], exchange: Exchange
    ) -> tuple[Reply, bool]:
        """security -> parameter errors -> body -> scenario -> behaviour or generation; and
        whether the answer may be memoized."""
        runtime, operation = self.runtime, self.operation
        query, params, errors, _, memoizable = decoded

        satisfied, credential = self.credential(headers, query)
        if not satisfied:
            return runtime.dialect.unauthenticated(), False
        if credential is not None:
            refusal = runtime.backend.authorize(operation, credential)
            if refusal is not None:
                return refusal, False

        if errors:
            return runtime.dialect.invalid_parameters(operation, errors), False

        body = None
        if self.body is not None:
            body, refusal = self._decoded_body(exchange)
            if refusal is not None:
                return refusal, False

        # Headers decoded when a behaviour reads them (most never do).
        call = Call(operation, params, Headers(raw=exchange.scope["headers"]), credential, body)
        reply = preference = None
        prefer = headers.get("prefer")
        if prefer is not None or self.overrides.has_scenarios:
            preference, refusal = self._preference(prefer)
            if refusal is not None:
                return refusal, False
            if preference is not None:
                memoizable = False  # a forced answer is never memoized
                reply = self.responder.reply(preference, call)
        if reply is None:
            handler = runtime.backend.handlers.get(operation.operation_id)
            if handler is None:
                reply = runtime.generated_reply(call)
            elif self.settles:  # its sync finds the read it waited for (PathEndpoint.ready)
                with self.writes.answering(exchange.started):
                    reply = handler(call)
            else:
                reply = handler(call)
            if preference is not None and preference.code not in (None, reply.status):
                reply = self.responder.static(preference.code, call=call)
        if runtime.validator is not None:
            runtime.validator.check(operation, reply)
        return reply, memoizable

    def _decoded_body(self, exchange: Exchange) -> tuple[Any, Reply | None]:
        """The request's JSON body, decoded and validated by the operation's schema; or the
        refusal in the API's dialect (413 past the limit, 400 for anything else)."""
        assert self.body is not None
        raw = exchange.body if exchange.body is not None else b""
        if raw is TOO_LARGE:
            message = f"request body larger than {self.body_limit} bytes"
            return None, self.runtime.dialect.error(413, message, "body")
        body, errors = self.body(raw)
        if errors:
            return None, self.runtime.dialect.invalid_parameters(self.operation, errors)
        return body, None

    def _read_request(self, exchange: Exchange) -> tuple[dict[str, str], tuple[Any, ...]]:
        """The headers the pipeline reads, and the memos' key: everything parameters and
        credential are read from."""
        scope = exchange.scope
        headers = picked_headers(scope["headers"], self._read)
        cookies = headers.get("cookie") if self._cookies else None
        key = (
            scope["query_string"],
            cookies,
            *exchange.path_params.values(),
            *map(headers.get, self._header_keys),
        )
        return headers, key

    def _decoded_params(
        self, exchange: Exchange, headers: dict[str, str], key: tuple[Any, ...]
    ) -> Decoded | Reply:
        decoded = self._decoded.get(key)
        if decoded is not None:
            return decoded
        query_string, cookies = key[0], key[1]  # as _read_request lays the key out
        try:
            query = parse_query(query_string) if query_string else {}
        except ValueError:
            return self.runtime.dialect.error(400, "too many query parameters")
        path = exchange.path_params
        raw = RawRequest(
            query=query, headers=headers, path=path, cookies=cookie_parser(cookies or "")
        )
        params, errors = self.decode(raw)
        unknown = self.query_names.unknown(query)
        if unknown is not None and self.runtime.strict_params:
            errors = [*errors, *unknown.errors]
        if sum(len(part) for part in key if part) > MAX_CACHED_KEY:
            return Decoded(query, MappingProxyType(params), errors, unknown)
        memo = not errors and self.runtime.backend.memoizable(self.key[1], params)
        decoded = Decoded(query, MappingProxyType(params), errors, unknown, memo)
        return self._decoded.put(key, decoded)

    def _memoized(self, key: tuple[Any, ...]) -> Memo | None:
        backend = self.runtime.backend
        answered_by = self._answered_by
        if answered_by is None or answered_by[0]() is not backend:
            self._forget(backend, backend.memo_epoch)
            return None
        epoch_of = answered_by[1]
        if epoch_of is not None and epoch_of() != answered_by[2]:
            self._forget(backend, epoch_of)
            return None
        return self._answers.get(key)

    def _forget(self, backend: Any, epoch_of: Callable[[], Any] | None) -> None:
        self._answers.clear()
        self._answered_by = (weakref.ref(backend), epoch_of, epoch_of and epoch_of())

    def _stored(self) -> Preference | None:
        """The operation's stored scenario (counted down), if the operation can honour it: the
        control plane checks what it stores, but a shared store can be written by anyone."""
        preference = self.overrides.take(self.key)
        if preference is not None and self.responder.check(preference) is not None:
            if preference != self._ignored:
                self._ignored = preference
                log.warning("%s/%s: ignored a stored scenario it cannot answer", *self.key)
            return None
        return preference

    def _preference(self, prefer: str | None) -> tuple[Preference | None, Reply | None]:
        """The request's ``Prefer`` header, else the operation's stored scenario (counted down)."""
        if prefer is None:
            return self._stored(), None
        preference, error = parse_prefer(prefer)
        if error is None and preference is None:
            return self._stored(), None
        if error is None and preference is not None:
            error = self.responder.check(preference, prefer)
        if error is not None:
            return None, self.runtime.dialect.invalid_parameters(self.operation, [error])
        return preference, None
