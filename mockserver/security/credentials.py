"""Find the credential an operation's security requirements ask for.

The engine only knows where a scheme carries its credential; whether a given
credential is accepted is the vendor's :meth:`Backend.authorize`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from mockserver.spec.model import Operation

#: ``Authorization`` prefix per HTTP auth scheme (RFC 7235 schemes are case-insensitive).
HTTP_PREFIXES = {"bearer": "bearer ", "basic": "basic "}

Headers = Mapping[str, str]
Query = Mapping[str, list[str]]
Extract = Callable[[Headers, Query], "str | None"]


class Source(NamedTuple):
    """Where one security scheme carries its credential: the function that finds it in a
    request, and the request headers it reads (lower-case names; the query string aside)."""

    extract: Extract
    headers: tuple[str, ...] = ()


def _source(scheme: Mapping[str, Any]) -> Source:
    kind, where = scheme.get("type"), scheme.get("in")
    if kind == "http":
        prefix = HTTP_PREFIXES.get(scheme.get("scheme", "").lower(), "")
        size = len(prefix)

        def from_authorization(headers: Headers, query: Query) -> str | None:
            value = headers.get("authorization", "")
            token = value[size:].strip()
            return token if token and value[:size].lower() == prefix else None

        return Source(from_authorization, ("authorization",))
    name = scheme.get("name", "")
    if kind == "apiKey" and where == "query":
        return Source(lambda headers, query: (query.get(name) or [None])[-1])
    if kind == "apiKey" and where == "header":
        key = name.lower()
        return Source(lambda headers, query: headers.get(key) or None, (key,))
    return Source(lambda headers, query: None)


class CredentialFinder:
    """The credential an operation's security requirements ask for; compiled once per
    operation: a request only runs the extractors of its requirements."""

    def __init__(self, operation: Operation, schemes: Mapping[str, Mapping[str, Any]]) -> None:
        sources = [
            [_source(schemes.get(name, {})) for name in requirement]
            for requirement in operation.security
        ]
        #: Per requirement (any one satisfies), the extractors of its schemes (all must find).
        self.requirements = tuple(
            tuple(source.extract for source in requirement) for requirement in sources
        )
        #: The headers a credential may come from (with the query string, all it reads).
        read = (
            name for requirement in sources for source in requirement for name in source.headers
        )
        self.headers = tuple(dict.fromkeys(read))

    def __call__(self, headers: Headers, query: Query) -> tuple[bool, str | None]:
        """``(satisfied, credential)``: is any requirement met (in order; an empty one is met
        by anyone, as are all when there is none), and with what."""
        for extractors in self.requirements:
            found = [extract(headers, query) for extract in extractors]
            if None not in found:
                return True, found[0] if found else None
        return not self.requirements, None
