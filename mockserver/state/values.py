"""The vocabulary of overrides: what a scenario forces and what a fault injects. Plain values,
in the state layer because the stores are their lowest user."""

from __future__ import annotations

from typing import Any, NamedTuple

from mockserver.numbers import parse_decimal

OperationKey = tuple[str, str]

#: Statuses an error-rate fault answers with, when the operation declares them.
FAULT_STATUSES = (500, 503)


class Preference(NamedTuple):
    """What one request (or a stored scenario) asks the operation to answer."""

    code: int | None = None
    example: str | None = None
    dynamic: bool = False

    @property
    def empty(self) -> bool:
        return self.code is None and self.example is None and not self.dynamic

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "example": self.example, "dynamic": self.dynamic}


def parse_latency(value: Any) -> tuple[float, float] | None:
    """``100``, ``"100"``, ``"50-200"`` or ``[50, 200]`` (milliseconds) -> ``(min, max)``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("latency must be milliseconds: MS or MIN-MAX")
    if isinstance(value, int | float):
        low = high = float(value)
    elif isinstance(value, str):
        parts = value.strip().split("-")
        try:
            numbers = [parse_decimal(part.strip()) for part in parts]
        except ValueError:
            raise ValueError(f"latency {value!r} is not MS or MIN-MAX milliseconds") from None
        if len(numbers) not in (1, 2):
            raise ValueError(f"latency {value!r} is not MS or MIN-MAX milliseconds")
        low, high = numbers[0], numbers[-1]
    elif isinstance(value, list | tuple) and len(value) == 2:
        try:
            low, high = _number(value[0]), _number(value[1])
        except (TypeError, ValueError):
            raise ValueError("latency [MIN, MAX] must hold two numbers") from None
    else:
        raise ValueError("latency must be MS, 'MIN-MAX' or [MIN, MAX] milliseconds")
    if not (0 <= low <= high <= 600_000):
        raise ValueError(f"latency must satisfy 0 <= MIN <= MAX <= 600000 ms, got {low}-{high}")
    return (low, high)


def _number(value: Any) -> float:
    """A JSON number as it is, or a string of ASCII digits (``numbers.parse_decimal``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("not a number")
    return parse_decimal(value.strip()) if isinstance(value, str) else float(value)


def parse_rate(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("error_rate must be a number between 0 and 1")
    try:
        rate = _number(value)
    except ValueError:
        raise ValueError(f"error_rate {value!r} is not a number between 0 and 1") from None
    if not 0 <= rate <= 1:
        raise ValueError(f"error_rate must be between 0 and 1, got {rate}")
    return rate


class Fault(NamedTuple):
    """Latency (ms range) and error rate; ``None`` fields inherit from the global fault."""

    latency: tuple[float, float] | None = None
    error_rate: float | None = None

    @property
    def idle(self) -> bool:
        return (self.latency is None or self.latency[1] == 0) and not self.error_rate

    def over(self, base: Fault) -> Fault:
        return Fault(
            self.latency if self.latency is not None else base.latency,
            self.error_rate if self.error_rate is not None else base.error_rate,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": list(self.latency) if self.latency else None,
            "error_rate": self.error_rate,
        }

    @classmethod
    def from_json(cls, body: Any) -> Fault:
        if not isinstance(body, dict):
            raise ValueError('a fault is a JSON object: {"latency": ..., "error_rate": ...}')
        unknown = set(body) - {"latency", "latency_ms", "error_rate"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        latency = body.get("latency", body.get("latency_ms"))
        return cls(parse_latency(latency), parse_rate(body.get("error_rate")))


class Scenario(NamedTuple):
    """A forced answer for an operation: for the next ``times`` requests, or until cleared."""

    preference: Preference
    times: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.preference.as_dict(), "remaining": self.times}
