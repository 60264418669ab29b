"""Inter-parameter dependencies a spec declares, taught to Schemathesis' generator.

The rules are parsed (and checked) once, by the spec loader (``mockserver.spec.dependencies``).
Without them, every positive case that omits both alternatives of ``Or(asset_ids, labels)`` is
"schema-valid" and a faithful server's 4xx for it would be reported by
``positive_data_acceptance``. The check stays on for every case that is generated: positive
cases that break a declared dependency are simply not generated (a ``filter_case`` hook on this
schema only), the way Schemathesis documents for parameter dependencies.
"""

from __future__ import annotations

from typing import Any

from mockserver.params.dependencies import given
from mockserver.spec.dependencies import OneOrMore
from mockserver.spec.model import ApiSpec

LOCATIONS = {"query": "query", "header": "headers", "path": "path_parameters", "cookie": "cookies"}


def declared(spec: ApiSpec) -> dict[tuple[str, str], tuple[OneOrMore, ...]]:
    """(METHOD, path) -> the dependencies its operation declares."""
    return {(op.method, op.path): op.dependencies for op in spec.operations if op.dependencies}


def satisfied(rule: OneOrMore, case: Any) -> bool:
    for name in rule.names:
        for attribute in LOCATIONS.values():
            container = getattr(case, attribute, None) or {}
            if name in container and given(container[name]):
                return True
    return False


def install(schema: Any, spec: ApiSpec) -> int:
    """Register the filter on ``schema``; return how many dependencies it enforces."""
    from schemathesis import GenerationMode

    rules = declared(spec)
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
