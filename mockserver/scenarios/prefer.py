"""Parse the ``Prefer`` header the way Prism reads it: ``code=404, example=empty, dynamic=true``.

Preferences are separated by commas (RFC 7240); parameters after ``;`` and
preferences the mock does not know (``return=minimal``) are ignored, as the RFC asks.
"""

from __future__ import annotations

from mockserver.numbers import parse_int
from mockserver.params.errors import ParamError
from mockserver.state.values import Preference

HEADER = "Prefer"
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _error(kind: str, raw: str, **ctx: object) -> ParamError:
    return ParamError(kind, "header", HEADER, raw, ctx or None)


def parse_code(value: str) -> int | None:
    """A status code 100-599 in three ASCII digits, or ``None`` if ``value`` is not one."""
    if len(value) != 3 or not value.isascii() or not value.isdigit():
        return None
    code = parse_int(value)
    return code if 100 <= code <= 599 else None


def parse_bool(value: str) -> bool | None:
    return _BOOLS.get(value.lower())


def parse_prefer(raw: str) -> tuple[Preference | None, ParamError | None]:
    """``(preference, None)``, ``(None, error)`` for a malformed value, ``(None, None)`` if idle."""
    code: int | None = None
    example: str | None = None
    dynamic = False
    for item in raw.split(","):
        token = item.split(";", 1)[0].strip()
        name, sep, value = token.partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if name == "code":
            code = parse_code(value)
            if code is None:
                return None, _error("int_parsing", raw)
        elif name == "example":
            if not value:
                return None, _error("string_too_short", raw, min_length=1)
            example = value
        elif name == "dynamic":
            flag = parse_bool(value) if sep else True
            if flag is None:
                return None, _error("bool_parsing", raw)
            dynamic = flag
    preference = Preference(code, example, dynamic)
    return (None, None) if preference.empty else (preference, None)
