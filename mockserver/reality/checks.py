"""What the bundled spec says about one exchange, by the mock's own rules (its decoders; the
validator's consumer-tolerant mode: an additive change has ``breaking=False``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import cookie_parser

from mockserver.conformance.validator import ResponseValidator, Violation
from mockserver.params.body import BodyDecoder
from mockserver.params.decode import OperationDecoder, RawRequest
from mockserver.params.errors import describe
from mockserver.params.unknown import QueryNames
from mockserver.pipeline import parse_query
from mockserver.routing.table import PathTable
from mockserver.security.credentials import CredentialFinder
from mockserver.spec.model import Operation
from mockserver.vendors.interface import Reply

if TYPE_CHECKING:
    from mockserver.runtime import ApiRuntime

REQUEST = "request"


@dataclass(frozen=True)
class Route:
    """Where a request lands in the spec: its operation (``None``: method not declared)."""

    operation: Operation | None
    path_params: Mapping[str, str] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()


class ApiChecks:
    """The spec's judgement of one API's requests and answers."""

    def __init__(self, runtime: ApiRuntime) -> None:
        self.spec = spec = runtime.spec
        self.api = spec.name
        self.validator: ResponseValidator = runtime.checker  # its compiled schemas shared
        grammar = runtime.vendor.grammar
        by_path: dict[str, dict[str, Operation]] = {}
        self.decoders: dict[str, OperationDecoder] = {}
        self.bodies: dict[str, BodyDecoder] = {}
        self.query_names: dict[str, QueryNames] = {}
        for operation in spec.operations:
            key = operation.operation_id
            by_path.setdefault(operation.path, {})[operation.method] = operation
            self.decoders[key] = OperationDecoder(operation, grammar)
            self.query_names[key] = QueryNames(operation, spec.security_schemes, grammar)
            if operation.request_body is not None:
                self.bodies[key] = BodyDecoder(operation.request_body)
        self.table: PathTable[dict[str, Operation]] = PathTable(by_path)

    def route(self, method: str, path: str) -> Route | None:
        """The operation answering ``method path`` (``HEAD`` is ``GET``); ``None``: no such path."""
        found = self.table.match(path)
        if found is None:
            return None
        operations, params = found
        operation = operations.get(method) or (operations.get("GET") if method == "HEAD" else None)
        return Route(operation, params, tuple(sorted(operations)))

    def request_violations(
        self,
        method: str,
        path: str,
        route: Route | None,
        query_string: bytes,
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> tuple[list[Violation], tuple[str, ...]]:
        """How the request departs from the spec (a body the operation does not declare is not
        judged: the mock ignores it), and the warnings the mock gives for its query names."""
        if route is None:
            return [Violation(REQUEST, path, f"{path} is not a path of the {self.api} spec")], ()
        operation = route.operation
        if operation is None:
            allowed = ", ".join(route.allowed)
            return [Violation(REQUEST, method, f"{method} is not declared for it ({allowed})")], ()
        try:
            query = parse_query(query_string) if query_string else {}
        except ValueError:
            return [Violation(REQUEST, "query", "too many query parameters")], ()
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
        for error in errors:
            where = f"{error.location}.{error.field}"  # ``query.min_weight``, ``body.name``
            where = "body" if where == "body.body" else where  # the body itself
            found.append(Violation(REQUEST, where, describe(error)))
        unknown = self.query_names[operation.operation_id].unknown(query)
        return found, () if unknown is None else unknown.warnings

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


def shown(violation: Violation) -> str:
    """One line: ``body /items/0/name: 'name' is a required property``."""
    if violation.where == "status":
        return violation.message  # "status 418 is not declared"
    where = f"{violation.where} {violation.path}".rstrip()
    return f"{where}: {violation.message}"
