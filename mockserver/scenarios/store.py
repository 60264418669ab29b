"""Scenarios and faults set at run time: state shared by the control API and the request path.

The request path reads two attributes (``scenarios`` and ``faulty``) when nothing is
set, so an idle store costs nothing measurable. Random draws come from one seeded
``random.Random``: the same seed and request order give the same faults.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mockserver.scenarios.prefer import Preference

OperationKey = tuple[str, str]

#: Statuses an error-rate fault answers with, when the operation declares them.
FAULT_STATUSES = (500, 503)


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
            numbers = [float(part) for part in parts]
        except ValueError:
            raise ValueError(f"latency {value!r} is not MS or MIN-MAX milliseconds") from None
        if len(numbers) not in (1, 2):
            raise ValueError(f"latency {value!r} is not MS or MIN-MAX milliseconds")
        low, high = numbers[0], numbers[-1]
    elif isinstance(value, list | tuple) and len(value) == 2:
        try:
            low, high = float(value[0]), float(value[1])
        except (TypeError, ValueError):
            raise ValueError("latency [MIN, MAX] must hold two numbers") from None
    else:
        raise ValueError("latency must be MS, 'MIN-MAX' or [MIN, MAX] milliseconds")
    if not (0 <= low <= high <= 600_000):
        raise ValueError(f"latency must satisfy 0 <= MIN <= MAX <= 600000 ms, got {low}-{high}")
    return (low, high)


def parse_rate(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("error_rate must be a number between 0 and 1")
    try:
        rate = float(value)
    except ValueError:
        raise ValueError(f"error_rate {value!r} is not a number between 0 and 1") from None
    if not 0 <= rate <= 1:
        raise ValueError(f"error_rate must be between 0 and 1, got {rate}")
    return rate


@dataclass(frozen=True, slots=True)
class Fault:
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


@dataclass(frozen=True, slots=True)
class Scenario:
    """A forced answer for an operation: for the next ``times`` requests, or until cleared."""

    preference: Preference
    times: int | None = None

    def as_dict(self) -> dict[str, Any]:
        pref = self.preference
        return {
            "code": pref.code,
            "example": pref.example,
            "dynamic": pref.dynamic,
            "remaining": self.times,
        }


class ScenarioStore:
    def __init__(self, seed: int = 0, base: Fault | None = None) -> None:
        self.base = base or Fault()
        self._seed = seed
        self._lock = threading.Lock()
        self.scenarios: dict[OperationKey, Scenario] = {}
        self.global_fault = self.base
        self.operation_faults: dict[OperationKey, Fault] = {}
        self.faulty = not self.base.idle
        self._random = random.Random(seed)

    # -- scenarios ---------------------------------------------------------------------------
    def set_scenario(self, key: OperationKey, scenario: Scenario) -> None:
        with self._lock:
            self.scenarios[key] = scenario

    def clear_scenario(self, key: OperationKey) -> bool:
        with self._lock:
            return self.scenarios.pop(key, None) is not None

    def reset_scenarios(self) -> None:
        with self._lock:
            self.scenarios = {}

    def take(self, key: OperationKey) -> Preference | None:
        """The forced preference for one request of ``key``, counting it down."""
        with self._lock:
            scenario = self.scenarios.get(key)
            if scenario is None:
                return None
            if scenario.times is not None:
                if scenario.times <= 1:
                    del self.scenarios[key]
                else:
                    self.scenarios[key] = replace(scenario, times=scenario.times - 1)
            return scenario.preference

    # -- faults ------------------------------------------------------------------------------
    def set_fault(self, key: OperationKey | None, fault: Fault) -> None:
        with self._lock:
            if key is None:
                self.global_fault = fault
            else:
                self.operation_faults[key] = fault
            self._refresh()

    def clear_fault(self, key: OperationKey | None) -> bool:
        with self._lock:
            if key is None:
                self.global_fault, self.operation_faults = self.base, {}
                found = True
            else:
                found = self.operation_faults.pop(key, None) is not None
            self._refresh()
            return found

    def fault_for(self, key: OperationKey) -> Fault:
        own = self.operation_faults.get(key)
        return own.over(self.global_fault) if own is not None else self.global_fault

    def draw(self, key: OperationKey, statuses: Sequence[int]) -> tuple[float, int | None]:
        """``(delay in seconds, error status or None)`` for one request of ``key``."""
        fault = self.fault_for(key)
        with self._lock:
            delay = 0.0
            if fault.latency and fault.latency[1] > 0:
                low, high = fault.latency
                delay = (low if low == high else self._random.uniform(low, high)) / 1000
            status = None
            if fault.error_rate and statuses and self._random.random() < fault.error_rate:
                status = self._random.choice(list(statuses))
            return delay, status

    def _refresh(self) -> None:
        self.faulty = not self.global_fault.idle or any(
            not fault.idle for fault in self.operation_faults.values()
        )

    # -- whole store -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the start-up state: no scenarios, the command-line faults, a fresh seed."""
        with self._lock:
            self.scenarios = {}
            self.global_fault, self.operation_faults = self.base, {}
            self._random = random.Random(self._seed)
            self._refresh()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "scenarios": {f"{a}/{o}": s.as_dict() for (a, o), s in self.scenarios.items()},
                "faults": {
                    "global": self.global_fault.as_dict(),
                    "operations": {
                        f"{a}/{o}": f.as_dict() for (a, o), f in self.operation_faults.items()
                    },
                },
            }
