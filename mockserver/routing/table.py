"""Which endpoint answers a path, without a generic router: a concrete path is one dict
lookup; templated ones one regex each, tried after the concrete ones, as OpenAPI asks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mockserver.errors import RegistryError

E = TypeVar("E")
_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Template:
    """A templated path: its regex, one group per parameter. The groups are named after the
    parameters when the names allow it (``groupdict`` is then the parameters, 0.3 µs a request
    less than pairing names with groups); ``names`` pairs them otherwise."""

    pattern: re.Pattern[str]
    names: tuple[str, ...] | None

    @classmethod
    def of(cls, path: str) -> Template:
        parts = _PARAM.split(path)  # literal, name, literal, name, ..., literal
        names = parts[1::2]
        named = all(n.isidentifier() for n in names) and len(set(names)) == len(names)
        group = "(?P<{}>[^/]+)" if named else "([^/]+)"
        regex = "".join(
            re.escape(part) if i % 2 == 0 else group.format(part) for i, part in enumerate(parts)
        )
        return cls(re.compile(regex + "$"), None if named else tuple(names))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        if found is None:
            return None
        if self.names is None:
            return found.groupdict()
        return dict(zip(self.names, found.groups(), strict=True))


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


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _shared(a: list[str], b: list[str]) -> int:
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right and not right.startswith("{"):
            break
        count += 1
    return count


def owner_of(path: str, candidates: Sequence[tuple[Sequence[str], E]]) -> E:
    """Whose dialect answers a path no operation matches: the owner among ``(paths, owner)``
    whose paths share the most leading segments with it (ties: the first)."""
    wanted = _segments(path)
    best, best_score = candidates[0][1], 0
    for paths, owner in candidates:
        score = max((_shared(wanted, _segments(p)) for p in paths), default=0)
        if score > best_score:
            best, best_score = owner, score
    return best
