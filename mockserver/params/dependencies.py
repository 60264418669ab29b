"""The spec's ``x-dependencies`` enforced on decoded parameters, as a neutral error.

A rule across parameters (``Or(asset_ids, labels)``) is stated once, in the spec; the engine
checks it here for every vendor, and the vendor's dialect words the :class:`ParamError` (kind
``missing_one_of``, located at the rule's first parameter, ``ctx["others"]`` the rest). It is
checked only once every parameter decoded: a framework validates each parameter before the
endpoint sees the combination (FastAPI answers the first 422 alone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mockserver.params.errors import ParamError
from mockserver.spec.dependencies import OneOrMore

MISSING_ONE_OF = "missing_one_of"
#: A comma-delimited value counts as given only with a non-blank item (the spec's x-inferred).
_BLANK = re.compile(r"[\s,]*")


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
    """One error per rule none of whose parameters ``values`` gives."""
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
