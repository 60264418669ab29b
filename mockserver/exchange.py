"""One request and what the mock learns while answering it, made once and handed along: fields,
not string keys in the ASGI scope, so a typo is an ``AttributeError``, not a silent ``None``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Scope

#: An exchange's ``source`` when the mock's own pipeline answered.
MOCK = "mock"


@dataclass(slots=True, eq=False)
class Exchange:
    """One HTTP exchange: the request as received (``scope``) and notes on its answer."""

    scope: Scope
    #: ``time.perf_counter()`` when the request reached the app (the journal's ``ms``).
    started: float
    #: The spec path's parameters (``{segment_id}``...), as the path table matched them.
    path_params: dict[str, str] = field(default_factory=dict)
    #: ``(api, operationId)`` once an operation is chosen.
    operation: tuple[str, str] | None = None
    #: Notes for the journal entry and the log line (an unknown query parameter...).
    warnings: tuple[str, ...] = ()
    #: Spec violations found in the request or answer (``{where, path, message}``).
    violations: tuple[dict[str, Any], ...] = ()
    #: Who answered: ``mock``, ``replay``, ``proxy``.
    source: str = MOCK
    #: The request body as received, when the operation declares one (``TOO_LARGE`` past its
    #: limit).
    body: Any = None


def first_values(headers: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header name -> its first value, as text, as Starlette's ``Headers.get`` reads it."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(headers)}
