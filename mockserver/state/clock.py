"""The mock clock, moved by the control plane so a test can see an hour pass without waiting
one. Every replica must agree on it, so a move is a write-log entry and :class:`MockClock` their
fold: an offset from real time, or a frozen instant (a test on an hour's edge needs time to
stand still)."""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from mockserver.errors import ControlError

#: ISO-8601 durations of days and times (``P1D``, ``PT1H30M``, ``-PT15M``); years and months
#: have no fixed length, so they are refused.
_DURATION = re.compile(
    r"(?P<sign>[-+])?P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_UNIT_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
#: How far the clock may move in one step, either way (100 years).
MAX_STEP = 100 * 365 * 86400.0
#: Where the clock may be: every date an answer prints, a day start in any zone included,
#: stays within what ``datetime`` holds.
EARLIEST, LATEST = (datetime(y, 1, 1, tzinfo=timezone.utc).timestamp() for y in (1900, 9000))


def parse_duration(text: str) -> float:
    """``"PT1H"`` -> 3600.0 (a ``ControlError`` naming the field for anything else)."""
    found = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None or text.strip().rstrip("T").endswith("P"):
        raise ControlError(f"advance: {text!r} is not an ISO-8601 duration such as PT1H or P1D")
    seconds = sum(float(found[unit] or 0) * size for unit, size in _UNIT_SECONDS.items())
    seconds = -seconds if found["sign"] == "-" else seconds
    if abs(seconds) > MAX_STEP:
        raise ControlError("advance: the clock moves at most 100 years at a time")
    return seconds


def parse_instant(text: str) -> float:
    """An ISO-8601 date-time with an offset (``2026-01-01T00:00:00Z``) -> Unix seconds."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ControlError(f"now: {text!r} is not an ISO-8601 date-time") from None
    if when.tzinfo is None:
        raise ControlError(f"now: {text!r} needs an offset (Z or +hh:mm)")
    return when.timestamp()


def clock_entry(change: Mapping[str, Any]) -> dict[str, Any]:
    """A ``PUT /__mockserver/clock`` body -> the write-log entry that moves the clock."""
    known = {"advance", "now", "real"}
    unknown = sorted(set(change) - known)
    if unknown or len(change) != 1:
        raise ControlError(
            "the clock takes exactly one of advance (ISO-8601 duration), now (ISO-8601 "
            "date-time) or real (true)" + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    if "advance" in change:
        return {"op": "clock", "advance": parse_duration(change["advance"])}
    if "now" in change:
        return {"op": "clock", "now": parse_instant(change["now"])}
    if change["real"] is not True:
        raise ControlError("real: only true (back to real time) is accepted")
    return {"op": "clock", "real": True}


@functools.lru_cache(maxsize=1024)
def iso(seconds: float) -> str:
    """Unix seconds -> ``2024-06-03T12:00:00.000Z`` (milliseconds, UTC), as ``datetime``
    spells it (microseconds rounded half to even, then cut). Memoized: an answer spells the
    same few instants request after request; a new one (a write's) is in a second spelled."""
    fraction, whole = math.modf(seconds)
    micros = round(fraction * 1e6)
    if not 0 <= micros < 1_000_000:
        whole, micros = whole + micros // 1_000_000, micros % 1_000_000
    return f"{_second(int(whole))}.{micros // 1000:03d}Z"


@functools.lru_cache(maxsize=64)
def _second(whole: int) -> str:
    return datetime.fromtimestamp(whole, timezone.utc).isoformat()[:-6]


def _moves(entry: Mapping[str, Any]) -> bool:
    """Whether a clock entry moves the clock (else it goes back to real time)."""
    return "advance" in entry or "now" in entry


class MockClock:
    """The fold of the clock's entries: real time plus an offset, or a frozen instant."""

    def __init__(self, real: Callable[[], float] = time.time) -> None:
        self.real = real
        self.offset = 0.0
        self.frozen: float | None = None

    def __call__(self) -> float:
        return self.frozen if self.frozen is not None else self.real() + self.offset

    def landing(self, entry: Mapping[str, Any]) -> float | None:
        """Where ``entry`` would put the clock; ``None`` if out of range (or a value that is
        not a finite number: a shared store may hold anything)."""
        values = [entry[k] for k in ("advance", "now") if k in entry]
        if not all(type(v) in (int, float) and -1e12 < v < 1e12 for v in values):
            return None
        landing = entry["now"] if "now" in entry else self() + entry.get("advance", 0)
        return landing if EARLIEST <= landing <= LATEST else None

    def check(self, entry: Mapping[str, Any]) -> None:
        """A ``ControlError`` if ``entry`` would move the clock out of range."""
        if _moves(entry) and self.landing(entry) is None:
            raise ControlError(f"the clock stays between {iso(EARLIEST)} and {iso(LATEST)}")

    def apply(self, entry: Mapping[str, Any]) -> None:
        """Fold one clock entry; one that would leave the range changes nothing."""
        if not _moves(entry):
            self.restart()
        elif self.landing(entry) is None:
            return
        elif "advance" in entry:
            if self.frozen is not None:
                self.frozen += entry["advance"]
            else:
                self.offset += entry["advance"]
        else:
            self.frozen = entry["now"]

    def restart(self) -> None:
        self.offset, self.frozen = 0.0, None

    def describe(self) -> dict[str, Any]:
        now = self()
        return {
            "now": iso(now),
            "frozen": self.frozen is not None,
            "offset_seconds": round(now - self.real(), 3),
        }
