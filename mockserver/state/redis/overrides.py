"""Scenarios and faults shared through Redis, read on the request path from a local copy
(reloaded on each change's event, and at once by the process that made it); only a scenario
counting down (``times``) is taken through Redis, so "the next 2 requests" means the next 2 of
the whole mock. Control-plane reads reload first: they show the store, and fail while it is lost.
"""

from __future__ import annotations

import functools
import random
import uuid
from typing import Any

import orjson

from mockserver.state.base import OverrideStore
from mockserver.state.redis.link import Link, count_of
from mockserver.state.values import Fault, OperationKey, Preference, Scenario

#: Event payloads on the mock's channel (``reset`` also reseeds every process's fault draws).
CHANGED = b"overrides"
RESET = b"overrides reset"
GLOBAL = "*"

#: KEYS: version. ARGV: channel, event. A version holding anything but a number counts as
#: lost (0), as in every script here: it never refuses the changes after it.
BUMP = """
redis.call('SET', KEYS[1], (tonumber(redis.call('GET', KEYS[1])) or 0) + 1)
redis.call('PUBLISH', ARGV[1], ARGV[2])
"""
#: KEYS: scenarios, version. ARGV: field, channel. A scenario is stored as ``TIMES|PREFERENCE``
#: (``TIMES`` empty: until cleared). Returns the entry as it was before, or nil.
TAKE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local left, pref = string.match(raw, '^(%d*)|(.*)$')
if left and left ~= '' then
  if tonumber(left) <= 1 then
    redis.call('HDEL', KEYS[1], ARGV[1])
  else
    redis.call('HSET', KEYS[1], ARGV[1], (tonumber(left) - 1) .. '|' .. pref)
  end
  redis.call('SET', KEYS[2], (tonumber(redis.call('GET', KEYS[2])) or 0) + 1)
  redis.call('PUBLISH', ARGV[2], 'overrides')
