"""An operation's JSON request body: received within a bound, validated by the spec
(jsonschema-rs, ~25x the pure-Python validator) into neutral :class:`ParamError`s."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import orjson
from starlette.types import Receive

from mockserver.conformance.documents import field_path
from mockserver.params.errors import ParamError
from mockserver.spec.model import RequestBody

#: What the endpoint leaves in ``Exchange.body`` for a body past the limit.
TOO_LARGE = object()
#: Errors of one body reported at most (a hostile body may hold thousands).
MAX_ERRORS = 20

#: jsonschema-rs error kinds -> (ParamError kind, ctx names: the error kind's attribute for each).
_KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "MaxLength": ("string_too_long", {"max_length": "limit"}),
    "MinLength": ("string_too_short", {"min_length": "limit"}),
    "MaxItems": ("too_long", {"max_length": "limit"}),
    "MinItems": ("too_short", {"min_length": "limit"}),
    "UniqueItems": ("unique_items", {}),
    "Type": ("type", {"expected": "types"}),
    "Enum": ("enum", {"expected": "options"}),
    "Pattern": ("string_pattern_mismatch", {"pattern": "pattern"}),
    "Maximum": ("less_than_equal", {"le": "limit"}),
    "Minimum": ("greater_than_equal", {"ge": "limit"}),
}


async def receive_body(receive: Receive, limit: int) -> bytes | object | None:
    """The request's body, or ``TOO_LARGE`` as soon as it passes ``limit`` bytes (the rest is
    never buffered); ``None`` when the client leaves first (a write is never answered, nor
    forwarded, with part of its body)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return TOO_LARGE
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def json_path(parts: list[Any]) -> str:
    """``["parent_list_ids", 2]`` -> ``parent_list_ids[2]``; the root is ``body``."""
    return field_path(parts) or "body"


class BodyDecoder:
    """Decodes and validates one operation's JSON body (compiled once per operation)."""

    def __init__(self, spec: RequestBody) -> None:
        self.required = spec.required
        self.validator = jsonschema_rs.validator_for(spec.schema) if spec.schema else None

    def __call__(self, raw: bytes) -> tuple[Any, list[ParamError]]:
        """``(decoded body, errors)``; an empty body decodes to ``None`` (missing if required)."""
        if not raw.strip():
            return None, ([ParamError("missing", "body", "body")] if self.required else [])
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None, [ParamError("json_invalid", "body", "body")]
        if self.validator is None:
            return body, []
        errors = []
        for error in self.validator.iter_errors(body):
            errors.append(self._error(error))
            if len(errors) >= MAX_ERRORS:
                break
        return body, errors

    @staticmethod
    def _error(error: Any) -> ParamError:
        kind = type(error.kind).__name__
        path = list(error.instance_path)
        if kind == "Required":
            return ParamError("missing", "body", json_path([*path, error.kind.property]))
        if kind == "AdditionalProperties":
            extra = list(error.kind.unexpected)[:1]
            return ParamError("body_extra", "body", json_path([*path, *extra]))
        found = _KINDS.get(kind)
        if found is None:
            return ParamError("invalid", "body", json_path(path))
        name, attributes = found
        ctx = {key: getattr(error.kind, attribute) for key, attribute in attributes.items()}
        return ParamError(name, "body", json_path(path), ctx=ctx)
