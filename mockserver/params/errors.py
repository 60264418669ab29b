"""A vendor-neutral description of what is wrong with a parameter: pydantic's error types (a
complete, well-known taxonomy); each vendor's dialect words and shapes them."""

from __future__ import annotations

from typing import Any, NamedTuple


class Invalid(Exception):
    """A value that does not satisfy its schema (``kind`` and ``ctx`` say why), raised by
    grammars and decoders; the decoder turns it into a :class:`ParamError`."""

    def __init__(self, kind: str, ctx: dict[str, Any] | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.ctx = ctx


class ParamError(NamedTuple):
    kind: str
    location: str
    name: str
    input: Any = None
    ctx: dict[str, Any] | None = None
    #: Position of the offending item in an array parameter.
    index: int | None = None

    @property
    def loc(self) -> tuple[str | int, ...]:
        base = (self.location, self.name)
        return base if self.index is None else (*base, self.index)

    @property
    def field(self) -> str:
        return self.name if self.index is None else f"{self.name}[{self.index}]"


#: Plain-English wording of every kind, used by dialects that carry a single message.
MESSAGES: dict[str, str] = {
    "missing": "is required",
    "int_parsing": "must be an integer",
    "int_parsing_size": "must be an integer of at most 4300 digits",
    "float_parsing": "must be a number",
    "bool_parsing": "must be a boolean (true or false)",
    "enum": "must be one of {expected}",
    "greater_than_equal": "must be greater than or equal to {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be less than or equal to {le}",
    "less_than": "must be less than {lt}",
    "multiple_of": "must be a multiple of {multiple_of}",
    "string_too_short": "must have at least {min_length} characters",
    "string_too_long": "must have at most {max_length} characters",
    "string_pattern_mismatch": "must match pattern {pattern}",
    "uuid_parsing": "must be a UUID",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
    "unique_items": "must not repeat items",
    "const": "must be {expected}",
    "extra_forbidden": "is not a query parameter of this operation",
    "missing_one_of": "is required unless {others} is given",
    # Request bodies (params/body.py)
    "json_invalid": "is not valid JSON",
    "type": "must be of type {expected}",
    "body_extra": "is not a field of this body",
}
#: How a list in ``ctx`` reads in a sentence (``asset_ids or labels``); others: ``a, b``.
_JOINERS = {"others": " or "}


def describe(error: ParamError) -> str:
    """``"min_weight must be a number"``: one sentence naming the parameter (and, for an
    unknown one, the declared name it probably stands for)."""
    template = MESSAGES.get(error.kind, "is invalid")
    ctx = {
        key: _JOINERS.get(key, ", ").join(map(str, value)) if isinstance(value, list) else value
        for key, value in (error.ctx or {}).items()
    }
    hint = f" (did you mean {ctx['suggestion']}?)" if "suggestion" in ctx else ""
    return f"{error.field} {template.format(**ctx)}{hint}"