end
return raw
"""


def field(key: OperationKey) -> str:
    return f"{key[0]}/{key[1]}"


def fault_of(raw: bytes) -> Fault:
    return Fault.from_json(orjson.loads(raw))


def key_of(name: bytes) -> OperationKey:
    api, _, operation = name.decode("utf-8", "replace").partition("/")
    return (api, operation)


def preference_of(raw: bytes) -> Preference:
    """What ``Preference.as_dict`` wrote; ``ValueError`` for anything else (a bad entry)."""
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("a preference is a JSON object")
    code, example, dynamic = data.get("code"), data.get("example"), data.get("dynamic", False)
    if code is not None and not (type(code) is int and 100 <= code <= 599):
        raise ValueError(f"code {str(code)[:20]!r} is not an HTTP status")
    if example is not None and not isinstance(example, str):
        raise ValueError("example is not a string")
    if not isinstance(dynamic, bool):
        raise ValueError("dynamic is not a boolean")
    preference = Preference(code, example, dynamic)
    if preference.empty:
        raise ValueError("a preference names code, example or dynamic")
    return preference


def scenario_of(raw: bytes) -> Scenario:
    """What :meth:`RedisOverrides.set_scenario` wrote; ``ValueError`` for anything else."""
    times, bar, preference = raw.partition(b"|")
    left = count_of(times or None)
    if not bar or (left is not None and left < 1):
        raise ValueError(f"{raw[:20]!r} is not TIMES|PREFERENCE with TIMES positive or empty")
    return Scenario(preference_of(preference), left)


class RedisOverrides(OverrideStore):
    """``OverrideStore`` shared through Redis; the in-process store is its local copy."""

    def __init__(self, link: Link, seed: int = 0, base: Fault | None = None) -> None:
        super().__init__(seed, base)
        self.link = link
        self._keys = {
            name: link.key(name) for name in ("scenarios", "faults", "overrides", "epoch")
        }
        #: The store's epoch (set once per store life) and version of the local copy: a
        #: version lower than the copy's is stale, unless the store restarted empty.
        self._epoch: bytes | None = None
        self._version = -1
        self._take = link.slow.register_script(TAKE)
        self._bump = link.slow.register_script(BUMP)
        self.reload()

    # -- keeping the copy current -----------------------------------------------------------------
    def reload(self, *, reseed: bool = False) -> None:
        """Read everything from the store (StateUnavailable if lost) into the local copy."""
        keys = self._keys

        def read(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=True)
            pipe.set(keys["epoch"], uuid.uuid4().hex, nx=True)
            pipe.get(keys["epoch"])
            pipe.get(keys["overrides"])
            pipe.hgetall(keys["scenarios"])
            pipe.hgetall(keys["faults"])
            return pipe.execute()

        _, epoch, version, scenarios, faults = self.link.control(read)
        checked = self.link.checked
        counted = checked("overrides version", lambda: count_of(version) or 0)
        found = {
            key_of(name): scenario
            for name, raw in scenarios.items()
            if (scenario := checked(f"scenario {name!r}", scenario_of, raw))
        }
        read_faults = {
            name: fault
            for name, raw in faults.items()
            if (fault := checked(f"fault {name!r}", fault_of, raw))
        }
        global_fault = read_faults.pop(GLOBAL.encode(), None)
        with self._lock:
            if epoch == self._epoch and counted is not None and counted < self._version:
                return  # a newer copy is in place already
            self._epoch, self._version = epoch, -1 if counted is None else counted
            self._scenarios = found
            self._global = global_fault or self.base
            self._operations = {key_of(name): fault for name, fault in read_faults.items()}
            if reseed:
                self._random = random.Random(self._seed)
            self._refresh()

    def _change(self, write: Any, event: bytes = CHANGED) -> list[Any]:
        """Apply ``write(pipeline)``, bump the version and publish, in one transaction."""

        def run(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=True)
            write(pipe)
            self._bump(keys=[self._keys["overrides"]], args=[self.link.channel, event], client=pipe)
            return pipe.execute()

        results = self.link.control(run)
        self.reload(reseed=event == RESET)
        return results

    # -- scenarios --------------------------------------------------------------------------------
    def set_scenario(self, key: OperationKey, scenario: Scenario) -> None:
        times = b"" if scenario.times is None else str(scenario.times).encode()
        stored = times + b"|" + orjson.dumps(scenario.preference.as_dict())
        self._change(lambda pipe: pipe.hset(self._keys["scenarios"], field(key), stored))

    def clear_scenario(self, key: OperationKey) -> bool:
        return bool(self._change(lambda pipe: pipe.hdel(self._keys["scenarios"], field(key)))[0])

    def clear_scenarios(self) -> None:
        self._change(lambda pipe: pipe.delete(self._keys["scenarios"]))

    def take(self, key: OperationKey) -> Preference | None:
        scenario = self._scenarios.get(key)
        if scenario is None:
            return None
        if scenario.times is None:
            return scenario.preference
        raw = self.link.hot(
            lambda r: self._take(
                keys=[self._keys["scenarios"], self._keys["overrides"]],
                args=[field(key), self.link.channel],
                client=r,
            ),
            fallback=functools.partial(super().take, key),  # lost: count down the local copy
        )
        if not isinstance(raw, bytes):
            return raw
        found = self.link.checked(f"scenario {field(key)!r}", scenario_of, raw)
        return found.preference if found else None

    # -- faults -----------------------------------------------------------------------------------
    def set_fault(self, key: OperationKey | None, fault: Fault) -> None:
        name = GLOBAL if key is None else field(key)
        self._change(
            lambda pipe: pipe.hset(self._keys["faults"], name, orjson.dumps(fault.as_dict()))
        )

    def clear_fault(self, key: OperationKey | None) -> bool:
        if key is None:
            self._change(lambda pipe: pipe.delete(self._keys["faults"]))
            return True
        return bool(self._change(lambda pipe: pipe.hdel(self._keys["faults"], field(key)))[0])

    # -- whole store ------------------------------------------------------------------------------
    def reset(self) -> None:
        keys = self._keys
        self._change(lambda pipe: pipe.delete(keys["scenarios"], keys["faults"]), RESET)
