"""Progress of long work, so a user can tell a build from a hang: a live bar on a terminal
(rich's, imported only then), else a log line every few seconds. Work expected to be short says
nothing: the default start-up pays one comparison."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger("mockserver.progress")

#: Work expected to take at least this many seconds reports its progress.
THRESHOLD = 1.0
#: Seconds between two log lines of one piece of work (when no bar is shown).
INTERVAL = 5.0
#: ``Task.through`` steps once per this many items.
CHUNK = 1 << 15

T = TypeVar("T")


class Task:
    """One piece of work: ``step`` says how far it is, ``finish`` what it made. This base class
    is the silent task of short work: every call does nothing."""

    def step(self, done: float, doing: str = "") -> None:
        """``done``: the fraction finished (0-1); ``doing``: what it is busy with."""

    def finish(self, figures: str, verb: str = "built") -> None:
        """The closing line: ``{what}: {figures} {verb} in {seconds} s``."""

    def through(self, items: Iterable[T], total: int, start: float, end: float) -> Iterable[T]:
        """``items`` as they are consumed, stepping from ``start`` to ``end`` of the work."""
        return items

    def __enter__(self) -> Task:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Ends the display (a failed build says nothing more: its error is reported)."""


SILENT = Task()


#: One bar on the terminal at a time: a second long task meanwhile logs its progress.
_ONE_BAR = threading.Lock()


class LoggedTask(Task):
    """Progress as log lines every ``interval`` seconds (from a daemon thread, so a long step
    still shows life); given a ``display`` (rich's ``Progress``, holding :data:`_ONE_BAR`) a
    live bar replaces them."""

    def __init__(
        self, what: str, interval: float, clock: Callable[[], float], display: Any = None
    ) -> None:
        self.what = what
        self.clock = clock
        self.started = clock()
        self.done = 0.0
        self.doing = "starting"
        self.display = display
        self._ended = threading.Event()
        log.info("%s: building (this takes a while)", what)
        if display is not None:
            self.bar = display.add_task(self.label, total=100)
            display.start()
        elif interval > 0:
            threading.Thread(
                target=self._tick, args=(interval,), name="progress", daemon=True
            ).start()

    @property
    def label(self) -> str:
        return f"{self.what}: {self.doing}"

    def _tick(self, interval: float) -> None:
        while not self._ended.wait(interval):
            self.report()

    def report(self) -> None:
        seconds = self.clock() - self.started
        log.info("%s: %d%% (%s), %.1f s", self.what, self.done * 100, self.doing, seconds)

    def step(self, done: float, doing: str = "") -> None:
        self.done = max(self.done, min(done, 1.0))
        self.doing = doing or self.doing
        if self.display is not None:
            self.display.update(self.bar, completed=self.done * 100, description=self.label)

    def finish(self, figures: str, verb: str = "built") -> None:
        self._end()
        seconds = self.clock() - self.started
        log.info("%s: %s %s in %.1f s", self.what, figures, verb, seconds)

    def through(self, items: Iterable[T], total: int, start: float, end: float) -> Iterator[T]:
        span = (end - start) / max(total, 1)
        for count, item in enumerate(items, 1):
            if not count % CHUNK:
                self.step(start + count * span)
            yield item
        self.step(end)

    def _end(self) -> None:
        if not self._ended.is_set():
            self._ended.set()
            if self.display is not None:
                self.display.stop()
                _ONE_BAR.release()

    def __exit__(self, *exc_info: object) -> None:
        self._end()


def rich_display() -> Any | None:
    """A rich progress display on stderr, or ``None`` without rich."""
    try:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn
    except ImportError:
        return None
    columns = ("{task.description}", BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True)


@dataclass
class Reporter:
    """Where progress goes. ``threshold``: seconds of expected work below which a task is
    silent; ``live``: a bar on the terminal (else log lines every ``interval`` seconds)."""

    threshold: float = THRESHOLD
    live: bool = False
    interval: float = INTERVAL
    clock: Callable[[], float] = time.monotonic
    #: Makes the bar's display (rich's ``Progress`` API), or ``None`` when it cannot.
    display: Callable[[], Any | None] = rich_display

    def task(self, what: str, expected_seconds: float) -> Task:
        """The progress of ``what``, which is expected to take about ``expected_seconds``."""
        if expected_seconds < self.threshold or not log.isEnabledFor(logging.INFO):
            return SILENT
        if self.live and _ONE_BAR.acquire(blocking=False):
            display = self.display()
            if display is not None:
                return LoggedTask(what, 0, self.clock, display)
            _ONE_BAR.release()
        return LoggedTask(what, self.interval, self.clock)


#: The process's reporter (``VendorOptions.progress``'s default); the CLI turns its bar on.
REPORTER = Reporter()
