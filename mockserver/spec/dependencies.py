"""Rules across parameters OpenAPI cannot state ("asset_ids or labels", OAI issue 256), in an
operation's ``x-dependencies`` in IDL4OAS notation (only ``Or(a, b, ...)``): parsed when the
spec loads, enforced for every vendor after each parameter alone, as a framework validates
each before the endpoint sees them together (FastAPI answers the first 422 alone)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.errors import SpecError
from mockserver.params.errors import ParamError

_OR = re.compile(r"\s*Or\s*\(([^()]*)\)\s*;?\s*")
MISSING_ONE_OF = "missing_one_of"
#: A comma-delimited value counts as given only with a non-blank item (the spec's x-inferred).
_BLANK = re.compile(r"[\s,]*")


@dataclass(frozen=True)
class OneOrMore:
    """``Or(a, b)``: at least one of these parameters is given."""

    names: tuple[str, ...]


def parse_dependencies(
    rules: Any, where: str, parameters: Collection[str]
) -> tuple[OneOrMore, ...]:
    """The rules of one operation's ``x-dependencies``, checked against its parameter names."""
    if rules is None:
        return ()
    if not isinstance(rules, list):
        raise SpecError(f"{where}: x-dependencies must be a list of rules")
    found = []
    for rule in rules:
        match = _OR.fullmatch(str(rule))
        if match is None:
            raise SpecError(f"{where}: x-dependencies rule {rule!r} is not Or(a, b, ...)")
        names = tuple(name.strip() for name in match.group(1).split(",") if name.strip())
        unknown = [name for name in names if name not in parameters]
        if not names or unknown:
            missing = ", ".join(unknown) or "no parameter"
            raise SpecError(
                f"{where}: x-dependencies rule {rule!r} names {missing}, not a parameter"
            )
        found.append(OneOrMore(names))
    return tuple(found)


def given(value: Any) -> bool:
    """Whether a parameter value (decoded, or as Schemathesis generated it) was provided."""
    if value is None:
        return False
    if isinstance(value, (list, tuple)):
        return any(given(item) for item in value)
    return not (isinstance(value, str) and _BLANK.fullmatch(value))


def broken(
    rules: tuple[OneOrMore, ...], values: Mapping[str, Any], locations: Mapping[str, str]
) -> list[ParamError]:
    """One error per rule none of whose parameters ``values`` gives, located at the rule's
    first parameter (``ctx["others"]``: the rest)."""
    return [
        ParamError(
            MISSING_ONE_OF,
            locations[rule.names[0]],
            rule.names[0],
            None,
            {"others": list(rule.names[1:])},
        )
        for rule in rules
        if not any(given(values.get(name)) for name in rule.names)
    ]
