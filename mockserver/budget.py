"""How long a data load may run, and how it is stopped: Python cannot stop a worker thread from
outside, so a load running inside :func:`running` stops itself at its loops'
:func:`checkpoint` (SQLite: :func:`sqlite_guard`'s progress handler) once its deadline passed
or it was cancelled. Outside a load a checkpoint costs one attribute read."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator

from mockserver.errors import ControlError, LimitError

#: The flag a load's time budget is set with (named in the 408 answer).
LOAD_TIMEOUT_FLAG = "--load-timeout"
#: SQLite calls the progress handler every this many virtual-machine instructions (~1 ms).
SQLITE_STEPS = 20_000

_local = threading.local()
#: Every budget of a load in progress: cancelled together when the server shuts down.
_running: weakref.WeakSet[Budget] = weakref.WeakSet()
_running_lock = threading.Lock()


class Budget:
    """A deadline (``seconds`` from now; ``None``: none) and a cancel flag, for one load."""

    def __init__(self, seconds: float | None, what: str = "the data load") -> None:
        self.seconds = seconds
        self.what = what
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.cancelled: str | None = None
        #: Set once the work's result starts landing: a cancel after that is too late.
        self.sealed = False
        self._lock = threading.Lock()
        with _running_lock:
            _running.add(self)

    def cancel(self, reason: str) -> bool:
        """Stop the work at its next checkpoint, for ``reason``; ``False`` if it is too late:
        the result has begun to land (see :meth:`seal`)."""
        with self._lock:
            if self.sealed:
                return False
            if self.cancelled is None:
                self.cancelled = reason
            return True

    def seal(self) -> bool:
        """Claim the right to land the result: ``False`` if cancelled first. Either a cancel
        comes first and nothing lands, or the seal does and the cancel changes nothing."""
        with self._lock:
            if self.cancelled is None:
                self.sealed = True
            return self.sealed

    @property
    def spent(self) -> bool:
        return self.cancelled is not None or (
            self.deadline is not None and time.monotonic() >= self.deadline
        )

    def check(self) -> None:
        if self.cancelled is not None:
            raise ControlError(
                f"{self.what} was cancelled ({self.cancelled}); nothing was changed", status=409
            )
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise LimitError(
                f"{self.what} took longer than {LOAD_TIMEOUT_FLAG} {self.seconds:g} s and was "
                "stopped; nothing was changed",
                limit=LOAD_TIMEOUT_FLAG,
                status=408,
            )


@contextlib.contextmanager
def running(budget: Budget) -> Iterator[Budget]:
    """Run the block under ``budget``: its checkpoints (in this thread) answer to it."""
    previous = getattr(_local, "budget", None)
    _local.budget = budget
    try:
        yield budget
    finally:
        _local.budget = previous
        with _running_lock:
            _running.discard(budget)


def checkpoint() -> None:
    """Raise if the load running in this thread is out of time or cancelled; else nothing."""
    budget = getattr(_local, "budget", None)
    if budget is not None:
        budget.check()


def cancel_all(reason: str) -> int:
    """Cancel every load in progress (the server is stopping); return how many."""
    with _running_lock:
        budgets = list(_running)
    for budget in budgets:
        budget.cancel(reason)
    return len(budgets)


def sqlite_guard(db: sqlite3.Connection) -> None:
    """Make ``db``'s statements stop (``OperationalError("interrupted")``, which
    :func:`raise_if_interrupted` turns into the budget's error) when the current load must."""
    budget = getattr(_local, "budget", None)
    if budget is not None:
        db.set_progress_handler(lambda: 1 if budget.spent else 0, SQLITE_STEPS)


def raise_if_interrupted(error: sqlite3.Error) -> None:
    """After a failed statement: the budget's error if the budget stopped it."""
    if isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error):
        checkpoint()
