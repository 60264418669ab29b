"""The write log shared through Redis: one list per mock and a generation counter.

Appends are conditional in a script (the generation and the length must be what the writer
read) and publish an event, so every replica's memos of one log position drop (``Ledger.hint``).
While the store is lost a process serves what it has and refuses writes (503): entries written
alone could not be ordered with the others'.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from mockserver.state.ledger import Entry, WriteRefused
from mockserver.state.redis.link import Link

#: What a bad entry of the list reads as: it keeps its place (numbers stay aligned) and
#: changes nothing.
SKIPPED: Entry = {"op": "skipped"}

#: Event payload: the write log changed.
WRITES_CHANGED = b"writes"

#: KEYS: generation, list. ARGV: since. -> {generation, entries after since}.
READ = """
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('LRANGE', KEYS[2], ARGV[1], -1)}
"""
#: KEYS: generation, list. ARGV: generation, length, entry, channel. -> 1 appended, 0 not.
APPEND = """
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
if redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], 'writes')
return 1
"""
#: KEYS: generation, list. ARGV: channel.
CLEAR = """
redis.call('INCR', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[1], 'writes')
return 1
"""


def entry_of(raw: bytes) -> Entry:
    """An entry as stored, decoded, if a mock could have written it (anyone with access to the
    store can write): a JSON object with a string ``op`` and, when it has one, a finite ``at``."""
    entry = orjson.loads(raw)
    if not isinstance(entry, dict) or not isinstance(entry.get("op"), str):
        raise ValueError("not an entry")
    at = entry.get("at", 0.0)
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise ValueError("its time is not a number")
    return entry


class RedisWriteLog:
    """``WriteLog`` shared through Redis."""

    #: Other processes append too.
    shared = True

    def __init__(self, link: Link) -> None:
        self.link = link
        self._keys = [link.key("writes", "generation"), link.key("writes")]
        self._read = link.slow.register_script(READ)
        self._append = link.slow.register_script(APPEND)
        self._clear = link.script(CLEAR)
        #: What the last read found: served again while the store is lost.
        self._generation = 0

    def read(self, since: int) -> tuple[int, list[Entry]]:
        def call(r: Any) -> tuple[int, list[Entry]]:
            return self._found(since, *self._read(keys=self._keys, args=[since], client=r))

        return self.link.hot(call, self._known)

    async def read_async(self, since: int) -> tuple[int, list[Entry]]:
        async def call() -> tuple[int, list[Entry]]:
            found = await self.link.loop_eval(READ, self._keys, [since])
            return self._found(since, *found)

        return await self.link.hot_async(call, self._known)

    def _found(self, since: int, generation: Any, entries: list[Any]) -> tuple[int, list[Entry]]:
        """What a read found, every entry checked."""
        checked = [
            self.link.checked(f"write log entry {since + i}", entry_of, raw) or SKIPPED
            for i, raw in enumerate(entries, 1)
        ]
        self._generation = int(generation)
        return self._generation, checked

    def _known(self) -> tuple[int, list[Entry]]:
        """A read while the store is lost: nothing new."""
        return self._generation, []

    def append(self, generation: int, at: int, entry: Entry) -> bool:
        def call(r: Any) -> bool:
            args = [generation, at, orjson.dumps(entry), self.link.channel]
            return bool(self._append(keys=self._keys, args=args, client=r))

        def lost() -> bool:
            raise WriteRefused("the shared state store is out of reach: nothing was written", 503)

        return self.link.hot(call, lost)

    def clear(self) -> None:
        self._clear(self._keys, [self.link.channel])
