"""Inter-parameter dependencies a spec declares in an operation's ``x-dependencies``.

OpenAPI cannot say "either asset_ids or labels must be provided" (upstream limitation:
https://github.com/OAI/OpenAPI-Specification/issues/256), so such a rule lives in the
``x-dependencies`` extension, in the notation of IDL4OAS (the Inter-parameter Dependency
Language for OpenAPI). Only ``Or(a, b, ...)`` is used by our specs; any other rule, or one
naming a parameter the operation does not have, is refused when the spec is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from mockserver.errors import SpecError

_OR = re.compile(r"\s*Or\s*\(([^()]*)\)\s*;?\s*")


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
