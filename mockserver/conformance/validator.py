"""Validate replies against the spec: status declared, media type, headers and body schema.

jsonschema-rs (already installed with schemathesis) validates about 25x faster than the
pure-Python jsonschema: fast enough to check every prebuilt answer of a data version at
start-up and on each data load. Validators are compiled once per (operation, status, media).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import jsonschema_rs
import orjson

from mockserver.behaviour.contract import Backend, Reply
from mockserver.errors import ConformanceError, DataError
from mockserver.spec.model import ApiSpec, Operation

#: How many problems a loud error message lists.
SHOWN = 5


def decode_json(body: bytes) -> Any:
    """orjson, or the stdlib for integers orjson cannot hold (valid JSON, e.g. an echoed page)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


class ResponseValidator:
    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str, str], Any] = {}

    def problems(self, operation: Operation, reply: Reply, *, headers: bool = True) -> list[str]:
        """Everything wrong with ``reply``; ``headers=False`` checks the body only."""
        declared = operation.response_for(reply.status)
        where = f"{operation.method} {operation.path} -> {reply.status}"
        if declared is None:
            return [f"{where}: status {reply.status} is not declared"]
        found = []
        if headers:
            names = {name.lower() for name, _ in reply.headers}
            found += [
                f"{where}: required header {header.name} is missing"
                for header in declared.headers
                if header.required and header.name.lower() not in names
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
            f"{where}: {'/'.join(map(str, error.instance_path)) or '<body>'}: {error.message}"
            for error in validator.iter_errors(body)
        ]
        return found

    def check(self, operation: Operation, reply: Reply) -> None:
        problems = self.problems(operation, reply)
        if problems:
            raise ConformanceError("; ".join(problems[:SHOWN]))

    def check_prebuilt(self, spec: ApiSpec, backend: Backend) -> None:
        """Validate, once per data version, every answer a backend serialized at build time.

        Per-request headers (rate limits) are added later, so only status and body are checked.
        A violation is a :class:`DataError`: the server does not start on it, a load is refused.
        """
        prebuilt: Iterable[tuple[str, Reply]] = getattr(backend, "prebuilt", tuple)()
        problems = [
            problem
            for operation_id, reply in prebuilt
            for problem in self.problems(spec.operation(operation_id), reply, headers=False)
        ]
        if problems:
            more = f" (+{len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
            listed = "; ".join(problems[:SHOWN])
            raise DataError(f"{spec.name} data violates its spec: {listed}{more}")

    def _validator(self, operation: Operation, status: str, media: str, schema: dict[str, Any]):
        key = (operation.operation_id, status, media)
        if key not in self._compiled:
            self._compiled[key] = jsonschema_rs.validator_for(schema, validate_formats=True)
        return self._compiled[key]
