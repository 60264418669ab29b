"""Every error mockserver raises on purpose, under one root, each kind saying who is at fault;
anything else that escapes is a bug and is answered as one."""

from __future__ import annotations

from typing import Any


class MockServerError(Exception):
    """Root of the errors mockserver raises on purpose. ``reasons`` lists every problem found."""

    def __init__(self, reasons: list[str] | str) -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else [str(r) for r in reasons]
        super().__init__("; ".join(self.reasons))


class SpecError(MockServerError):
    """A spec document that cannot be served (not OpenAPI, an unresolvable ``$ref``...)."""


class RegistryError(MockServerError):
    """A table keyed by spec names names something unknown: raised while the app is built, so a
    misspelled key fails at start-up, not at request time."""


class DataError(MockServerError):
    """A data version cannot be built (invalid fixtures or a data document); nothing changes."""


class LimitError(DataError):
    """A document or a data load past one of the mock's limits; ``limit`` names it (a flag or a
    field: what to raise or shrink), ``status`` is 413 (too large) or 408 (out of time)."""

    def __init__(self, reasons: list[str] | str, *, limit: str, status: int = 413) -> None:
        super().__init__(reasons)
        self.limit = limit
        self.status = status


class InvalidDocument(DataError):
    """A YAML or JSON document that does not parse; ``line`` and ``column`` (1-based) and the
    parser's ``problem`` when it says where."""

    def __init__(
        self,
        reasons: list[str] | str,
        *,
        line: int | None = None,
        column: int | None = None,
        problem: str | None = None,
    ) -> None:
        super().__init__(reasons)
        self.line = line
        self.column = column
        self.problem = problem


class ConformanceError(MockServerError):
    """A reply that contradicts the spec; raised loudly in ``--validate-responses`` mode."""


class ControlError(MockServerError):
    """A refused control-plane request: the HTTP ``status`` and every reason."""

    def __init__(
        self,
        message: str,
        reasons: list[str] | None = None,
        status: int = 400,
        *,
        limit: str | None = None,
    ) -> None:
        super().__init__(reasons or [message])
        self.message = message
        self.status = status
        #: The limit a refusal is about (``--max-load-bytes``...), named in the answer.
        self.limit = limit

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"error": self.message, "reasons": self.reasons}
        if self.limit is not None:
            found["limit"] = self.limit
        return found


class StateUnavailable(MockServerError):
    """The shared state store (``--state``) cannot be reached; nothing was changed (the data
    plane goes on from the last state it knew)."""

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(f"the state store {store} is unreachable: {reason}")
        self.store = store

    def as_dict(self) -> dict[str, Any]:
        return {"error": str(self), "store": self.store, "reasons": self.reasons}
