"""Numbers read from text a user controls (flags, control-API bodies, ``Prefer``), by one rule.

ASCII digits only: ``int()`` and ``float()`` also accept other scripts' digits ("٣"), ``_``
separators and surrounding whitespace, and ``str.isdigit`` accepts superscripts ("²") that
``int()`` then refuses - a mismatch that once turned odd input into a 500.
"""

from __future__ import annotations

import re

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
