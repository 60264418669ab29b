"""The request flow of one operation, top to bottom:

route -> security -> parameters -> scenario override -> behaviour or generation
-> conformance (optional) -> serialization -> journal.

The app's path table has already routed the request here; everything below is plain
function calls over data compiled at start-up. A query parameter the operation does not
declare is ignored, as the vendors do, but never silently: every answer to that request
carries its warnings (``params/unknown.py``); ``--strict-params`` makes it a parameter error.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from starlette.types import Scope

from mockserver.behaviour.contract import Call, Reply
from mockserver.journal.record import WARNINGS_KEY
from mockserver.lru import LruCache
from mockserver.params.decode import OperationDecoder, RawRequest
from mockserver.params.errors import ParamError
from mockserver.params.unknown import QueryNames, UnknownParams
from mockserver.runtime import ApiRuntime
from mockserver.scenarios.overrides import Preference
from mockserver.scenarios.prefer import parse_prefer
from mockserver.scenarios.responder import Responder
from mockserver.security.credentials import CredentialFinder
from mockserver.spec.model import Operation
from mockserver.state.base import OverrideStore

log = logging.getLogger("mockserver")

#: Generous but finite: a 100 KB query string of ``a=&`` pairs stays well below it.
MAX_QUERY_FIELDS = 100_000

#: Decoded parameters are memoized per operation, keyed by the raw strings they come from (query
#: string, path and header parameters): a repeated request skips parsing and decoding. Bounded in
#: entries and in key size, so hostile input cannot grow it.
DECODED_CACHE_SIZE = 1024
MAX_CACHED_KEY = 2048
#: Answers of calls the backend says are memoizable (``Backend.memoizable``), kept for the data
#: version in service: bounded in entries and in body bytes.
ANSWER_CACHE_SIZE = 1024
ANSWER_CACHE_BYTES = 8 * 2**20


def body_size(reply: Reply) -> int:
    return len(reply.body)


class Decoded(NamedTuple):
    """The parameters of one request, decoded once per distinct raw input (memoized)."""

    query: dict[str, list[str]]
    params: Mapping[str, Any]
    #: Invalid values; with ``--strict-params`` also one per unknown query name.
    errors: list[ParamError]
    #: Query names the operation does not declare (``None``: there are none).
    unknown: UnknownParams | None
    #: The key of the answer memo, when the backend memoizes this call (``None``: it does not).
    memo_key: tuple[Any, ...] | None = None


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


#: Scope key of the request's parsed headers, when the app has parsed them already.
HEADERS_KEY = "mockserver.headers"


def parse_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header name -> first value, as Starlette's ``Headers.get`` reads it (reversed, so the
    first of a repeated name is the one that stays)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in reversed(raw)
    }


def headers_of(scope: Scope) -> dict[str, str]:
    """The request's parsed headers: parsed once per request, whoever asks first."""
    headers = scope.get(HEADERS_KEY)
    if headers is None:
        headers = scope[HEADERS_KEY] = parse_headers(scope["headers"])
    return headers


def parse_cookies(header: str | None) -> dict[str, str]:
    """The ``Cookie`` header's name -> value pairs (a malformed header counts as none)."""
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


