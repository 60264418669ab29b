"""Find the credential an operation's security requirements ask for.

The engine only knows where a scheme carries its credential; whether a given
credential is accepted is the vendor's :meth:`Backend.authorize`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.spec.model import Operation

#: ``Authorization`` prefix per HTTP auth scheme (RFC 7235 schemes are case-insensitive).
HTTP_PREFIXES = {"bearer": "bearer ", "basic": "basic "}


def _from_scheme(
    scheme: Mapping[str, Any], headers: Mapping[str, str], query: Mapping[str, list[str]]
) -> str | None:
    kind = scheme.get("type")
    if kind == "http":
        value = headers.get("authorization", "")
        prefix = HTTP_PREFIXES.get(scheme.get("scheme", "").lower(), "")
        if value[: len(prefix)].lower() == prefix and value[len(prefix) :].strip():
            return value[len(prefix) :].strip()
        return None
    if kind == "apiKey":
        name = scheme.get("name", "")
        if scheme.get("in") == "query":
            values = query.get(name)
            return values[-1] if values else None
        if scheme.get("in") == "header":
            return headers.get(name.lower()) or None
    return None


def find_credential(
    operation: Operation,
    schemes: Mapping[str, Mapping[str, Any]],
    headers: Mapping[str, str],
    query: Mapping[str, list[str]],
) -> tuple[bool, str | None]:
    """``(satisfied, credential)``: is any requirement of the operation met, and with what."""
    if not operation.security:
        return True, None
    for requirement in operation.security:
        if not requirement:
            return True, None
        found = [_from_scheme(schemes.get(name, {}), headers, query) for name in requirement]
        if all(value is not None for value in found):
            return True, found[0]
    return False, None
