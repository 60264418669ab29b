"""What the request path and the control plane may ask of mutable state: protocols, and the
in-process stores a shared one extends (overrides, rate-limit windows). Kept small on purpose: a
shared implementation makes each method one round trip, or none."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mockserver.journal.record import Record
from mockserver.state.ledger import Ledger
from mockserver.state.values import Fault, OperationKey, Preference, Scenario

if TYPE_CHECKING:
    from mockserver.journal.masking import Masker


class JournalStore(Protocol):
    """A bounded log of requests, oldest first; ids increase in arrival order. ``append`` never
    waits; every read sees each request answered before it, by any process sharing the journal,
    so a shared one may wait: read it off the serving event loop."""

    size: int

    def append(self, record: Record) -> None: ...

    def records(self, since: int = 0) -> list[tuple[int, Record]]:
        """Every kept record with an id above ``since``, with its id, oldest first."""

    def clear(self) -> int:
        """Forget every record answered so far; return how many there were."""

    def __len__(self) -> int: ...


class OverrideStore:
    """Scenarios (forced answers per operation) and faults (latency, error rate) of one process:
    the in-process store, and the local copy a shared one keeps current. Fault draws come from
    one seeded ``random.Random``: the same seed and request order give the same faults."""

    def __init__(self, seed: int = 0, base: Fault | None = None) -> None:
        #: The command-line fault: what ``reset`` returns to.
        self.base = base or Fault()
        self._seed = seed
        self._lock = threading.Lock()
        self._scenarios: dict[OperationKey, Scenario] = {}
        self._global = self.base
        self._operations: dict[OperationKey, Fault] = {}
        self._random = random.Random(seed)
        #: Any fault set? Any scenario? Read on every request: attributes kept current.
        self.faulty = not self.base.idle
        self.has_scenarios = False

    # -- scenarios ---------------------------------------------------------------------------
    def set_scenario(self, key: OperationKey, scenario: Scenario) -> None:
        with self._lock:
            self._scenarios[key] = scenario
            self._refresh()

    def clear_scenario(self, key: OperationKey) -> bool:
        with self._lock:
            found = self._scenarios.pop(key, None) is not None
            self._refresh()
            return found

    def clear_scenarios(self) -> None:
        with self._lock:
            self._scenarios = {}
            self._refresh()

    def take(self, key: OperationKey) -> Preference | None:
        """The forced preference for one request of ``key``, counting its scenario down."""
        with self._lock:
            scenario = self._scenarios.get(key)
            if scenario is None:
                return None
            if scenario.times is not None:
                if scenario.times <= 1:
                    del self._scenarios[key]
                    self._refresh()
                else:
                    self._scenarios[key] = scenario._replace(times=scenario.times - 1)
            return scenario.preference

    def scenarios(self) -> dict[OperationKey, Scenario]:
        self.reload()
        with self._lock:
            return dict(self._scenarios)

    # -- faults ------------------------------------------------------------------------------
    def set_fault(self, key: OperationKey | None, fault: Fault) -> None:
        """``key`` ``None``: the global fault."""
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
        """The operation's fault over the global one, field by field."""
        self.reload()
        return self._fault(key)

    def _fault(self, key: OperationKey) -> Fault:
        """The fault in force for ``key``, as this process knows it (the request path's read)."""
        own = self._operations.get(key)
        return own.over(self._global) if own is not None else self._global

    def global_fault(self) -> Fault:
        self.reload()
        return self._global

    def operation_faults(self) -> dict[OperationKey, Fault]:
        self.reload()
        with self._lock:
            return dict(self._operations)

    def draw(self, key: OperationKey, statuses: Sequence[int]) -> tuple[float, int | None]:
        """``(delay in seconds, error status or None)`` for one request of ``key``."""
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

    def reload(self, *, reseed: bool = False) -> None:
        """Before a control-plane read: a shared store reads the truth into its local copy."""

    def _refresh(self) -> None:
        self.has_scenarios = bool(self._scenarios)
        self.faulty = not self._global.idle or any(
            not fault.idle for fault in self._operations.values()
        )

    # -- whole store -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the start-up state: no scenarios, the command-line faults, a fresh seed."""
        with self._lock:
            self._scenarios, self._global, self._operations = {}, self.base, {}
            self._random = random.Random(self._seed)
            self._refresh()


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


class DataStore(Protocol):
    """Data versions per API, numbered as they begin (0: the start-up data). A load or a reset
    ``begin``s one, builds it, then ``commit``s it, which lands only if no newer one has begun:
    a load overtaken by a reset or a newer load never lands."""

    def begin(self, api: str) -> int:
        """A new version number for ``api``, higher than every one before."""

    def commit(self, api: str, version: int, document: Any | None) -> bool:
        """Make ``version`` current; ``False`` (nothing changes) if a newer one has begun."""

    def current(self, api: str) -> tuple[int, Any | None]:
        """The version in force and its document (``None``: the start-up data)."""


class WindowStore(Protocol):
    """Counters per (name, window): how many requests a key made in a rate-limit window."""

    def hit(self, name: str, window: int) -> int:
        """Count one request of ``name`` in ``window``; return the window's count so far."""

    def count(self, name: str, window: int) -> int: ...

    def clear(self) -> None: ...


class Replicable(Protocol):
    """What a shared state needs of one served API to keep its data version in step
    (``runtime.ApiRuntime`` is one). A backend is opaque here: the state only hands back what
    ``build`` made, so it needs no vendor type."""

    version: int
    seed_backend: Any

    def build(self, document: Any) -> Any: ...

    def install(self, backend: Any, version: int | None = None) -> bool: ...


@dataclass(frozen=True)
class State:
    """The mutable state of one mock; a state shared by several processes overrides the
    lifecycle hooks to follow the others."""

    journal: JournalStore
    overrides: OverrideStore
    windows: WindowStore
    data: DataStore
    #: Writes (segments created, edited, deleted, refreshed; the mock clock), in order.
    writes: Ledger

    def attach(self, runtimes: Mapping[str, Replicable], masker: Masker) -> None:
        """Called once the app is built: the APIs whose data versions to follow, and the
        masker secrets pass before they leave the process."""

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """The server's lifespan (ASGI): while it runs, the state follows the others."""
        yield

    def describe(self) -> dict[str, Any]:
        """What health reports about the state (never raises, never blocks for long)."""
        return {"store": "memory"}

    def problems(self) -> list[str]:
        """Why the state cannot do its job (a background loop stopped: health answers 503). A
        lost store is not one: requests go on from the last state."""
        return []

    def close(self) -> None:
        """Stop following; release connections."""
