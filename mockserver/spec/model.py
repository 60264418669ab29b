"""The operation model: what the engine needs to know of a spec, described as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.spec.dependencies import OneOrMore

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()

#: FastAPI reports parameter errors in this order; it is also the natural reading order.
LOCATION_ORDER = ("path", "query", "header", "cookie")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    style: str
    explode: bool
    default: Any = MISSING

    @property
    def key(self) -> str:
        """Lookup key of the raw value: header names are case-insensitive."""
        return self.name.lower() if self.location == "header" else self.name


@dataclass(frozen=True)
class MediaSpec:
    schema: dict[str, Any] | None
    examples: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HeaderSpec:
    name: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class ResponseSpec:
    status: str
    content: dict[str, MediaSpec]
    headers: tuple[HeaderSpec, ...] = ()

    @property
    def media_type(self) -> str | None:
        return next(iter(self.content), None)


@dataclass(frozen=True)
class RequestBody:
    """The JSON body an operation reads: its schema (``$ref``s resolved) and whether it must
    be sent. Other media types are not decoded (the operation sees no body)."""

    schema: dict[str, Any]
    required: bool = False
    #: The spec's named examples (``example`` alone is named ``example``): the console's start.
    examples: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    api: str
    operation_id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    responses: dict[str, ResponseSpec]
    security: tuple[dict[str, list[str]], ...]
    summary: str = ""
    #: ``x-dependencies``: rules across parameters OpenAPI cannot express.
    dependencies: tuple[OneOrMore, ...] = ()
    #: ``x-scopes`` (the operation's, else the document's): what a credential must be granted.
    #: OpenAPI has scopes for OAuth 2 only; API keys with scopes (SendGrid's) need this.
    scopes: tuple[str, ...] = ()
    #: The JSON request body, if the operation declares one.
    request_body: RequestBody | None = None
    #: ``x-max-body-bytes``: the operation's own bound on its body (a bulk upsert's), if any.
    max_body: int | None = None

    def response_for(self, status: int) -> ResponseSpec | None:
        """The declared response for a status: exact code, then ``4XX`` range, then ``default``."""
        code = str(status)
        return (
            self.responses.get(code)
            or self.responses.get(f"{code[0]}XX")
            or self.responses.get("default")
        )

    @property
    def success(self) -> tuple[int, ResponseSpec]:
        """The first declared 2xx response: what the operation answers by default."""
        for code, response in self.responses.items():
            if code.startswith("2") and code.isdigit():
                return int(code), response
        raise LookupError(f"{self.operation_id} declares no 2xx response")

    def declares(self, status: int) -> bool:
        return self.response_for(status) is not None


@dataclass(frozen=True)
class ApiSpec:
    name: str
    title: str
    version: str
    document: dict[str, Any]
    operations: tuple[Operation, ...]
    security_schemes: dict[str, dict[str, Any]]
    source: str

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(self.document.get("paths", {}))

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)
