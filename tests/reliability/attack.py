"""What every attack test checks besides the attack itself: a well-behaved client kept being
answered meanwhile (p99 under 100 ms, no failure), and the data answers byte for byte as before.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.workload import Workload
from tests.reliability.conftest import snapshot

ROOT = Path(__file__).resolve().parents[2]
#: A segment whose query joins event_data with itself three times: hours of SQLite work.
TRIPLE_JOIN = (
    "SELECT c.contact_id, c.updated_at FROM contact_data AS c "
    "JOIN event_data AS a ON a.contact_id != c.contact_id "
    "JOIN event_data AS b ON b.contact_id != a.contact_id "
    "JOIN event_data AS d ON d.contact_id != b.contact_id "
    "WHERE a.event_timestamp + b.event_timestamp + d.event_timestamp > 0"
)
#: The concurrent client's 99th percentile must stay under this (milliseconds).
P99_MS = 100.0


class ConcurrentClient:
    """``tests/reliability/probe.py`` in its own process while the ``with`` block runs."""

    def __init__(self, url: str, *, fresh: bool = False) -> None:
        self.url = url
        self.fresh = fresh
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def __enter__(self) -> ConcurrentClient:
        argv = [sys.executable, "-m", "tests.reliability.probe", self.url]
        self.process = subprocess.Popen(
            [*argv, "--fresh"] if self.fresh else argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert first.strip() == "ready", f"the client never got an answer: {first!r}"
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.process.communicate(input="", timeout=60)
        result = json.loads(out.strip().splitlines()[-1])
        self.latencies, self.failures = result["latencies_ms"], result["failures"]

    @property
    def p99(self) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("inf")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[98]

    def summary(self) -> str:
        return (
            f"{len(self.latencies)} requests, p99 {self.p99:.1f} ms, failures {self.failures[:3]}"
        )

    def assert_served(self, at_least: int = 20) -> None:
        print(f"concurrent client: {self.summary()}")  # the figures, with pytest -s
        assert not self.failures, self.summary()
        assert len(self.latencies) >= at_least, self.summary()
        assert self.p99 < P99_MS, self.summary()


def canonical_of(url: str) -> tuple[list, dict]:
    """The canonical requests (one per operation) and their answers now."""
    requests = Workload(url).requests()
    return requests, snapshot(url, requests)
