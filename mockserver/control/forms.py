"""The controls of a Try-it form (a spec parameter, the credential header, a JSON body property
a form can edit; anything else is left to the raw JSON editor) and the curl line it sends.
``console.js`` turns the controls back into JSON by each field's ``type``, as :func:`typed` does."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from mockserver.spec.model import MISSING, Operation, Parameter, RequestBody
from mockserver.vendors.interface import CredentialSource

#: JSON types a form control holds one value of.
SCALARS = frozenset({"string", "integer", "number", "boolean"})
#: A string longer than this (or unbounded) gets a text area: queries, descriptions.
SHORT_TEXT = 100
#: A parameter's control by its JSON type (an ``enum`` is a ``select``); ``text`` otherwise.
PARAMETER_KINDS = {"boolean": "checkbox", "array": "array", "integer": "number", "number": "number"}


@dataclass(frozen=True)
class Field:
    """One control of a Try-it form: a parameter, the credential header or a body property."""

    name: str
    #: ``text``, ``textarea``, ``number``, ``checkbox``, ``select``, ``array`` (a parameter
    #: repeated per item) or ``list`` (a body array, comma-separated).
    kind: str
    #: The JSON type (a body property's is sent as it); an array's item type.
    type: str = ""
    items: str = ""
    required: bool = False
    #: Prefilled: an id of the data, the sample credential, the spec example's value.
    value: str = ""
    options: tuple[str, ...] = ()
    minimum: str = ""
    maximum: str = ""
    #: A parameter's: where it is sent, its default, whether an array repeats its name.
    location: str = ""
    default: str = ""
    explode: bool = True

    @property
    def step(self) -> str:
        return "1" if self.type == "integer" else "any"


@dataclass(frozen=True)
class BodyForm:
    """What a Try-it form sends as its body: the fields, and the raw editor's starting text."""

    fields: tuple[Field, ...]
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


def kind_of(schema: Mapping[str, Any]) -> str:
    """The control a parameter's schema asks for."""
    return "select" if "enum" in schema else PARAMETER_KINDS.get(json_type(schema), "text")


def parameter_field(parameter: Parameter, prefill: str = "") -> Field:
    schema = parameter.schema
    default = parameter.default if parameter.default is not MISSING else schema.get("default")
    return Field(
        name=parameter.name,
        kind=kind_of(schema),
        type=json_type(schema),
        required=parameter.required,
        value=prefill,
        options=tuple(text(v) for v in schema.get("enum", ())),
        minimum=text(schema.get("minimum")),
        maximum=text(schema.get("maximum")),
        location=parameter.location,
        default=text(default),
        explode=parameter.explode,
    )


def credential_field(
    credential: CredentialSource, operation: Operation, schemes: Mapping[str, Any]
) -> Field | None:
    """The header the operation's security asks for, prefilled with a throwaway credential."""
    for requirement in operation.security:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "http":
                header = "Authorization"
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                header = scheme.get("name", "")
            else:
                continue
            sample_header, sample = credential.sample_header
            value = sample if sample_header.lower() == header.lower() else ""
            return Field(header, "text", required=True, value=value, location="header")
    return None


def body_field(name: str, schema: Mapping[str, Any], required: bool, example: Any) -> Field | None:
    """The control of one body property, or ``None`` when only the raw editor can set it."""
    declared = json_type(schema)
    items = json_type(schema.get("items", {})) if declared == "array" else ""
    if declared not in SCALARS and items not in SCALARS:
        return None
    options = tuple(text(v) for v in schema.get("enum", ()))
    if declared == "boolean":
        options = options or ("true", "false")
    if items:
        kind = "list"
    elif options:
        kind = "select"
    elif declared in ("integer", "number"):
        kind = "number"
    else:
        kind = "textarea" if schema.get("maxLength", SHORT_TEXT + 1) > SHORT_TEXT else "text"
    return Field(
        name=name,
        kind=kind,
        type=declared,
        items=items,
        required=required,
        value=text(example),
        options=options,
        minimum=text(schema.get("minimum")),
        maximum=text(schema.get("maximum")),
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


def typed(field: Field, value: str) -> Any:
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


def quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def curl_line(
    base_url: str, operation: Operation, fields: Sequence[Field], body: BodyForm | None = None
) -> str:
    """The request the untouched form sends (console.js builds the same line as it changes)."""
    path = operation.path
    for field in fields:
        if field.location == "path" and field.value:
            path = path.replace("{" + field.name + "}", quote(field.value, safe=""))
    words = ["curl"] if operation.method == "GET" else ["curl", "-X", operation.method]
    headers = {f.name: f.value for f in fields if f.location == "header" and f.value}
    if body is not None:
        headers["Content-Type"] = "application/json"
    words += [f"-H {quoted(f'{name}: {value}')}" for name, value in headers.items()]
    if body is not None:
        words += ["-d", quoted(body.example if body.raw_first else fields_body(body).decode())]
    return " ".join([*words, quoted(base_url + path)])
