"""One process of a mock whose state is shared: two daemon threads keep its copy in step, the
*listener* (the mock's channel, a heartbeat that also catches missed events) and the *builder*
(the data version in force, built off the event loop and swapped in whole). Neither ends on an
exception; a loop that stops anyway is a problem health reports, so a probe restarts this
replica only."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.errors import MockServerError
from mockserver.state.ledger import Ledger
from mockserver.state.redis.journal import JOURNAL
from mockserver.state.redis.link import LOST, Link, reason_of
from mockserver.state.redis.overrides import RESET, RedisOverrides
from mockserver.state.redis.stores import DATA_CHANGED, WINDOWS_CLEARED, RedisData, RedisWindows
from mockserver.state.redis.writes import WRITES_CHANGED

if TYPE_CHECKING:
    from mockserver.state.base import Replicable
    from mockserver.state.redis.journal import RedisJournal

log = logging.getLogger("mockserver.state")

HEARTBEAT = 2.0
#: A replica entry older than this is a replica that is gone.
STALE = 5 * HEARTBEAT
RETRY = 0.5
#: A loop that failed in a way it did not expect waits twice as long each time, up to this.
MAX_BACKOFF = 30.0
#: The listener looks at this process's own data versions at least this often.
LISTEN = 0.25


def replica_entry(raw: bytes) -> dict[str, Any]:
    """A replica's entry as :meth:`Replica.heartbeat` writes it; ``ValueError`` otherwise."""
    entry = orjson.loads(raw)
    if not isinstance(entry, dict):
        raise ValueError("an entry is a JSON object")
    seen, versions = entry.get("seen"), entry.get("data_versions")
    if type(seen) not in (int, float) or not isinstance(versions, dict):
        raise ValueError("an entry has a time seen and data versions")
    if not all(isinstance(api, str) and type(v) is int for api, v in versions.items()):
        raise ValueError("data versions are whole numbers by API")
    return {"data_versions": versions, "seen": seen}


