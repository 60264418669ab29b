"""Debian's ``redis-server`` on a free loopback port, started and stopped by the tests.

Nothing is installed here: ``make test`` installs the package when it is missing
(``make redis-server``); without it the tests that need it skip, saying so loudly.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time

import redis

from bench.workload import free_port

#: Start-up and shutdown of redis-server are quick; this only bounds a broken one.
TIMEOUT = 20.0
MISSING = (
    "redis-server is not installed and could not be: the shared-state tests are SKIPPED "
    "(make redis-server installs Debian's package)"
)


def redis_binary() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """One redis-server process; ``stop()`` and ``start()`` again keep its port (a restart)."""

    def __init__(self) -> None:
        binary = redis_binary()
        assert binary is not None, MISSING
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="mockserver-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", self.dir, "--loglevel", "warning"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + TIMEOUT
        while True:  # poll until it answers (a condition with a deadline)
            try:
                serving = client.info("server")["process_id"]
                client.close()
                # Another suite's server on the port freed by a stop() would answer as well.
                assert serving == self.process.pid, f"port {self.port} is pid {serving}'s"
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited: {self.process.stderr.read()}"
                    ) from None
                assert time.monotonic() < deadline, "redis-server never answered PING"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def stop(self) -> None:
        """Kill it (as a crash would): connections drop, the data is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
