"""Decode raw request strings into typed parameter values, as the spec describes them.

Every parameter gets a decoder compiled once at start-up; a request only runs
the decoders of its operation.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.params.errors import ParamError
from mockserver.spec.model import LOCATION_ORDER, MISSING, Operation, Parameter

#: The spellings of booleans that HTTP clients send (Python's requests sends ``True``).
BOOLEANS = {
    **dict.fromkeys(("true", "1", "yes", "on", "t", "y"), True),
    **dict.fromkeys(("false", "0", "no", "off", "f", "n"), False),
}

#: Unicode ``White_Space``: what pydantic strips around numbers (Python's ``str.strip``
#: would also strip the ASCII separators U+001C..U+001F, which pydantic refuses).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_DIGITS = r"[0-9](?:_?[0-9])*"
#: pydantic's integers: ASCII digits, single underscores between them, an optional ``.0``.
_INTEGER = re.compile(rf"[+-]?({_DIGITS})(?:\.0+)?")
#: pydantic's (and Python's) float grammar, restricted to ASCII digits.
_NUMBER = re.compile(
    rf"[+-]?(?:(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?"
    r"|inf|infinity|nan)",
    re.I,
)

#: Delimiters of array styles (OpenAPI 3.1, 4.8.12.4).
DELIMITERS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


class Invalid(Exception):
    """A value that does not satisfy its schema: ``kind`` and ``ctx`` describe why."""

    def __init__(self, kind: str, ctx: dict[str, Any] | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.ctx = ctx


@dataclass(slots=True)
class RawRequest:
    """The undecoded parameter sources of one request."""

    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def values(self, param: Parameter) -> list[str] | None:
        location = param.location
        if location == "query":
            return self.query.get(param.name)
        source = self.headers if location == "header" else self.path
        value = (self.cookies if location == "cookie" else source).get(param.key)
        return None if value is None else [value]


def primary_type(schema: dict[str, Any]) -> str | None:
    """The JSON type a parameter value is decoded to (``null`` only matters for bodies)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind:
        return kind
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, ()):
            found = primary_type(branch)
            if found and found != "null":
                return found
    if schema.get("enum"):
        sample = schema["enum"][0]
        return {bool: "boolean", int: "integer", float: "number"}.get(type(sample), "string")
    return None


def _parse_integer(text: str) -> int:
    match = _INTEGER.fullmatch(text.strip(WHITESPACE))
    if not match:
        raise Invalid("int_parsing")
    sign = -1 if match.group(0).startswith("-") else 1
    try:
        return sign * int(match.group(1))
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise Invalid("int_parsing_size") from None


def _parse_number(text: str) -> float | int:
    stripped = text.strip(WHITESPACE)
    if not _NUMBER.fullmatch(stripped):
        raise Invalid("float_parsing")
    value = float(stripped)
    lowered = stripped.lower()
    if value.is_integer() and abs(value) < 2**53 and "." not in lowered and "e" not in lowered:
        return int(value)
    return value


def _parse_boolean(text: str) -> bool:
    # Unlike numbers, pydantic does not strip whitespace around booleans.
    try:
        return BOOLEANS[text.lower()]
    except KeyError:
        raise Invalid("bool_parsing") from None


PARSERS: dict[str | None, Callable[[str], Any]] = {
    "integer": _parse_integer,
    "number": _parse_number,
    "boolean": _parse_boolean,
    "string": str,
    None: str,
}


def _integral(bound: float) -> float | int:
    return int(bound) if float(bound).is_integer() else bound


def _check_number(schema: dict[str, Any], value: float, bound_type: Callable[[Any], Any]) -> None:
    """Check bounds in pydantic's order; the reported bound has the parameter's type."""
    step = schema.get("multipleOf")
    if step and math.isfinite(value) and not math.isclose(value / step, round(value / step)):
        raise Invalid("multiple_of", {"multiple_of": bound_type(step)})
    for keyword, kind, fails in NUMBER_BOUNDS:
        # NaN satisfies no bound: ``value != value`` is true only for NaN.
        if keyword in schema and (value != value or fails(value, schema[keyword])):
            raise Invalid(kind, {BOUND_CTX[kind]: bound_type(schema[keyword])})


BOUND_CTX = {
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
}

#: pydantic checks upper bounds before lower ones (it matters for NaN, which fails both).
NUMBER_BOUNDS: tuple[tuple[str, str, Callable[[float, float], bool]], ...] = (
    ("maximum", "less_than_equal", lambda v, b: v > b),
    ("exclusiveMaximum", "less_than", lambda v, b: v >= b),
    ("minimum", "greater_than_equal", lambda v, b: v < b),
    ("exclusiveMinimum", "greater_than", lambda v, b: v <= b),
)


