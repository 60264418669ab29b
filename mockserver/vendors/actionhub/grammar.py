"""How ActionHub (FastAPI + pydantic v2) reads scalar values: pydantic's lax-mode string
parsing, each refusal with its error type (tests compare against pydantic itself)."""

from __future__ import annotations

import re

from mockserver.params.errors import Invalid
from mockserver.params.grammar import Grammar, table_boolean

#: The spellings of booleans pydantic accepts (case-insensitive; Python's requests sends ``True``).
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
_INTEGER = re.compile(rf"([+-]?{_DIGITS})(?:\.0+)?")
#: pydantic's (and Python's) float grammar, restricted to ASCII digits.
_NUMBER = re.compile(
    rf"[+-]?(?:(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?"
    r"|inf|infinity|nan)",
    re.I,
)


def parse_integer(text: str) -> int:
    match = _INTEGER.fullmatch(text.strip(WHITESPACE))
    if not match:
        raise Invalid("int_parsing")
    try:
        return int(match.group(1))
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise Invalid("int_parsing_size") from None


def parse_number(text: str) -> float | int:
    stripped = text.strip(WHITESPACE)
    if not _NUMBER.fullmatch(stripped):
        raise Invalid("float_parsing")
    value = float(stripped)
    lowered = stripped.lower()
    if value.is_integer() and abs(value) < 2**53 and "." not in lowered and "e" not in lowered:
        return int(value)
    return value


#: Unlike numbers, pydantic does not strip whitespace around booleans.
PYDANTIC = Grammar(
    integer=parse_integer,
    number=parse_number,
    boolean=table_boolean(BOOLEANS, fold_case=True),
)
