"""Inter-parameter dependencies a spec declares (``x-dependencies``), taught to Schemathesis:
without them a positive case omitting both sides of ``Or(asset_ids, labels)`` is "schema-valid"
and a faithful server's 4xx would fail ``positive_data_acceptance``."""

from __future__ import annotations

from typing import Any

from mockserver.spec.dependencies import OneOrMore, given
from mockserver.spec.model import ApiSpec

#: Where a Schemathesis case holds the parameters of each location.
CONTAINERS = ("query", "headers", "path_parameters", "cookies")


def satisfied(rule: OneOrMore, case: Any) -> bool:
    return any(
        name in (given_in := getattr(case, attribute, None) or {}) and given(given_in[name])
        for name in rule.names
        for attribute in CONTAINERS
    )


def install(schema: Any, spec: ApiSpec) -> None:
    """Register the filter on ``schema`` (none for a spec without dependencies)."""
    from schemathesis import GenerationMode

    rules = {(op.method, op.path): op.dependencies for op in spec.operations if op.dependencies}
    if not rules:
        return

    @schema.hook
    def filter_case(context: Any, case: Any) -> bool:
        meta = case.meta
        if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
            return True
        found = rules.get((case.operation.method.upper(), case.operation.path), ())
        return all(satisfied(rule, case) for rule in found)
