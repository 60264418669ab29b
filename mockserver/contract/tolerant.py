"""Judge a real deployment's answers like a consumer (docs/CONTRACT.md): a client that ignores
what it does not know survives a new property, enum value or header, so an additive change is a
warning; a required field gone or retyped is a failure."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import schemathesis
from schemathesis.core.failures import Failure

from mockserver.conformance.validator import ResponseValidator, Violation
from mockserver.contract.results import ARRAY_INDEX, ContractWarning, RunResult
from mockserver.spec.model import ApiSpec
from mockserver.vendors.interface import Reply

if TYPE_CHECKING:
    from mockserver.contract.options import ContractOptions

#: The check it replaces, and its own name in Schemathesis' registry (reports show the former:
#: ``results.SHOWN_CHECKS``; ``--checks response_schema_conformance`` selects either judge).
REPLACED = "response_schema_conformance"
NAME = "tolerant_schema_conformance"
#: Breaking violations listed in one failure message.
LISTED = 10
#: Response headers any HTTP stack may add (RFC 9110/9111, CORS, common transport and security
#: headers): never a change of the API. Any other undeclared header is a warning.
STANDARD_HEADERS = frozenset(
    {
        "accept-ranges",
        "age",
        "allow",
        "alt-svc",
        "cache-control",
        "connection",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-range",
        "content-security-policy",
        "content-type",
        "date",
        "etag",
        "expires",
        "keep-alive",
        "last-modified",
        "link",
        "location",
        "permissions-policy",
        "referrer-policy",
        "retry-after",
        "server",
        "server-timing",
        "set-cookie",
        "strict-transport-security",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "vary",
        "via",
        "warning",
        "www-authenticate",
        "x-content-type-options",
        "x-frame-options",
        "x-xss-protection",
    }
)
#: ``x-mockserver-*``: the diagnostics of a mockserver deployed at the base URL, not the API's.
_STANDARD_PREFIXES = ("access-control-", "cross-origin-", "x-mockserver-")


class BreakingChange(Failure):
    """A response a consumer of the spec cannot read: a field removed or retyped."""

    code = "ST901"
    checks = (NAME,)
    kind_title = "Response violates schema"


class Judge:
    """One run's tolerant judge: breaking violations per response, warnings per operation."""

    def __init__(self, spec: ApiSpec) -> None:
        self.validator = ResponseValidator()
        self.operations = {(op.method, op.path): op for op in spec.operations}
        self.warnings: dict[str, Counter[ContractWarning]] = {}
        self._lock = threading.Lock()

    def __call__(self, label: str, method: str, path: str, reply: Reply) -> list[Violation]:
        """The breaking body violations of ``reply``; its additive changes become warnings."""
        operation = self.operations.get((method.upper(), path))
        declared = operation.response_for(reply.status) if operation is not None else None
        if operation is None or declared is None:
            return []  # an undeclared status is status_code_conformance's to report
        found = self.validator.violations(operation, reply, headers=False, tolerant=True)
        noted = [
            ContractWarning(label, reply.status, v.where, ARRAY_INDEX.sub("/*", v.path), v.message)
            for v in found
            if not v.breaking
        ]
        known = STANDARD_HEADERS.union(header.name.lower() for header in declared.headers)
        noted += [
            ContractWarning(label, reply.status, "header", name, "undeclared header")
            for name, _ in reply.headers
            if name not in known and not name.startswith(_STANDARD_PREFIXES)
        ]
        if noted:
            with self._lock:
                self.warnings.setdefault(label, Counter()).update(noted)
        return [v for v in found if v.breaking and v.where == "body"]


#: The judges of the runs in progress, by the Schemathesis schema their run loaded (its id:
#: a schema is not hashable; the run keeps it alive while :func:`judging`).
_JUDGES: dict[int, Judge] = {}


def judge_for(options: ContractOptions, spec: ApiSpec) -> Judge | None:
    """A consumer's judge for a real deployment (``--base-url``) without ``--strict``, when the
    schema check is chosen; else ``None`` (Schemathesis' own)."""
    tolerant = not options.bundled and not options.strict
    return Judge(spec) if tolerant and REPLACED in options.checks else None


def checks(judge: Judge | None) -> dict[str, Any]:
    """Config sections of ``checks`` that put the tolerant judge in Schemathesis' place."""
    if judge is None:
        return {NAME: {"enabled": False}}
    return {REPLACED: {"enabled": False}, NAME: {"enabled": True}}


@contextlib.contextmanager
def judging(judge: Judge | None, schema: Any, result: RunResult) -> Iterator[None]:
    """While it lasts, the run's checks find ``judge`` through the schema of the cases they
    judge; at its end the warnings go to ``result``."""
    if judge is None:
        yield
        return
    _JUDGES[id(schema)] = judge
    try:
        yield
    finally:
        _JUDGES.pop(id(schema), None)
        for label, counts in judge.warnings.items():
            result.operation(label).warnings.update(counts)


def as_reply(response: Any) -> Reply | None:
    """A Schemathesis response as the validator reads it (``None``: only part of the body)."""
    if len(response.content) < getattr(response, "content_size", len(response.content)):
        return None
    media = (response.headers.get("content-type") or [None])[0]
    headers = tuple((name.lower(), values[0]) for name, values in response.headers.items())
    return Reply(response.status_code, response.content, media, headers)


def _message(violations: list[Violation], status: int) -> str:
    """One line per distinct violation, array positions folded: ``/items/*: ... (50x)``."""
    seen = Counter((ARRAY_INDEX.sub("/*", v.path) or "<body>", v.message) for v in violations)
    lines = [
        f"{path}: {message}" + (f" ({n}x)" if n > 1 else "") for (path, message), n in seen.items()
    ]
    if len(lines) > LISTED:
        lines = [*lines[:LISTED], f"... ({len(lines) - LISTED} more)"]
    lines += [
        "",
        f"Validated against the response schema for status code {status}, tolerating "
        "additive changes (undeclared properties, new enum values).",
    ]
    return "\n".join(lines)


def request_shape_probe(case: Any, response: Any) -> bool:
    """A request sent malformed on purpose (an undeclared method or media type): only a 5xx
    answer to it matters, and ``not_a_server_error`` judges that."""
    request = response.request
    if request.method.upper() != case.operation.method.upper():
        return True
    sent = request.headers.get("content-type")
    declared = case.operation.get_request_payload_content_types()
    return bool(sent and declared) and _media(sent) not in {_media(m) for m in declared}


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


@schemathesis.check
def tolerant_schema_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Stands in for ``response_schema_conformance`` against ``--base-url`` (unless
    ``--strict``): the engine's ``ResponseValidator`` in its tolerant mode."""
    operation = case.operation
    judge = _JUDGES.get(id(operation.schema))
    if judge is None or operation.method.upper() == "HEAD" or request_shape_probe(case, response):
        return None
    reply = as_reply(response)
    if reply is None:
        return None
    breaking = judge(operation.label, operation.method, operation.path, reply)
    if breaking:
        raise BreakingChange(
            operation=operation.label,
            title=BreakingChange.kind_title,
            message=_message(breaking, reply.status),
        )
    return None
