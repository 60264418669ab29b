"""The mock in other interpreters: determinism and shared state must hold across processes.

``run_snippet`` runs a Python snippet in a fresh interpreter; ``MockProcess`` is
``python -m mockserver serve`` as a subprocess, synchronized on its log lines, not on sleeps.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.workload import free_port, process_tree, rss_kb

STARTED = "Application startup complete"
#: Serve another checkout instead of this one (e.g. the previous release, to see which attacks
#: of the hostile suite it falls to); flags that checkout does not know are left out.
SERVE_ROOT = os.environ.get("MOCKSERVER_SERVE_ROOT")
ROOT = Path(SERVE_ROOT) if SERVE_ROOT else Path(__file__).resolve().parents[1]


def known_flags(flags: tuple[str, ...]) -> list[str]:
    """``flags`` less those (and their values) the served checkout does not know."""
    if not SERVE_ROOT:
        return list(flags)
    help_text = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    kept: list[str] = []
    skip = False
    for flag in flags:
        if skip:
            skip = False
        elif flag.startswith("--") and flag not in help_text:
            skip = True  # every flag of ours takes a value
        else:
            kept.append(flag)
    return kept


class MockProcess:
    """``mockserver serve FLAGS`` in a subprocess (fixtures holding one are named
    ``*_process``); its stderr is drained by a thread so the pipe never fills up."""

    def __init__(
        self,
        *flags: str,
        workers: int = 1,
        timeout: float = 60,
        env: dict[str, str] | None = None,
        descriptors: int | None = None,
        ready: str | None = STARTED,
    ) -> None:
        """``env``: variables added to the server's environment; ``descriptors``: its
        RLIMIT_NOFILE (soft and hard), as ``ulimit -n`` would set it; ``ready``: the log line
        each worker writes once up (``None`` when FLAGS quiet it: the open port alone counts)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.timeout = timeout
        self.ready = ready
        argv = [sys.executable, "-m", "mockserver", "serve", "--port", str(self.port)]
        argv += ["--log-level", "info", "--workers", str(workers), *known_flags(flags)]

        def limit_descriptors() -> None:
            if descriptors is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, **({"PYTHONPATH": str(ROOT)} if SERVE_ROOT else {}), **(env or {})},
            preexec_fn=limit_descriptors if descriptors is not None else None,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # end of output
            self._changed.notify_all()

    def wait_for(self, text: str, count: int = 1) -> None:
        """Block until ``count`` log lines contain ``text`` (fails on exit or timeout)."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: sum(text in line for line in self.lines) >= count or "" in self.lines,
                timeout=self.timeout,
            )
            seen = sum(text in line for line in self.lines)
        assert done and seen >= count, f"never logged {text!r} x{count}:\n{''.join(self.lines)}"

    def start(self) -> MockProcess:
        """Every worker is up and the port accepts connections."""
        if self.ready is not None:
            self.wait_for(self.ready, self.workers)
        deadline = time.monotonic() + self.timeout
        while True:  # workers listen right after their start-up line; retry refusals briefly
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
                return self
            except ConnectionRefusedError:
                assert self.process.poll() is None, f"serve exited:\n{''.join(self.lines)}"
                assert time.monotonic() < deadline, "port never accepted connections"

    def log(self) -> str:
        """Everything it wrote to stderr, once it has exited (call after ``terminate``)."""
        with self._changed:
            ended = self._changed.wait_for(lambda: "" in self.lines, timeout=self.timeout)
            assert ended, "stderr never closed"
            return "".join(self.lines)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=self.timeout)

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (not multiprocessing's resource tracker)."""
        return [
            pid
            for pid in list(process_tree(self.process.pid))[1:]
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]

    def rss_kb(self) -> int:
        return sum(rss_kb(pid) for pid in process_tree(self.process.pid))

    def __enter__(self) -> MockProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=self.timeout)


def run_snippet(script: str, *args: object, hash_seed: str) -> str:
    """stdout of ``python -c script args...`` with its own ``PYTHONHASHSEED``."""
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        check=True,
        timeout=120,
    )
    return result.stdout.strip()
