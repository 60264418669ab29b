"""Validate replies against the spec: status declared, media type, headers and body schema.

Validators are compiled lazily, once per (operation, status, media type).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from jsonschema import Draft202012Validator, FormatChecker

from mockserver.behaviour.contract import Reply
from mockserver.conformance.errors import ConformanceError
from mockserver.spec.model import Operation

_FORMATS = FormatChecker()


def decode_json(body: bytes) -> Any:
    """orjson, or the stdlib for integers orjson cannot hold (valid JSON, e.g. an echoed page)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


class ResponseValidator:
    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str, str], Draft202012Validator] = {}

    def problems(self, operation: Operation, reply: Reply) -> list[str]:
        declared = operation.response_for(reply.status)
        where = f"{operation.method} {operation.path} -> {reply.status}"
        if declared is None:
            return [f"{where}: status {reply.status} is not declared"]
        found = []
        header_names = {name.lower() for name, _ in reply.headers}
        found += [
            f"{where}: required header {header.name} is missing"
            for header in declared.headers
            if header.required and header.name.lower() not in header_names
        ]
        if not declared.content:
            return found
        media = (reply.media_type or "").split(";")[0].strip()
        spec = declared.content.get(media)
        if spec is None:
            return [*found, f"{where}: media type {media!r} not in {sorted(declared.content)}"]
        if spec.schema is None:
            return found
        try:
            body: Any = decode_json(reply.body) if "json" in media else reply.body.decode()
        except (ValueError, UnicodeDecodeError) as exc:
            return [*found, f"{where}: body does not decode as {media}: {exc}"]
        validator = self._validator(operation, declared.status, media, spec.schema)
        found += [
            f"{where}: {'/'.join(map(str, error.absolute_path)) or '<body>'}: {error.message}"
            for error in validator.iter_errors(body)
        ]
        return found

    def check(self, operation: Operation, reply: Reply) -> None:
        problems = self.problems(operation, reply)
        if problems:
            raise ConformanceError("; ".join(problems[:5]))

    def validate_value(self, operation: Operation, status: int, value: Any) -> None:
        """Validate a value about to be served (data built at start-up) against a JSON response."""
        declared = operation.response_for(status)
        if declared is None or declared.media_type is None:
            raise ConformanceError(f"{operation.operation_id}: no content declared for {status}")
        schema = declared.content[declared.media_type].schema or {}
        validator = self._validator(operation, declared.status, declared.media_type, schema)
        errors = list(validator.iter_errors(value))
        if errors:
            detail = "; ".join(
                f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}"
                for e in errors[:5]
            )
            raise ConformanceError(f"{operation.operation_id} {status}: {detail}")

    def _validator(
        self, operation: Operation, status: str, media: str, schema: dict[str, Any]
    ) -> Draft202012Validator:
        key = (operation.operation_id, status, media)
        if key not in self._compiled:
            self._compiled[key] = Draft202012Validator(schema, format_checker=_FORMATS)
        return self._compiled[key]
