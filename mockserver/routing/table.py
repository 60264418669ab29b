"""Which endpoint answers a path, without a generic router: a concrete path is one dict
lookup; templated ones one regex each, tried in spec order after the concrete ones, as OpenAPI
asks (a parameter matches one path segment, as in Starlette).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from mockserver.errors import RegistryError

E = TypeVar("E")
_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Template:
    """A templated path: its regex (one group per parameter) and the parameter names."""

    pattern: re.Pattern[str]
    names: tuple[str, ...]

    @classmethod
    def of(cls, path: str) -> Template:
        parts = _PARAM.split(path)  # literal, name, literal, name, ..., literal
        regex = "".join(
            re.escape(part) if i % 2 == 0 else "([^/]+)" for i, part in enumerate(parts)
        )
        return cls(re.compile(regex + "$"), tuple(parts[1::2]))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        return None if found is None else dict(zip(self.names, found.groups(), strict=True))


class PathTable(Generic[E]):
    """Spec path -> endpoint; ``match`` gives the endpoint and the path parameters."""

    def __init__(self, endpoints: Mapping[str, E]) -> None:
        self.exact = {path: e for path, e in endpoints.items() if "{" not in path}
        self.templated = [(Template.of(path), e) for path, e in endpoints.items() if "{" in path]

    @classmethod
    def merge(cls, tables: Mapping[str, Mapping[str, E]]) -> PathTable[E]:
        """One table over several APIs' paths; a path two APIs declare is refused."""
        merged: dict[str, E] = {}
        owner: dict[str, str] = {}
        for api, endpoints in tables.items():
            for path, endpoint in endpoints.items():
                if path in merged:
                    raise RegistryError(f"{api} and {owner[path]} both declare the path {path}")
                merged[path], owner[path] = endpoint, api
        return cls(merged)

    def match(self, path: str) -> tuple[E, dict[str, str]] | None:
        endpoint = self.exact.get(path)
        if endpoint is not None:
            return endpoint, {}
        for template, candidate in self.templated:
            params = template.match(path)
            if params is not None:
                return candidate, params
        return None
