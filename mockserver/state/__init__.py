"""Everything a running mock changes, behind one small interface: the request journal, the
scenario and fault overrides, and the rate-limit windows.

The request path and the control plane only see the protocols of ``state.base``; which
implementation runs (in-process here, shared across processes in others) is decided once,
when the app is built.
"""

from mockserver.state.base import DataStore, JournalStore, OverrideStore, State, WindowStore
from mockserver.state.memory import (
    MemoryData,
    MemoryJournal,
    MemoryOverrides,
    MemoryWindows,
    memory_state,
)

__all__ = [
    "DataStore",
    "JournalStore",
    "MemoryData",
    "MemoryJournal",
    "MemoryOverrides",
    "MemoryWindows",
    "OverrideStore",
    "State",
    "WindowStore",
    "memory_state",
]
