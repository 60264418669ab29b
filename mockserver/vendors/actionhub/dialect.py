"""ActionHub's error dialect: exactly what FastAPI with pydantic v2 answers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from mockserver.params.errors import ParamError
from mockserver.serialize import json_bytes
from mockserver.spec.model import Operation
from mockserver.vendors.interface import Reply

#: pydantic v2 message template per error type; ``{...}`` fields come from ``ctx``.
MESSAGES: dict[str, str] = {
    "missing": "Field required",
    "int_parsing": "Input should be a valid integer, unable to parse string as an integer",
    "int_parsing_size": "Unable to parse input string as an integer, exceeded maximum size",
    "float_parsing": "Input should be a valid number, unable to parse string as a number",
    "bool_parsing": "Input should be a valid boolean, unable to interpret input",
    "enum": "Input should be {expected}",
    "greater_than_equal": "Input should be greater than or equal to {ge}",
    "greater_than": "Input should be greater than {gt}",
    "less_than_equal": "Input should be less than or equal to {le}",
    "less_than": "Input should be less than {lt}",
    "multiple_of": "Input should be a multiple of {multiple_of}",
    "string_too_short": "String should have at least {min_length} character{plural}",
    "string_too_long": "String should have at most {max_length} character{plural}",
    "string_pattern_mismatch": "String should match pattern '{pattern}'",
    "uuid_parsing": "Input should be a valid UUID",
    "extra_forbidden": "Extra inputs are not permitted",
    # x-dependencies: what the endpoint itself raises, as pydantic's "missing"
    "missing_one_of": "Either {name} or {others} must be provided",
}
#: Neutral kinds FastAPI reports under another pydantic type.
_TYPES = {"missing_one_of": "missing"}

#: Context keys pydantic does not report: used by the message, or our own (the declared name an
#: unknown query parameter probably stands for, which pydantic's ``extra_forbidden`` omits).
_HIDDEN_CTX = {"plural", "suggestion", "others", "name"}

#: Parameters of a FastAPI sub-dependency (fastapi-pagination's ``Params``): FastAPI solves
#: sub-dependencies first, so their errors come before the endpoint's own parameters.
DEPENDENCY_PARAMS = frozenset({("query", "page"), ("query", "size")})


def pydantic_number(value: Any) -> Any:
    """How pydantic prints a number in a message: ``1.0`` -> ``1``, ``1e-07`` -> ``0.0000001``."""
    if not isinstance(value, float) or value != value or value in (float("inf"), float("-inf")):
        return value
    if value.is_integer():
        return int(value)
    return format(Decimal(repr(value)), "f")


def fastapi_order(errors: Sequence[ParamError]) -> list[ParamError]:
    """Errors in the order FastAPI reports them: sub-dependency parameters first (stable)."""
    return sorted(errors, key=lambda error: (error.location, error.name) not in DEPENDENCY_PARAMS)


def pydantic_error(error: ParamError) -> dict[str, Any]:
    ctx = dict(error.ctx or {})
    if error.kind == "enum":  # pydantic lists them as 'a', 'b' or 'c'
        *most, last = [f"'{value}'" for value in ctx["expected"]]
        ctx["expected"] = f"{', '.join(most)} or {last}" if most else last
    for key in ("min_length", "max_length"):
        if key in ctx:
            ctx["plural"] = "" if ctx[key] == 1 else "s"
    if "others" in ctx:
        ctx.update(name=error.name, others=" or ".join(ctx["others"]))
    body: dict[str, Any] = {
        "type": _TYPES.get(error.kind, error.kind),
        "loc": list(error.loc),
        "msg": MESSAGES.get(error.kind, "Invalid input").format(
            **{key: pydantic_number(value) for key, value in ctx.items()}
        ),
        "input": error.input,
    }
    shown = {key: value for key, value in ctx.items() if key not in _HIDDEN_CTX}
    if shown:
        body["ctx"] = shown
    return body


class FastAPIDialect:
    def _detail(self, status: int, detail: Any, *headers: tuple[str, str]) -> Reply:
        return Reply(status, json_bytes({"detail": detail}), "application/json", headers)

    def invalid_parameters(self, operation: Operation, errors: Sequence[ParamError]) -> Reply:
        return self._detail(422, [pydantic_error(error) for error in fastapi_order(errors)])

    def not_found(self) -> Reply:
        return self._detail(404, "Not Found")

    def method_not_allowed(self, allowed: Sequence[str]) -> Reply:
        return self._detail(405, "Method Not Allowed", ("Allow", ", ".join(allowed)))

    def error(self, status: int, message: str, field: str | None = None) -> Reply:
        return self._detail(status, message)

    def unauthenticated(self) -> Reply:
        return self._detail(401, "Not authenticated", ("WWW-Authenticate", "Bearer"))
