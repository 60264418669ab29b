"""Data versions and rate-limit windows shared through Redis (docs/SCALING.md)."""

from __future__ import annotations

import functools
from typing import Any

import orjson
import yaml

from mockserver.errors import DataError, MockServerError
from mockserver.lru import LruCache
from mockserver.serialize import load_yaml
from mockserver.state.base import MemoryWindows
from mockserver.state.redis.link import RAISE, Link, count_of

#: Event payload: some API's data version changed.
DATA_CHANGED = b"data"
#: Event payload: the rate-limit windows were cleared.
WINDOWS_CLEARED = b"windows"

#: The scripts read a counter that is not a number (anyone with access can write one) as a lost
#: one, never as an error that would refuse every later call.
#: KEYS: begun counter, current hash. ARGV: version, document, channel.
COMMIT = """
if tonumber(redis.call('GET', KEYS[1])) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], 'version', ARGV[1], 'document', ARGV[2])
redis.call('PUBLISH', ARGV[3], 'data')
return 1
"""

#: KEYS: the begun counter. ARGV: the highest version this process knows. The next number,
#: above both (a store that restarted empty goes on numbering above what replicas serve).
BEGIN = """
local v = (tonumber(redis.call('GET', KEYS[1])) or 0) + 1
if v <= tonumber(ARGV[1]) then v = tonumber(ARGV[1]) + 1 end
redis.call('SET', KEYS[1], v)
return v
"""

YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def encode_document(document: Any | None) -> bytes:
    """``b""`` for the start-up data; ``j`` + JSON when JSON keeps every value as it is;
    else ``y`` + YAML (which keeps dates and non-string keys, as the YAML loader read them)."""
    if document is None:
        return b""
    try:
        return b"j" + orjson.dumps(document, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except TypeError:
        return b"y" + yaml.dump(document, Dumper=YAML_DUMPER, allow_unicode=True).encode()


def decode_document(raw: bytes | None) -> Any | None:
    """What :func:`encode_document` wrote; ``ValueError`` for anything else (a bad entry)."""
    if not raw:
        return None
    if raw[:1] == b"j":
        return orjson.loads(raw[1:])
    if raw[:1] == b"y":
        try:
            return load_yaml(raw[1:])
        except MockServerError as exc:
            raise ValueError(str(exc)) from None
    raise ValueError("not a stored document")


class RedisData:
    """``DataStore`` shared through Redis."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._commit = link.script(COMMIT)
        self._raise = link.script(RAISE)
        self._begin = link.script(BEGIN)
        #: The highest version this process has seen per API.
        self._seen: dict[str, int] = {}
        #: Versions this process committed: its own load installs them, the follower need not.
        self.own: set[tuple[str, int]] = set()

    def _keys(self, api: str) -> tuple[str, str]:
        return self.link.key("data", api, "begun"), self.link.key("data", api)

    def _see(self, api: str, version: int) -> int:
        self._seen[api] = max(self._seen.get(api, 0), version)
        return version

    def begin(self, api: str) -> int:
        return self._see(api, int(self._begin([self._keys(api)[0]], [self._seen.get(api, 0)])))

    def commit(self, api: str, version: int, document: Any | None) -> bool:
        raw = encode_document(document)
        self.own.add((api, version))
        return bool(self._commit(list(self._keys(api)), [version, raw, self.link.channel]))

    def current(self, api: str) -> tuple[int, Any | None]:
        """The version in force and its document; a :class:`DataError` when the store holds
        something else there (the version is then not built, and logged)."""
        version, raw = self.link.control(
            lambda r: r.hmget(self._keys(api)[1], "version", "document")
        )
        try:
            return count_of(version) or 0, decode_document(raw)
        except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError included
            raise DataError(f"the stored data version of {api} is unreadable: {exc}") from None

    def keep_numbering(self, api: str, version: int) -> None:
        """A store that forgot (restarted empty) numbers the next versions above ``version``,
        the one this process serves: a new load still reaches every replica."""
        self._see(api, version)
        self._raise([self._keys(api)[0]], [version])

    def versions(self, apis: list[str]) -> dict[str, int]:
        """The version in force of each API (one round trip)."""

        def read(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for api in apis:
                pipe.hget(self._keys(api)[1], "version")
            return pipe.execute()

        found = zip(apis, self.link.control(read), strict=True)
        return {
            api: version
            for api, raw in found
            if (version := self.link.checked(f"data version of {api}", count_of, raw)) is not None
        }


class RedisWindows(MemoryWindows):
    """``WindowStore`` shared through Redis; while the store is lost each process counts alone
    (the in-process windows it extends)."""

    def __init__(self, link: Link, ttl: int = 600) -> None:
        super().__init__()
        self.link = link
        self.ttl = ttl
        #: The count this process last saw per (name, window): what ``count`` answers right
        #: after ``hit`` without a second round trip.
        self._seen: LruCache[int] = LruCache(1024)

    def _key(self, name: str, window: int) -> str:
        return self.link.key("window", str(window), name)

    def hit(self, name: str, window: int) -> int:
        key = self._key(name, window)

        def count(r: Any) -> int:
            pipe = r.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, self.ttl)
            return int(pipe.execute()[0])

        found = self.link.hot(count, functools.partial(super().hit, name, window))
        return self._seen.put((name, window), found)

    def count(self, name: str, window: int) -> int:
        seen = self._seen.get((name, window))
        if seen is not None:
            return seen
        return self.link.hot(
            lambda r: int(r.get(self._key(name, window)) or 0),
            functools.partial(super().count, name, window),
        )

    def forget(self) -> None:
        """Drop what this process knows (another process cleared the windows)."""
        self._seen.clear()
        super().clear()

    def clear(self) -> None:
        pattern = self.link.key("window", "*")

        def run(r: Any) -> None:
            keys = list(r.scan_iter(match=pattern, count=1000))
            pipe = r.pipeline(transaction=True)
            if keys:
                pipe.delete(*keys)
            pipe.publish(self.link.channel, WINDOWS_CLEARED)
            pipe.execute()

        self.link.control(run)
        self.forget()