def _check_string(schema: dict[str, Any], value: str) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        raise Invalid("string_too_short", {"min_length": schema["minLength"]})
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise Invalid("string_too_long", {"max_length": schema["maxLength"]})
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise Invalid("string_pattern_mismatch", {"pattern": schema["pattern"]})
    if schema.get("format") == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            raise Invalid("uuid_parsing") from None


def scalar_decoder(schema: dict[str, Any]) -> Callable[[str], Any]:
    """Compile a function that parses and checks one scalar value against ``schema``."""
    parse = PARSERS.get(primary_type(schema), str)
    enum = schema.get("enum")
    const = schema.get("const", MISSING)
    numeric = primary_type(schema) in ("integer", "number")
    bound_type = float if primary_type(schema) == "number" else _integral
    stringy = primary_type(schema) in ("string", None)

    def decode(text: str) -> Any:
        value = parse(text)
        if enum is not None and value not in enum:
            raise Invalid("enum", {"expected": list(enum)})
        if const is not MISSING and value != const:
            raise Invalid("const", {"expected": [const]})
        if numeric:
            _check_number(schema, value, bound_type)
        elif stringy:
            _check_string(schema, value)
        return value

    return decode


@dataclass(frozen=True)
class ParamDecoder:
    param: Parameter
    decode_item: Callable[[str], Any]
    is_array: bool

    @classmethod
    def compile(cls, param: Parameter) -> ParamDecoder:
        is_array = primary_type(param.schema) == "array"
        item_schema = param.schema.get("items", {}) if is_array else param.schema
        return cls(param, scalar_decoder(item_schema), is_array)

    def split(self, raw: list[str]) -> list[str]:
        param = self.param
        if param.location == "query" and param.style == "form" and param.explode:
            return raw
        delimiter = DELIMITERS.get(param.style, ",")
        return [item for value in raw for item in value.split(delimiter)]

    def __call__(self, raw: list[str] | None, errors: list[ParamError]) -> Any:
        param = self.param
        if raw is None:
            if param.required:
                errors.append(ParamError("missing", param.location, param.name, None))
            return None if param.default is MISSING else param.default
        if not self.is_array:
            text = raw[-1]
            try:
                return self.decode_item(text)
            except Invalid as invalid:
                errors.append(
                    ParamError(invalid.kind, param.location, param.name, text, invalid.ctx)
                )
                return None
        return self._decode_array(self.split(raw), errors)

    def _decode_array(self, items: list[str], errors: list[ParamError]) -> list[Any] | None:
        param, schema = self.param, self.param.schema
        values, failed = [], False
        for index, text in enumerate(items):
            try:
                values.append(self.decode_item(text))
            except Invalid as invalid:
                failed = True
                errors.append(
                    ParamError(invalid.kind, param.location, param.name, text, invalid.ctx, index)
                )
        if failed:
            return None
        for keyword, kind, fails in ARRAY_BOUNDS:
            if keyword in schema and fails(values, schema[keyword]):
                errors.append(
                    ParamError(
                        kind, param.location, param.name, items, {_ARRAY_CTX[kind]: schema[keyword]}
                    )
                )
                return None
        return values


ARRAY_BOUNDS: tuple[tuple[str, str, Callable[[list[Any], Any], bool]], ...] = (
    ("minItems", "too_short", lambda v, n: len(v) < n),
    ("maxItems", "too_long", lambda v, n: len(v) > n),
    ("uniqueItems", "unique_items", lambda v, on: bool(on) and len(set(map(repr, v))) != len(v)),
)
_ARRAY_CTX = {"too_short": "min_length", "too_long": "max_length", "unique_items": "unique"}


class OperationDecoder:
    """All parameter decoders of one operation, in the order errors are reported."""

    def __init__(self, operation: Operation) -> None:
        ordered = sorted(operation.parameters, key=lambda p: LOCATION_ORDER.index(p.location))
        self.decoders = tuple(ParamDecoder.compile(p) for p in ordered)

    def __call__(self, raw: RawRequest) -> tuple[dict[str, Any], list[ParamError]]:
        values: dict[str, Any] = {}
        errors: list[ParamError] = []
        for decoder in self.decoders:
            values[decoder.param.name] = decoder(raw.values(decoder.param), errors)
        return values, errors