class Replica:
    """This process as one replica of a shared mock (the module says how)."""

    def __init__(
        self,
        link: Link,
        journal: RedisJournal,
        overrides: RedisOverrides,
        windows: RedisWindows,
        data: RedisData,
        writes: Ledger,
    ) -> None:
        self.link = link
        self.journal, self.overrides, self.windows, self.data = journal, overrides, windows, data
        self.writes = writes
        #: ``host:pid``: a pod's name in Kubernetes, a worker's pid on one machine.
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self.runtimes: Mapping[str, Replicable] = {}
        self._replicas = self.link.key("replicas")
        self._stop = threading.Event()
        self._build = threading.Event()
        self._threads: list[threading.Thread] = []
        #: Data versions that failed to build here: not retried until a newer one lands.
        self._failed: dict[str, int] = {}
        #: The data versions of the last heartbeat.
        self._announced: dict[str, int] = {}

    # -- start-up -------------------------------------------------------------------------------
    def join(self, runtimes: Mapping[str, Replicable]) -> None:
        """Serve the data version in force from the first request on (built here, now)."""
        self.runtimes = runtimes
        self.sync_data()

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for name, target in (("state-listener", self._listen), ("state-builder", self._builder)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        atexit.register(self.leave)

    def stop(self) -> None:
        self._stop.set()
        self._build.set()
        with contextlib.suppress(Exception):  # wakes the listener (the others ignore it)
            self.link.fast.publish(self.link.channel, b"stopping " + self.id.encode())
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        self.leave()

    def leave(self) -> None:
        """Take this replica off the list (a clean shutdown)."""
        with contextlib.suppress(Exception):  # best effort: a stale entry expires anyway
            self.link.fast.hdel(self._replicas, self.id)

    # -- listener ---------------------------------------------------------------------------------
    def _listen(self) -> None:
        backoff = RETRY
        while not self._stop.is_set():
            pubsub = self.link.listen.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.link.channel)
                self.link.found()
                self.resync()
                beat = time.monotonic() + HEARTBEAT
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=LISTEN)
                    if message is not None:
                        self.handle(message["data"])
                    if not self.link.up:  # a call timed out, pub/sub still connected: probe
                        self.link.control(lambda r: r.ping())
                    if self.link.recovered.is_set():
                        self.resync()
                    if self.data_versions() != self._announced:  # this process loaded data
                        self.heartbeat()
                    if time.monotonic() >= beat:
                        self.check()
                        beat = time.monotonic() + HEARTBEAT
            except (*LOST, MockServerError) as exc:
                self.link.lost(exc)
                log.debug("state listener: %s", reason_of(exc))
                backoff = RETRY
            except Exception:  # a bug, or a value no check foresaw: never the end of the loop
                log.exception("state listener failed; going on in %.1f s", backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                with contextlib.suppress(Exception):  # a dead connection may fail to close
                    pubsub.close()
            self._stop.wait(backoff)

    def handle(self, data: bytes) -> None:
        if data.startswith(b"overrides"):
            self.overrides.reload(reseed=data == RESET)
        elif data == DATA_CHANGED:
            self._build.set()
        elif data == WINDOWS_CLEARED:
            self.windows.forget()
        elif data == WRITES_CHANGED:
            self.writes.notify()
        elif data.startswith(JOURNAL):
            self.journal.heard(data)

    def resync(self) -> None:
        """After a start or a loss (the store may have restarted empty): catch up both ways."""
        self.link.recovered.clear()
        self.journal.wake()
        for api, runtime in self.runtimes.items():
            self.data.keep_numbering(api, runtime.version)
        self.check()

    def check(self) -> None:
        """The periodic safety net: an event missed is caught here."""
        self.overrides.reload()
        self.writes.notify()
        self._build.set()
        self.heartbeat()

    def heartbeat(self) -> None:
        versions = self.data_versions()
        entry = {"data_versions": versions, "seen": round(time.time(), 3)}
        self._announced = versions
        self.link.control(lambda r: r.hset(self._replicas, self.id, orjson.dumps(entry)))

    def data_versions(self) -> dict[str, int]:
        return {api: runtime.version for api, runtime in self.runtimes.items()}

    def replicas(self) -> dict[str, Any]:
        """Every live replica's good entry (for health); ``{}`` while the store is lost."""
        found = self.link.hot(lambda r: r.hgetall(self._replicas), dict)
        now = time.time()
        entries = {}
        for name, raw in found.items():
            entry = self.link.checked(f"replica entry {name[:80]!r}", replica_entry, raw)
            if entry is not None and now - entry["seen"] < STALE:
                entries[name.decode("utf-8", "replace")] = entry
        return dict(sorted(entries.items()))

    def problems(self) -> list[str]:
        """Why this replica cannot follow the others: a loop that stopped while it should run."""
        if self._stop.is_set():
            return []
        return [f"{thread.name} stopped" for thread in self._threads if not thread.is_alive()]

    # -- builder ----------------------------------------------------------------------------------
    def _builder(self) -> None:
        backoff = RETRY
        while not self._stop.is_set():
            self._build.wait()
            self._build.clear()
            if self._stop.is_set():
                return
            try:
                if self.sync_data():
                    self.heartbeat()
                backoff = RETRY
            except (*LOST, MockServerError) as exc:
                log.debug("state builder: %s", reason_of(exc))
            except Exception:  # a bug, or a value no check foresaw: never the end of the loop
                log.exception("state builder failed; going on in %.1f s", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                self._build.set()  # try again: the periodic check would, later

    def sync_data(self) -> bool:
        """Build and install every API's version in force that is newer than the one served;
        ``True`` if any was installed."""
        data = self.data
        if not self.runtimes:
            return False
        changed = False
        for api, version in data.versions(list(self.runtimes)).items():
            runtime = self.runtimes[api]
            if version <= runtime.version or (api, version) in data.own:
                continue
            if self._failed.get(api, -1) >= version:
                continue
            try:
                current, document = data.current(api)
                if current <= runtime.version:
                    continue
                backend = runtime.seed_backend if document is None else runtime.build(document)
            except MockServerError as exc:
                self._failed[api] = version
                log.error("data version %d of %s does not build here: %s", version, api, exc)
                continue
            if runtime.install(backend, current):
                changed = True
                log.info("%s: data version %d installed", api, current)
        return changed
