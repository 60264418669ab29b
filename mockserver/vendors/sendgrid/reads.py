"""One memo for every read of what SendGrid's writes change (v2 segments, lists, contacts, a
job's status, a search): a repeated read is answered from it while nothing it reads changed.

An answer is a function of the write log folded (its generation and position) and of the mock
clock, which matters only at a few instants: a v2 segment's hourly evaluation, a manual
refresh's own instant (counted once the clock passes it), a contact job falling due (applied by
the clock alone), and midnight in the zone a segment was last refreshed in (``refreshes_used``).
So the account is folded again only when the log's generation or position changed or the clock
left the span around the last fold's ``now`` that crosses none of those instants; the key is
that fold's number and each such zone's day start: equal keys, equal answers. (A number, not the
span: the engine's memo stores an answer under the key it read before the handler ran, which a
span read again after the clock went back could equal.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

import orjson

from mockserver.lru import LruCache
from mockserver.state.ledger import Ledger
from mockserver.vendors.interface import Call, Reply
from mockserver.vendors.sendgrid.contacts import JOB_DELAY, is_job
from mockserver.vendors.sendgrid.evaluate import QueryEngine
from mockserver.vendors.sendgrid.overlay import HOUR, Overlay, Refresh, day_start
from mockserver.vendors.sendgrid.views import View

#: Answers kept (the last ones asked, each for one state of the account), and their bytes.
ANSWERS_KEPT = 256
ANSWER_BYTES_KEPT = 8 << 20
#: A body longer than this (a lookup of 100 emails) is answered, not kept: keys stay small.
MAX_BODY_KEY = 2048
#: Seconds kept clear of an hourly evaluation's edge, where ``evaluated_at``'s float
#: arithmetic may round either way: a read there is rendered, not memoized.
SLACK = 1e-3


class Steady(NamedTuple):
    """The account between two instants of the clock at which an answer may change."""

    #: The log's generation and position.
    generation: int
    position: int
    since: float
    until: float
    #: The zones whose day start an answer reads (each refreshed segment's last refresh's).
    zones: tuple[str, ...]
    overlay: Overlay
    #: The fold's number in this memo: the key, with the zones' day starts if any.
    key: int
    #: The span is all time (no v2 segment, no job pending): the clock changes nothing.
    timeless: bool


def steady(view: View, ledger: Ledger, number: int) -> Steady:
    """The span of the clock around ``view.now`` over which ``view`` renders the same answers
    (empty when ``now`` is too close to an edge)."""
    now, overlay = view.now, view.overlay
    since, until = -math.inf, math.inf
    refreshes: dict[str, list[Refresh]] = {}
    for refresh in overlay.refreshes:
        refreshes.setdefault(refresh.segment_id, []).append(refresh)
    zones = set()
    for created in overlay.created.values():
        mine = refreshes.get(created.id, [])
        for refresh in mine:  # counted (and an anchor) once the clock passes it
            if refresh.at <= now:
                since = max(since, refresh.at)
            else:
                until = min(until, refresh.at)
        zones.update(r.zone for r in mine[-1:])
        at = overlay.evaluated_at(created, now)
        if at is None:
            until = min(until, created.query_set_at + HOUR)
        else:
            since, until = max(since, at + SLACK), min(until, at + HOUR - SLACK)
    # The queue's first job pending is the next to apply (no job id made: a SHA-256 each).
    entries = ledger.entries
    jobs = (entries[i] for i in range(view.engine.book.applied, len(entries)))
    due = next((float(entry["at"]) + JOB_DELAY for entry in jobs if is_job(entry)), math.inf)
    epoch = ledger.generation, ledger.position
    timeless = not overlay.created and due == math.inf
    until = min(until, due)
    return Steady(*epoch, since, until, tuple(sorted(zones)), overlay, number, timeless)


class ReadMemo:
    """The answers of the reads, by operation, parameters, body and :class:`Steady` state.
    ``fold`` is the fresh view (the log synced, the due jobs applied)."""

    def __init__(self, engine: QueryEngine, ledger: Ledger, fold: Callable[[], View]) -> None:
        self.engine = engine
        self.ledger = ledger
        self.fold = fold
        self._answers: LruCache[Reply] = LruCache(
            ANSWERS_KEPT, ANSWER_BYTES_KEPT, lambda reply: len(reply.body)
        )
        self._steady: Steady | None = None
        self._folds = 0
        #: The instant the last key was read at (a timeless key: the fold's).
        self._now = 0.0
        #: Zone -> (the second, its day start).
        self._days: dict[str, tuple[int, float]] = {}

    def state(self) -> tuple[Hashable | None, View | None]:
        """The key of the account now (``None``: not steady here), and the fresh view if one
        was made to find it. The log synced first: another replica's write shows at once."""
        ledger, held = self.ledger, self._steady
        ledger.sync()
        if (
            held is not None
            and held.position == len(ledger.entries)
            and held.generation == ledger.generation
        ):
            if held.timeless:  # no instant ahead or behind: the clock need not be read
                return held.key, None
            now = self._now = ledger.clock()
            if held.since <= now < held.until:
                return self._key(held, now), None
        view = self.fold()
        self._folds += 1
        held = steady(view, ledger, self._folds)
        if not held.since <= view.now < held.until:
            self._steady = None
            return None, view
        self._steady, self._now = held, view.now
        return self._key(held, view.now), view

    def _key(self, held: Steady, now: float) -> Hashable:
        """The fold's number, with the day start of each zone the answers read."""
        if held.zones:
            return held.key, tuple(self._day_start(now, zone) for zone in held.zones)
        return held.key

    def _day_start(self, now: float, zone: str) -> float:
        """``day_start``, kept for the second ``now`` is in: a zone's offsets and transitions
        are whole seconds, so a local date changes only on one."""
        second = math.floor(now)
        held = self._days.get(zone)
        if held is None or held[0] != second:
            held = self._days[zone] = second, day_start(now, zone)
        return held[1]

    def answer(self, call: Call, render: Callable[[View], Reply]) -> Reply:
        """``render``'s answer to ``call`` for the account now, memoized (a refusal it raises
        is not, nor an answer to a body longer than :data:`MAX_BODY_KEY`)."""
        state, view = self.state()
        body = b"" if call.body is None else orjson.dumps(call.body, option=orjson.OPT_SORT_KEYS)
        key = None
        if state is not None and len(body) <= MAX_BODY_KEY:
            params = tuple((name, frozen(value)) for name, value in call.params.items())
            key = (call.operation.operation_id, params, body, state)
            found = self._answers.get(key)
            if found is not None:
                return found
        if view is None:  # rendered at the instant the key was read at (timeless: any)
            assert self._steady is not None
            view = View(self.engine, self._steady.overlay, self._now)
        reply = render(view)
        return reply if key is None else self._answers.put(key, reply)


def frozen(value: Any) -> Hashable:
    """A decoded parameter as part of a key (an array parameter arrives as a list)."""
    return tuple(value) if isinstance(value, list) else value
