"""Numbers read from text a user controls, by one rule, and the argparse types of bounded
numeric flags built on it. ASCII digits only: ``int()`` and ``float()`` also accept other
scripts' digits ("٣"), ``_`` separators and whitespace, and ``str.isdigit`` accepts superscripts
("²") that ``int()`` then refuses - a mismatch that once turned odd input into a 500."""

from __future__ import annotations

import re
from collections.abc import Callable

_INT = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})")


def parse_int(text: str) -> int:
    """An integer of at most 18 ASCII digits, with an optional sign; else ``ValueError``."""
    if not _INT.fullmatch(text):
        raise ValueError(f"not an integer: {text[:40]!r}")
    return int(text)


def parse_decimal(text: str) -> float:
    """A decimal number of ASCII digits (no exponent, no inf/nan); else ``ValueError``."""
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a number: {text[:40]!r}")
    return float(text)


def bounded_int(what: str, low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for an integer flag: ``bounded_int("port", 0, 65535)``."""
    span = f"{low}-{high}" if high is not None else f">= {low}"

    def parse(text: str) -> int:
        try:
            value = parse_int(text.strip())
        except ValueError:
            raise _flag_error(f"{what} must be an integer {span}, not {text!r}") from None
        if value < low or (high is not None and value > high):
            raise _flag_error(f"{what} must be {span}, not {value}")
        return value

    parse.__name__ = what
    return parse


def bounded_seconds(what: str, low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type`` for a flag of seconds in ``[low, high]`` (a decimal number)."""

    def parse(text: str) -> float:
        try:
            seconds = parse_decimal(text.strip())
        except ValueError:
            raise _flag_error(f"{what} must be seconds, got {text!r}") from None
        if not low <= seconds <= high:
            raise _flag_error(f"{what} must be between {low:g} and {high:g} s")
        return seconds

    parse.__name__ = what
    return parse


def _flag_error(message: str) -> Exception:
    import argparse  # here: only the command line parses flags

    return argparse.ArgumentTypeError(message)
