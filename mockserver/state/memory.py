"""In-process state: the default, one process's journal, overrides and rate-limit windows.

Thread-safe (data loads and the pytest fixture run outside the event loop) and cheap when idle:
the request path reads ``faulty`` and ``has_scenarios`` as attributes. Fault draws come from one
seeded ``random.Random``: the same seed and request order give the same faults.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from mockserver.journal.record import Record
from mockserver.state.base import State
from mockserver.state.ledger import Ledger, MemoryWriteLog
from mockserver.state.values import Fault, OperationKey, Preference, Scenario


class MemoryJournal:
    """A ring buffer of the latest ``size`` records."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self.size = size
        self._records: deque[tuple[int, Record]] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def append(self, record: Record) -> None:
        # No lock: only the event loop appends, and ``next`` and ``deque.append`` are each
        # atomic; readers and ``clear`` (other threads too) take the lock.
        self._records.append((next(self._ids), record))

    def records(self, since: int = 0) -> list[tuple[int, Record]]:
        with self._lock:
            snapshot = list(self._records)
        if since and snapshot and snapshot[0][0] <= since:
            snapshot = [(id_, record) for id_, record in snapshot if id_ > since]
        return snapshot

    def clear(self) -> int:
        with self._lock:
            count = len(self._records)
            self._records.clear()
        return count

    def __len__(self) -> int:
        return len(self._records)


class MemoryOverrides:
    """Scenarios and faults of one process."""

    def __init__(self, seed: int = 0, base: Fault | None = None) -> None:
        #: The command-line fault: what ``reset`` returns to.
        self.base = base or Fault()
        self._seed = seed
        self._lock = threading.Lock()
        self._scenarios: dict[OperationKey, Scenario] = {}
        self._global = self.base
        self._operations: dict[OperationKey, Fault] = {}
        self._random = random.Random(seed)
        self.faulty = not self.base.idle
        self.has_scenarios = False

    # -- scenarios ---------------------------------------------------------------------------
    def set_scenario(self, key: OperationKey, scenario: Scenario) -> None:
        with self._lock:
            self._scenarios[key] = scenario
            self.has_scenarios = True

    def clear_scenario(self, key: OperationKey) -> bool:
        with self._lock:
            found = self._scenarios.pop(key, None) is not None
            self.has_scenarios = bool(self._scenarios)
            return found

    def clear_scenarios(self) -> None:
        with self._lock:
            self._scenarios = {}
            self.has_scenarios = False

    def take(self, key: OperationKey) -> Preference | None:
        with self._lock:
            scenario = self._scenarios.get(key)
            if scenario is None:
                return None
            if scenario.times is not None:
                if scenario.times <= 1:
                    del self._scenarios[key]
                    self.has_scenarios = bool(self._scenarios)
                else:
                    self._scenarios[key] = replace(scenario, times=scenario.times - 1)
            return scenario.preference

    def scenarios(self) -> dict[OperationKey, Scenario]:
        with self._lock:
            return dict(self._scenarios)

    # -- faults ------------------------------------------------------------------------------
    def set_fault(self, key: OperationKey | None, fault: Fault) -> None:
        with self._lock:
            if key is None:
                self._global = fault
            else:
                self._operations[key] = fault
            self._refresh()

    def clear_fault(self, key: OperationKey | None) -> bool:
        with self._lock:
            if key is None:
                self._global, self._operations = self.base, {}
                found = True
            else:
                found = self._operations.pop(key, None) is not None
            self._refresh()
            return found

    def fault_for(self, key: OperationKey) -> Fault:
        return self._fault(key)

    def _fault(self, key: OperationKey) -> Fault:
        """The fault in force for ``key``, as this process knows it (the request path's read)."""
        own = self._operations.get(key)
        return own.over(self._global) if own is not None else self._global

    def global_fault(self) -> Fault:
        return self._global

    def operation_faults(self) -> dict[OperationKey, Fault]:
        with self._lock:
            return dict(self._operations)

    def draw(self, key: OperationKey, statuses: Sequence[int]) -> tuple[float, int | None]:
        fault = self._fault(key)
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
        self.faulty = not self._global.idle or any(
            not fault.idle for fault in self._operations.values()
        )

    # -- whole store -------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._scenarios = {}
            self.has_scenarios = False
            self._global, self._operations = self.base, {}
            self._random = random.Random(self._seed)
            self._refresh()


class MemoryData:
    """Data versions of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._begun: dict[str, int] = {}
        self._current: dict[str, tuple[int, Any | None]] = {}

    def begin(self, api: str) -> int:
        with self._lock:
            version = self._begun[api] = self._begun.get(api, 0) + 1
            return version

    def commit(self, api: str, version: int, document: Any | None) -> bool:
        with self._lock:
            if version != self._begun.get(api, 0):
                return False
            self._current[api] = (version, document)
            return True

    def current(self, api: str) -> tuple[int, Any | None]:
        with self._lock:
            return self._current.get(api, (0, None))


class MemoryWindows:
    """Request counts per (name, window); only the newest window is kept (memory stays flat)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, name: str, window: int) -> int:
        with self._lock:
            self._roll(window)
            count = self._counts.get(name, 0) + 1
            if window == self._window:
                self._counts[name] = count
            return count

    def count(self, name: str, window: int) -> int:
        with self._lock:
            self._roll(window)
            return self._counts.get(name, 0) if window == self._window else 0

    def clear(self) -> None:
        with self._lock:
            self._window, self._counts = -1, {}

    def _roll(self, window: int) -> None:
        if window > self._window:
            self._window, self._counts = window, {}


def memory_state(journal_size: int, seed: int = 0, base_fault: Fault | None = None) -> State:
    """The state of a single-process mock."""
    return State(
        MemoryJournal(journal_size),
        MemoryOverrides(seed, base_fault),
        MemoryWindows(),
        MemoryData(),
        Ledger(MemoryWriteLog()),
    )
