"""How an API reads a scalar parameter from its text: the vendor's framework's grammar, not ours
(pydantic for ActionHub, Go's strconv for SendGrid); :data:`STRICT` (JSON's literals) serves a
vendor that states none."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mockserver.params.errors import Invalid

Parse = Callable[[str], Any]


@dataclass(frozen=True)
class Grammar:
    """Parsers of the scalar JSON types; each raises :class:`Invalid` with its error kind."""

    integer: Parse
    number: Parse
    boolean: Parse
    #: Which value a query parameter that takes one (a scalar, or a delimited array) reads when
    #: its name is sent more than once: Starlette's ``QueryParams`` (FastAPI) keeps the last,
    #: Go's ``url.Values.Get`` the first.
    repeated: Literal["first", "last"] = "last"

    @property
    def pick(self) -> int:
        """The index of the value read among a repeated name's values."""
        return 0 if self.repeated == "first" else -1

    def parser(self, kind: str | None) -> Parse:
        """The parser of a parameter whose schema has JSON type ``kind``."""
        return {"integer": self.integer, "number": self.number, "boolean": self.boolean}.get(
            kind or "string", str
        )


def table_boolean(spellings: dict[str, bool], fold_case: bool) -> Parse:
    """A boolean parser from its accepted spellings (compared case-folded if ``fold_case``)."""

    def parse(text: str) -> bool:
        try:
            return spellings[text.lower() if fold_case else text]
        except KeyError:
            raise Invalid("bool_parsing") from None

    return parse


def regex_integer(pattern: str) -> Parse:
    """An integer parser: ``pattern`` must match the whole text, then ``int()`` reads it."""
    compiled = re.compile(pattern)

    def parse(text: str) -> int:
        if not compiled.fullmatch(text):
            raise Invalid("int_parsing")
        try:
            return int(text)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            raise Invalid("int_parsing_size") from None

    return parse


def regex_number(pattern: str) -> Parse:
    """A number parser: ``pattern`` must match the whole text; integral values stay ints."""
    compiled = re.compile(pattern)

    def parse(text: str) -> float | int:
        if not compiled.fullmatch(text):
            raise Invalid("float_parsing")
        try:
            return int(text)
        except ValueError:
            return float(text)

    return parse


_JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
#: JSON's own literals: what a parameter means when its API says nothing more.
STRICT = Grammar(
    integer=regex_integer(r"-?(?:0|[1-9][0-9]*)"),
    number=regex_number(_JSON_NUMBER),
    boolean=table_boolean({"true": True, "false": False}, fold_case=False),
)
