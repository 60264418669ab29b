"""Validate replies against the spec: status declared, media type, headers and body schema.

One rule set for every judge: strict for the mock's own ``--validate-responses`` and data
versions; ``tolerant`` for judging a real deployment as a consumer would (an additive change -
an undeclared property, a new enum value - is a warning, ``breaking=False``). jsonschema-rs
(about 25x the pure-Python jsonschema) is fast enough to check every prebuilt answer of a data
version; validators are compiled once per (operation, status, media).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import jsonschema_rs

from mockserver.errors import ConformanceError, DataError
from mockserver.serialize import decode_json
from mockserver.spec.model import ApiSpec, Operation
from mockserver.vendors.interface import Reply

#: How many problems a loud error message lists.
SHOWN = 5
#: Schema failures a consumer that ignores what it does not know survives.
ADDITIVE_KINDS = frozenset({"AdditionalProperties", "UnevaluatedProperties", "Enum"})


class Violation(NamedTuple):
    """One way an answer departs from its spec: ``where`` (status, media type, header, body),
    the JSON ``path`` in the body (or the header's name), and the ``message``."""

    where: str
    path: str
    message: str
    breaking: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"where": self.where, "path": self.path, "message": self.message}


def _schema_violations(errors: Iterable[Any], tolerant: bool) -> list[Violation]:
    found = []
    for error in errors:
        kind = type(error.kind).__name__
        additive = tolerant and kind in ADDITIVE_KINDS
        base = "".join(f"/{part}" for part in error.instance_path)
        unexpected = getattr(error.kind, "unexpected", None) if additive else None
        if unexpected:  # one warning per undeclared property, at its own path
            found += [
                Violation("body", f"{base}/{name}", f"undeclared property {name!r}", False)
                for name in unexpected
            ]
        else:
            found.append(Violation("body", base, error.message, not additive))
    return found


class ResponseValidator:
    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str, str], Any] = {}

    def violations(
        self,
        operation: Operation,
        reply: Reply,
        *,
        headers: bool = True,
        tolerant: bool = False,
    ) -> list[Violation]:
        """Everything wrong with ``reply``; ``headers=False`` checks the body only."""
        declared = operation.response_for(reply.status)
        if declared is None:
            return [Violation("status", "", f"status {reply.status} is not declared")]
        found = []
        if headers:
            names = {name.lower() for name, _ in reply.headers}
            found += [
                Violation("header", header.name, "required header is missing")
                for header in declared.headers
                if header.required and header.name.lower() not in names
            ]
        if not declared.content:
            return found
        media = (reply.media_type or "").split(";")[0].strip()
        spec = declared.content.get(media)
        if spec is None:
            expected = ", ".join(sorted(declared.content))
            return [*found, Violation("media type", "", f"{media!r} is not one of {expected}")]
        if spec.schema is None:
            return found
        try:
            body: Any = decode_json(reply.body) if "json" in media else reply.body.decode()
        except (ValueError, UnicodeDecodeError) as exc:
            return [*found, Violation("body", "", f"does not decode as {media}: {exc}")]
        validator = self._validator(operation, declared.status, media, spec.schema)
        return found + _schema_violations(validator.iter_errors(body), tolerant)

    def problems(self, operation: Operation, reply: Reply, *, headers: bool = True) -> list[str]:
        """The strict violations as one line each: ``GET /p -> 200: <path>: <message>``."""
        where = f"{operation.method} {operation.path} -> {reply.status}"
        return [f"{where}: {_shown(v)}" for v in self.violations(operation, reply, headers=headers)]

    def check(self, operation: Operation, reply: Reply) -> None:
        problems = self.problems(operation, reply)
        if problems:
            raise ConformanceError(problems[:SHOWN])

    def check_prebuilt(
        self, spec: ApiSpec, answers: Iterable[tuple[str, Reply]], refusal=DataError
    ) -> None:
        """Validate answers serialized ahead of requests: once per data version, a violation is
        a DataError (the server does not start on it, a load is refused); ``refusal`` for those
        rendered on first need. Per-request headers (rate limits) are added later, so only
        status and body are checked."""
        problems = [
            problem
            for operation_id, reply in answers
            for problem in self.problems(spec.operation(operation_id), reply, headers=False)
        ]
        if problems:
            more = f" (+{len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
            listed = "; ".join(problems[:SHOWN])
            raise refusal(f"{spec.name} data violates its spec: {listed}{more}")

    def _validator(self, operation: Operation, status: str, media: str, schema: dict[str, Any]):
        key = (operation.operation_id, status, media)
        if key not in self._compiled:
            self._compiled[key] = jsonschema_rs.validator_for(schema, validate_formats=True)
        return self._compiled[key]


def _shown(violation: Violation) -> str:
    """How the strict line names a problem (kept stable: tests and logs read it)."""
    if violation.where == "status":
        return violation.message
    if violation.where == "header":
        return f"required header {violation.path} is missing"
    if violation.where == "media type":
        return f"media type {violation.message}"
    return f"{violation.path.lstrip('/') or '<body>'}: {violation.message}"
