"""Inter-parameter dependencies a spec declares, taught to Schemathesis' generator.

OpenAPI cannot say "either asset_ids or labels must be provided" (upstream limitation:
https://github.com/OAI/OpenAPI-Specification/issues/256), so such a rule lives in the
operation's ``x-dependencies`` extension, in the notation of IDL4OAS (the Inter-parameter
Dependency Language for OpenAPI; only ``Or(a, b, ...)`` is used here). Without this, every
positive case that omits both is "schema-valid" and a faithful server's 4xx for it would be
reported by ``positive_data_acceptance``. The check stays on for every case that is generated:
positive cases that break a declared dependency are simply not generated (a ``filter_case``
hook on this schema only), the way Schemathesis documents for parameter dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_OR = re.compile(r"\s*Or\s*\(([^()]*)\)\s*;?\s*")
#: A list-valued parameter sent as ``a,b`` counts as given only with a non-blank item.
_BLANK = re.compile(r"[\s,]*")
LOCATIONS = {"query": "query", "header": "headers", "path": "path_parameters", "cookie": "cookies"}


@dataclass(frozen=True)
class OneOrMore:
    """``Or(a, b)``: at least one of these parameters is given."""

    names: tuple[str, ...]


def parse(rules: Any) -> list[OneOrMore]:
    """The ``Or`` rules of an ``x-dependencies`` list; anything else is not understood here."""
    found = []
    for rule in rules if isinstance(rules, list) else []:
        match = _OR.fullmatch(str(rule))
        if match:
            names = tuple(name.strip() for name in match.group(1).split(",") if name.strip())
            found.append(OneOrMore(names))
    return found


def declared(raw_schema: Mapping[str, Any]) -> dict[tuple[str, str], list[OneOrMore]]:
    """(METHOD, path) -> the dependencies its operation declares."""
    found: dict[tuple[str, str], list[OneOrMore]] = {}
    for path, item in (raw_schema.get("paths") or {}).items():
        for method, operation in item.items():
            if isinstance(operation, Mapping) and operation.get("x-dependencies"):
                found[(method.upper(), path)] = parse(operation["x-dependencies"])
    return found


def _given(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (list, tuple)):
        return any(_given(item) for item in value)
    return not _BLANK.fullmatch(str(value))


def satisfied(rule: OneOrMore, case: Any) -> bool:
    for name in rule.names:
        for attribute in LOCATIONS.values():
            container = getattr(case, attribute, None) or {}
            if name in container and _given(container[name]):
                return True
    return False


def install(schema: Any) -> int:
    """Register the filter on ``schema``; return how many dependencies it enforces."""
    from schemathesis import GenerationMode

    rules = declared(schema.raw_schema)
    if not rules:
        return 0

    @schema.hook
    def filter_case(context: Any, case: Any) -> bool:
        meta = case.meta
        if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
            return True
        found = rules.get((case.operation.method.upper(), case.operation.path), ())
        return all(satisfied(rule, case) for rule in found)

    return sum(len(found) for found in rules.values())
