"""Decode raw request strings into typed parameter values, by decoders compiled once per
operation: how a scalar is spelled is the API's :class:`~mockserver.params.grammar.Grammar`,
what it must satisfy the spec's schema."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.params.errors import Invalid, ParamError
from mockserver.params.grammar import STRICT, Grammar
from mockserver.spec.dependencies import broken
from mockserver.spec.model import LOCATION_ORDER, MISSING, Operation, Parameter

#: Delimiters of array styles (OpenAPI 3.1, 4.8.12.4).
DELIMITERS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


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


def _integral(bound: float) -> float | int:
    return int(bound) if float(bound).is_integer() else bound


Bounds = tuple[tuple[str, str, str, Callable[[Any, Any], bool]], ...]
#: (keyword, error kind, its ctx name, test): pydantic checks upper bounds before lower ones
#: (it matters for NaN, which fails both).
NUMBER_BOUNDS: Bounds = (
    ("maximum", "less_than_equal", "le", lambda v, b: v > b),
    ("exclusiveMaximum", "less_than", "lt", lambda v, b: v >= b),
    ("minimum", "greater_than_equal", "ge", lambda v, b: v < b),
    ("exclusiveMinimum", "greater_than", "gt", lambda v, b: v <= b),
)
STRING_BOUNDS: Bounds = (
    ("minLength", "string_too_short", "min_length", lambda v, n: len(v) < n),
    ("maxLength", "string_too_long", "max_length", lambda v, n: len(v) > n),
    ("pattern", "string_pattern_mismatch", "pattern", lambda v, p: not re.search(p, v)),
)
ARRAY_BOUNDS: Bounds = (
    ("minItems", "too_short", "min_length", lambda v, n: len(v) < n),
    ("maxItems", "too_long", "max_length", lambda v, n: len(v) > n),
    ("uniqueItems", "unique_items", "unique", lambda v, on: on and len({*map(repr, v)}) < len(v)),
)


def _check_bounds(
    bounds: Bounds, schema: dict[str, Any], value: Any, shown: Callable[[Any], Any] = lambda b: b
) -> None:
    """Raise :class:`Invalid` for the first bound of ``schema`` that ``value`` fails."""
    for keyword, kind, ctx, fails in bounds:
        # NaN satisfies no bound: ``value != value`` is true only for NaN.
        if keyword in schema and (value != value or fails(value, schema[keyword])):
            raise Invalid(kind, {ctx: shown(schema[keyword])})


def _constraints(schema: dict[str, Any]) -> Callable[[Any], None]:
    """A function checking a parsed value against ``schema``'s keywords (raises Invalid)."""
    kind = primary_type(schema)
    enum = schema.get("enum")
    const = schema.get("const", MISSING)
    numeric = kind in ("integer", "number")
    # A number's bound is reported with the parameter's type.
    bound_type = float if kind == "number" else _integral
    step = schema.get("multipleOf")
    is_uuid = schema.get("format") == "uuid"
    branches = tuple(
        _constraints({**_base(schema), **branch}) for branch in schema.get("anyOf", ())
    ) + tuple(_constraints({**_base(schema), **branch}) for branch in schema.get("oneOf", ()))

    def check(value: Any) -> None:
        if enum is not None and value not in enum:
            raise Invalid("enum", {"expected": list(enum)})
        if const is not MISSING and value != const:
            raise Invalid("const", {"expected": [const]})
        if numeric:
            if (
                step
                and math.isfinite(value)
                and not math.isclose(value / step, round(value / step))
            ):
                raise Invalid("multiple_of", {"multiple_of": bound_type(step)})
            _check_bounds(NUMBER_BOUNDS, schema, value, bound_type)
        elif kind in ("string", None):
            _check_bounds(STRING_BOUNDS, schema, value)
            if is_uuid:
                try:
                    uuid.UUID(value)
                except ValueError:
                    raise Invalid("uuid_parsing") from None
        if branches:
            _any_branch(branches, value)

    return check


def _base(schema: dict[str, Any]) -> dict[str, Any]:
    """The keywords a branch of ``anyOf``/``oneOf`` shares with its parent (its type)."""
    return {key: schema[key] for key in ("type",) if key in schema}


def _any_branch(branches: tuple[Callable[[Any], None], ...], value: Any) -> None:
    """Accept when one branch accepts; else report the first branch's reason."""
    first: Invalid | None = None
    for check in branches:
        try:
            check(value)
            return
        except Invalid as invalid:
            first = first or invalid
    assert first is not None
    raise first


def scalar_decoder(schema: dict[str, Any], grammar: Grammar = STRICT) -> Callable[[str], Any]:
    """Compile a function that parses (by ``grammar``) and checks one scalar value."""
    parse = grammar.parser(primary_type(schema))
    check = _constraints(schema)

    def decode(text: str) -> Any:
        value = parse(text)
        check(value)
        return value

    return decode


def takes_many(param: Parameter) -> bool:
    """Whether a parameter's name may come more than once (an array in style form, exploded:
    ``ids=a&ids=b``); any other is one value (a scalar, or a delimited array: ``ids=a,b``)."""
    return (
        param.location == "query"
        and param.style == "form"
        and param.explode
        and primary_type(param.schema) == "array"
    )


@dataclass(frozen=True)
class ParamDecoder:
    param: Parameter
    decode_item: Callable[[str], Any]
    is_array: bool
    #: Which of a repeated name's values a one-value parameter reads (``Grammar.pick``).
    pick: int = -1
    #: An array's items come as repeated names (:func:`takes_many`), not in one delimited value.
    many: bool = False

    @classmethod
    def compile(cls, param: Parameter, grammar: Grammar) -> ParamDecoder:
        is_array = primary_type(param.schema) == "array"
        item_schema = param.schema.get("items", {}) if is_array else param.schema
        decode = scalar_decoder(item_schema, grammar)
        return cls(param, decode, is_array, grammar.pick, takes_many(param))

    def __call__(self, raw: list[str] | None, errors: list[ParamError]) -> Any:
        param = self.param
        if raw is None:
            if param.required:
                errors.append(ParamError("missing", param.location, param.name, None))
            return None if param.default is MISSING else param.default
        if not self.is_array:
            text = raw[self.pick]
            try:
                return self.decode_item(text)
            except Invalid as invalid:
                errors.append(
                    ParamError(invalid.kind, param.location, param.name, text, invalid.ctx)
                )
                return None
        items = raw if self.many else raw[self.pick].split(DELIMITERS.get(param.style, ","))
        return self._decode_array(items, errors)

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
        try:
            _check_bounds(ARRAY_BOUNDS, schema, values)
        except Invalid as invalid:
            errors.append(ParamError(invalid.kind, param.location, param.name, items, invalid.ctx))
            return None
        return values


class OperationDecoder:
    """All parameter decoders of one operation, in the order errors are reported, then the
    rules across them (``x-dependencies``)."""

    def __init__(self, operation: Operation, grammar: Grammar = STRICT) -> None:
        ordered = sorted(operation.parameters, key=lambda p: LOCATION_ORDER.index(p.location))
        self.decoders = tuple(ParamDecoder.compile(p, grammar) for p in ordered)
        self.dependencies = operation.dependencies
        self.locations = {p.name: p.location for p in operation.parameters}

    def __call__(self, raw: RawRequest) -> tuple[dict[str, Any], list[ParamError]]:
        values: dict[str, Any] = {}
        errors: list[ParamError] = []
        for decoder in self.decoders:
            values[decoder.param.name] = decoder(raw.values(decoder.param), errors)
        if self.dependencies and not errors:
            errors += broken(self.dependencies, values, self.locations)
        return values, errors
