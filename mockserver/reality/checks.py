"""What the bundled spec says about one exchange: the request's and the answer's violations,
by the mock's own rules (its decoders; the validator's consumer-tolerant mode, where an additive
change is a violation with ``breaking=False``). Compiled once per API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import cookie_parser

from mockserver.conformance.validator import ResponseValidator, Violation
from mockserver.params.body import BodyDecoder
from mockserver.params.decode import OperationDecoder, RawRequest
from mockserver.params.errors import ParamError, describe
from mockserver.params.grammar import Grammar
from mockserver.params.unknown import QueryNames
from mockserver.pipeline import parse_query
from mockserver.routing.table import PathTable
from mockserver.security.credentials import CredentialFinder
from mockserver.spec.model import ApiSpec, Operation
from mockserver.vendors.interface import Reply

if TYPE_CHECKING:
    from mockserver.runtime import ApiRuntime

REQUEST = "request"


@dataclass(frozen=True)
class Route:
    """Where a request lands in the spec: its operation (``None``: method not declared)."""

    path: str
    operation: Operation | None
    path_params: Mapping[str, str] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()


class ApiChecks:
    """The spec's judgement of one API's requests and answers."""

    def __init__(
        self, spec: ApiSpec, grammar: Grammar, validator: ResponseValidator | None = None
    ) -> None:
        self.spec = spec
        self.api = spec.name
        self.validator = validator or ResponseValidator()
        by_path: dict[str, dict[str, Operation]] = {}
        for operation in spec.operations:
            by_path.setdefault(operation.path, {})[operation.method] = operation
        self.table: PathTable[dict[str, Operation]] = PathTable(by_path)
        self.decoders = {
            operation.operation_id: OperationDecoder(operation, grammar)
            for operation in spec.operations
        }
        self.bodies = {
            operation.operation_id: BodyDecoder(operation.request_body)
            for operation in spec.operations
            if operation.request_body is not None
        }
        self.query_names = {
            operation.operation_id: QueryNames(operation, spec.security_schemes, grammar)
            for operation in spec.operations
        }

    @classmethod
    def of(cls, runtime: ApiRuntime) -> ApiChecks:
        """The checks of a served API (its validator's compiled schemas shared)."""
        return cls(runtime.spec, runtime.vendor.grammar, runtime.checker)

    def route(self, method: str, path: str) -> Route | None:
        """The operation answering ``method path`` (``HEAD`` is ``GET``); ``None``: no such path."""
        found = self.table.match(path)
        if found is None:
            return None
        operations, params = found
        operation = operations.get(method) or (operations.get("GET") if method == "HEAD" else None)
        return Route(path, operation, params, tuple(sorted(operations)))

    def request_violations(
        self,
        method: str,
        path: str,
        route: Route | None,
        query_string: bytes,
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> list[Violation]:
        """How the request departs from the spec: its path, method, credential, parameters and
        JSON body (an operation that declares none: its body is not judged, as the mock ignores
        it)."""
        if route is None:
            return [Violation(REQUEST, path, f"{path} is not a path of the {self.api} spec")]
        operation = route.operation
        if operation is None:
            allowed = ", ".join(route.allowed)
            return [Violation(REQUEST, method, f"{method} is not declared for it ({allowed})")]
        try:
            query = parse_query(query_string) if query_string else {}
        except ValueError:
            return [Violation(REQUEST, "query", "too many query parameters")]
        found = []
        satisfied, _ = CredentialFinder(operation, self.spec.security_schemes)(headers, query)
        if not satisfied:
            schemes = sorted({name for req in operation.security for name in req})
            found.append(Violation(REQUEST, "credential", f"no credential of {', '.join(schemes)}"))
        raw = RawRequest(
            query=query,
            headers=dict(headers),
            path=dict(route.path_params),
            cookies=cookie_parser(headers.get("cookie", "")),
        )
        _, errors = self.decoders[operation.operation_id](raw)
        decode_body = self.bodies.get(operation.operation_id)
        if decode_body is not None:
            errors = [*errors, *decode_body(body)[1]]
        # The decoder already reports a broken x-dependencies rule (missing_one_of).
        found += [Violation(REQUEST, _located(error), describe(error)) for error in errors]
        return found

    def unknown_query(self, route: Route | None, query_string: bytes) -> tuple[str, ...]:
        """Warnings for query names the operation does not declare (as the mock words them)."""
        if route is None or route.operation is None or not query_string:
            return ()
        try:
            query = parse_query(query_string)
        except ValueError:
            return ()
        unknown = self.query_names[route.operation.operation_id].unknown(query)
        return () if unknown is None else unknown.warnings

    def response_violations(
        self,
        operation: Operation,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        head: bool = False,
    ) -> list[Violation]:
        """How an answer departs from the spec; additive changes are ``breaking=False``."""
        media = next((value for name, value in headers if name.lower() == "content-type"), None)
        reply = Reply(status, body, media, tuple(headers))
        if head:  # no body to judge: the status only
            declared = operation.declares(status)
            return [] if declared else [Violation("status", "", f"status {status} is not declared")]
        return self.validator.violations(operation, reply, tolerant=True)


def _located(error: ParamError) -> str:
    """``query.min_weight``, ``body.name``; the body itself is ``body``."""
    if error.location == "body" == error.field:
        return "body"
    return f"{error.location}.{error.field}"


def split(violations: Sequence[Violation]) -> tuple[list[Violation], list[Violation]]:
    """``(breaking, additive)``."""
    breaking = [v for v in violations if v.breaking]
    return breaking, [v for v in violations if not v.breaking]


def shown(violation: Violation) -> str:
    """One line: ``body /items/0/name: 'name' is a required property``."""
    if violation.where == "status":
        return violation.message  # "status 418 is not declared"
    where = f"{violation.where} {violation.path}".rstrip()
    return f"{where}: {violation.message}"