class OperationPipeline:
    """Answers one operation; compiled once per operation at start-up."""

    def __init__(self, runtime: ApiRuntime, operation: Operation, overrides: OverrideStore) -> None:
        self.runtime = runtime
        self.operation = operation
        self.overrides = overrides
        self.key = (runtime.name, operation.operation_id)
        self.decode = OperationDecoder(operation, runtime.vendor.grammar)
        self.schemes = runtime.spec.security_schemes
        self.credential = CredentialFinder(operation, self.schemes)
        self.query_names = QueryNames(operation, self.schemes)
        self.strict_params = runtime.strict_params
        self.responder = Responder(runtime, operation)
        self._header_keys = tuple(p.key for p in operation.parameters if p.location == "header")
        self._cookies = any(p.location == "cookie" for p in operation.parameters)
        self._decoded: LruCache[Decoded | Reply] = LruCache(DECODED_CACHE_SIZE)
        self._answers: LruCache[Reply] = LruCache(
            ANSWER_CACHE_SIZE, ANSWER_CACHE_BYTES, sizeof=body_size
        )
        #: The data version the memoized answers come from (weakly: a replaced version goes).
        self._answered_by: weakref.ref[Any] | None = None

    def answer(self, scope: Scope) -> Reply:
        """The operation's answer to the request; with unknown query names, the same answer
        plus one warning header per name (also noted in ``scope`` for the journal and log)."""
        headers = headers_of(scope)
        decoded = self._decoded_params(scope, headers)
        if isinstance(decoded, Reply):
            return decoded
        if decoded.unknown is None:
            return self._respond(decoded, headers)
        # Noted before answering: should the answer fail, the endpoint's 500 carries them too.
        scope[WARNINGS_KEY] = decoded.unknown.warnings
        return self._respond(decoded, headers).with_headers(*decoded.unknown.headers)

    def fault(self, scope: Scope, status: int) -> Reply:
        """The error answer a fault draws for this request (warned about like any other)."""
        reply = self.responder.static(status)
        decoded = self._decoded_params(scope, headers_of(scope))
        if isinstance(decoded, Reply) or decoded.unknown is None:
            return reply
        scope[WARNINGS_KEY] = decoded.unknown.warnings
        return reply.with_headers(*decoded.unknown.headers)

    def _respond(self, decoded: Decoded, headers: dict[str, str]) -> Reply:
        """security -> parameter errors -> scenario override -> behaviour or generation."""
        runtime, operation = self.runtime, self.operation
        query, params, errors, _, memo_key = decoded

        satisfied, credential = self.credential(headers, query)
        if not satisfied:
            return runtime.dialect.unauthenticated()
        if credential is not None:
            refusal = runtime.backend.authorize(operation, credential)
            if refusal is not None:
                return refusal

        if errors:
            return runtime.dialect.invalid_parameters(operation, errors)

        call = Call(operation, params, headers, credential)
        reply = preference = None
        prefer = headers.get("prefer")
        if prefer is not None or self.overrides.has_scenarios:
            preference, refusal = self._preference(prefer)
            if refusal is not None:
                return refusal
            if preference is not None:
                memo_key = None  # a forced answer is never memoized
                reply = self.responder.reply(preference, call)
        if reply is None:
            if memo_key is not None and (reply := self._memoized(memo_key)) is not None:
                return reply  # answered, and validated, when first computed
            handler = runtime.backend.handlers.get(operation.operation_id)
            reply = handler(call) if handler is not None else runtime.generated_reply(call)
            if preference is not None and preference.code not in (None, reply.status):
                reply = self.responder.static(preference.code)
            elif memo_key is not None:
                if runtime.validator is not None:
                    runtime.validator.check(operation, reply)
                return self._answers.put(memo_key, reply)
        if runtime.validator is not None:
            runtime.validator.check(operation, reply)
        return reply

    def _decoded_params(self, scope: Scope, headers: dict[str, str]) -> Decoded | Reply:
        """The request's :class:`Decoded` parameters, from the memo when it was seen before."""
        query_string: bytes = scope["query_string"]
        path: dict[str, str] = scope.get("path_params", {})
        cookies = headers.get("cookie") if self._cookies else None
        key = (query_string, cookies, *path.values(), *map(headers.get, self._header_keys))
        decoded = self._decoded.get(key)
        if decoded is not None:
            return decoded
        try:
            query = parse_query(query_string) if query_string else {}
        except ValueError:
            return self.runtime.dialect.error(400, "too many query parameters")
        raw = RawRequest(query=query, headers=headers, path=path, cookies=parse_cookies(cookies))
        params, errors = self.decode(raw)
        unknown = self.query_names.unknown(query)
        if unknown is not None and self.strict_params:
            errors = [*errors, *unknown.errors]
        if sum(len(part) for part in key if part) > MAX_CACHED_KEY:
            return Decoded(query, MappingProxyType(params), errors, unknown)
        memoizable = getattr(self.runtime.backend, "memoizable", None)
        memo = not errors and memoizable is not None and memoizable(self.key[1], params)
        decoded = Decoded(query, MappingProxyType(params), errors, unknown, key if memo else None)
        return self._decoded.put(key, decoded)

    def _memoized(self, key: tuple[Any, ...]) -> Reply | None:
        """The memoized answer of ``key`` from the data version in service, if any."""
        backend = self.runtime.backend
        if self._answered_by is None or self._answered_by() is not backend:
            self._answers.clear()  # a new data version: nothing memoized holds for it
            self._answered_by = weakref.ref(backend)
            return None
        return self._answers.get(key)

    def _preference(self, prefer: str | None) -> tuple[Preference | None, Reply | None]:
        """The request's ``Prefer`` header, else the operation's stored scenario (counted down)."""
        if prefer is None:
            return self.overrides.take(self.key), None
        preference, error = parse_prefer(prefer)
        if error is None and preference is None:
            return self.overrides.take(self.key), None
        if error is None and preference is not None:
            error = self.responder.check(preference, prefer)
        if error is not None:
            return None, self.runtime.dialect.invalid_parameters(self.operation, [error])
        return preference, None
