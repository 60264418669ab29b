"""The Try-it form of an operation's JSON request body, made from its request schema.

One control per top-level property a form can edit (a string, number, integer, boolean, enum
or array of scalars); anything else (objects, arrays of objects, unions) is left to the raw
JSON editor, which starts from the spec's first example. ``console.js`` turns the controls back
into JSON by each field's ``type``, as :func:`typed` does here for the page's curl line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from mockserver.spec.model import MISSING, RequestBody

#: JSON types a form control holds one value of.
SCALARS = frozenset({"string", "integer", "number", "boolean"})
#: A string longer than this (or unbounded) gets a text area: queries, descriptions.
SHORT_TEXT = 100


@dataclass(frozen=True)
class BodyField:
    """One control of a body form: the property it sets and how its text becomes JSON."""

    name: str
    #: The JSON type sent: ``string``, ``integer``, ``number``, ``boolean`` or ``array``.
    type: str
    #: The control: ``text``, ``textarea``, ``number``, ``select`` or ``list`` (comma-separated).
    kind: str
    required: bool = False
    #: The spec example's value, as the control shows it.
    value: str = ""
    options: tuple[str, ...] = ()
    #: An array's item type.
    items: str = ""
    minimum: str = ""
    maximum: str = ""
    hint: str = ""


@dataclass(frozen=True)
class BodyForm:
    """What a Try-it form sends as its body: the fields, and the raw editor's starting text."""

    fields: tuple[BodyField, ...]
    #: Properties only the raw JSON editor sets.
    left_out: tuple[str, ...]
    #: The spec's first example, pretty-printed (``{}`` when it has none).
    example: str
    required: bool

    @property
    def raw_first(self) -> bool:
        """The raw editor is shown first when the fields cannot say everything."""
        return not self.fields or bool(self.left_out)


def json_type(schema: Mapping[str, Any]) -> str:
    """The schema's one JSON type (``["string", "null"]`` is a string), ``""`` if it has none."""
    declared = schema.get("type", "")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), "")
    return declared if isinstance(declared, str) else ""


def text(value: Any) -> str:
    """A JSON value as a control shows it: ``true``, ``42``, ``a, b`` for an array."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(text(item) for item in value)
    return str(value)


def body_field(
    name: str, schema: Mapping[str, Any], required: bool, example: Any
) -> BodyField | None:
    """The control of one property, or ``None`` when only the raw editor can set it."""
    kind, items = "", ""
    declared = json_type(schema)
    if declared == "array" and json_type(schema.get("items", {})) in SCALARS:
        kind, items = "list", json_type(schema["items"])
    elif declared not in SCALARS:
        return None
    options = tuple(text(v) for v in schema.get("enum", ()))
    if declared == "boolean":
        options = options or ("true", "false")
    if not kind:
        kind = {"integer": "number", "number": "number"}.get(declared, "text")
        if options:
            kind = "select"
        elif kind == "text" and schema.get("maxLength", SHORT_TEXT + 1) > SHORT_TEXT:
            kind = "textarea"
    return BodyField(
        name=name,
        type=declared,
        kind=kind,
        required=required,
        value=text(example),
        options=options,
        items=items,
        minimum=text(schema.get("minimum")),
        maximum=text(schema.get("maximum")),
        hint=str(schema.get("description", "")),
    )


def body_form(body: RequestBody) -> BodyForm:
    """The form of a request body: a field per editable property, prefilled from the spec's
    first example (which the raw editor starts from)."""
    schema = body.schema
    example = next(iter(body.examples.values()), {})
    properties = schema.get("properties", {}) if json_type(schema) in ("object", "") else {}
    required = set(schema.get("required", ()))
    values = example if isinstance(example, dict) else {}
    fields, left_out = [], []
    for name, prop in properties.items():
        made = body_field(name, prop, name in required, values.get(name, MISSING))
        if made is None:
            left_out.append(name)
        else:
            fields.append(made)
    return BodyForm(
        fields=tuple(fields),
        left_out=tuple(left_out),
        example=orjson.dumps(example, option=orjson.OPT_INDENT_2).decode(),
        required=body.required,
    )


def typed(field: BodyField, value: str) -> Any:
    """A control's text as the JSON value ``console.js`` sends (a number that does not read as
    one is sent as text, for the API to refuse)."""
    if field.type == "array":
        items = [item.strip() for item in value.split(",") if item.strip()]
        return [scalar(item, field.items) for item in items]
    return scalar(value.strip(), field.type)


def scalar(value: str, kind: str) -> Any:
    if kind == "boolean":
        return value == "true"
    if kind in ("integer", "number"):
        try:
            number = float(value)
        except ValueError:
            return value
        if not math.isfinite(number):
            return value
        return int(number) if number.is_integer() else number
    return value


def fields_body(form: BodyForm) -> bytes:
    """The body the untouched fields send, spelt as ``JSON.stringify`` spells it."""
    body = {f.name: typed(f, f.value) for f in form.fields if f.value.strip()}
    return orjson.dumps(body)
