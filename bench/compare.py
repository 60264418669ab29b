"""Interleaved rounds over several targets, shared by bench/peers.py and bench/scaling.py.

A target is one or more server processes that together serve every API: the mock serves both
APIs from one process, Prism needs one process per spec. Each round runs every target back to
back on the same request, rotating which goes first, so a busy neighbour on the shared machine
slows every target alike; a cell reports the median of its rounds and the spread (min-max req/s).
wrk can be pinned to a core of its own (the bench process pins itself, wrk inherits it) while the
servers are started under ``taskset`` on the other cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from workload import BenchRequest, Server, operations, process_tree
from wrk import Measurement, run_wrk

from mockserver.vendors import REGISTRY

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: A check of one answer beyond its status: returns a problem or None.
Check = Callable[[httpx.Response], "str | None"]


def api_of() -> dict[str, str]:
    """operationId -> API name, from the specs."""
    return {op.operation_id: op.api for op in operations()}


# --- CPU pinning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinning:
    """Which CPUs wrk and the servers run on; ``None`` leaves the scheduler free."""

    wrk_cpu: int | None
    server_cpus: tuple[int, ...] | None

    @classmethod
    def choose(cls, mode: str) -> Pinning:
        """``isolate``: wrk on the last CPU, the servers on the others; ``shared``: the same, but
        the servers keep every CPU when fewer than 3 would leave them only one; ``none``."""
        cpus = sorted(os.sched_getaffinity(0))
        if mode == "none" or len(cpus) < 2:
            return cls(None, None)
        others = tuple(cpus[:-1]) if mode == "isolate" or len(cpus) >= 3 else tuple(cpus)
        return cls(cpus[-1], others)

    @staticmethod
    def add_argument(parser: argparse.ArgumentParser, default: str) -> None:
        parser.add_argument(
            "--pin",
            choices=("isolate", "shared", "none"),
            default=default,
            help="CPU pinning: wrk on the last CPU and the servers on the others (isolate), "
            "the servers on every CPU when there are fewer than 3 (shared), or none "
            f"(default: {default})",
        )

    def server_argv(self, argv: Sequence[str]) -> list[str]:
        if self.server_cpus is None:
            return list(argv)
        return ["taskset", "-c", ",".join(map(str, self.server_cpus)), *argv]

    def pin_wrk(self) -> None:
        """Pin this process (and so every wrk it starts) to wrk's CPU; call after spawning."""
        if self.wrk_cpu is not None:
            os.sched_setaffinity(0, {self.wrk_cpu})

    def describe(self) -> str:
        if self.wrk_cpu is None:
            return "no CPU pinning"
        servers = ",".join(map(str, self.server_cpus or ()))
        shared = self.wrk_cpu in (self.server_cpus or ())
        note = " (wrk's CPU included: fewer than 3 CPUs)" if shared else ""
        return f"wrk pinned to CPU {self.wrk_cpu}, servers to CPUs {servers}{note}"


# --- targets ---------------------------------------------------------------------------------


@dataclass
class Target:
    """Servers answering every API (``servers[api]``), plus headers added to every request."""

    name: str
    servers: dict[str, Server]
    extra_headers: tuple[tuple[str, str], ...] = ()
    check: Check | None = None
    startups: list[float] = field(default_factory=list)
    rss_idle: list[float] = field(default_factory=list)

    def processes(self) -> list[Server]:
        unique: dict[int, Server] = {id(s): s for s in self.servers.values()}
        return list(unique.values())

    def adapt(self, req: BenchRequest) -> BenchRequest:
        return replace(req, headers=req.headers + self.extra_headers) if self.extra_headers else req

    def url(self, api: str) -> str:
        return self.servers[api].url

    def start(self, probes: dict[str, BenchRequest], timeout: float = 60) -> float:
        """Spawn every process at once; seconds until each API has answered its probe."""
        started = time.perf_counter()
        for server in self.processes():
            server.spawn()
        for api, server in self.servers.items():
            server.wait_ready(self.adapt(probes[api]), timeout)
        return time.perf_counter() - started

    def stop(self) -> None:
        for server in self.processes():
            server.stop()

    def rss_mb(self) -> float:
        return sum(server.rss_mb() for server in self.processes())

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by every process of the target (and children)."""
        total = 0
        for server in self.processes():
            assert server.process is not None
            for pid in process_tree(server.process.pid):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        return total / CLOCK_TICKS

    def argv_lines(self) -> list[str]:
        return [f"{self.name}: {' '.join(map(str, s.argv))}" for s in self.processes()]


def single(name: str, argv: list[str], pin: Pinning) -> Target:
    """A target whose one process serves every API (the mock, the baseline)."""
    server = Server(name, pin.server_argv(argv))
    return Target(name, dict.fromkeys(REGISTRY, server))


def start_all(targets: Sequence[Target], probes: dict[str, BenchRequest]) -> None:
    """Start every server once, also when several targets share one (same server, other headers)."""
    servers: dict[int, Server] = {}
    for target in targets:
        servers |= {id(s): s for s in target.processes()}
    for server in servers.values():
        server.spawn()
    for target in targets:
        for api, server in target.servers.items():
            server.wait_ready(target.adapt(probes[api]))


def stop_all(targets: Sequence[Target]) -> None:
    for target in targets:
        target.stop()  # Server.stop on a stopped process is a no-op


def probes_for(requests: Sequence[BenchRequest], apis: dict[str, str]) -> dict[str, BenchRequest]:
    """The first request of each API: what start-up waits for."""
    probes: dict[str, BenchRequest] = {}
    for req in requests:
        probes.setdefault(apis[req.name], req)
    return probes


def startup_rounds(targets: Sequence[Target], probes: dict[str, BenchRequest], runs: int) -> None:
    """Start and stop every target ``runs`` times, rotating the order; RSS read when idle."""
    for round_ in range(runs):
        for target in rotated(targets, round_):
            try:
                target.startups.append(target.start(probes))
                target.rss_idle.append(target.rss_mb())
            finally:
                target.stop()


def rotated(items: Sequence, shift: int) -> list:
    shift %= len(items)
    return [*items[shift:], *items[:shift]]


def validate(
    target: Target, requests: Sequence[BenchRequest], apis: dict[str, str]
) -> dict[str, str]:
    """operationId -> problem, for every request the target does not answer 200 (and checked)."""
    problems = {}
    for req in requests:
        sent = target.adapt(req)
        with httpx.Client(base_url=target.url(apis[req.name]), timeout=30) as http:
            reply = http.request(sent.method, sent.target, headers=dict(sent.headers))
        if reply.status_code != 200:
            problems[req.name] = f"HTTP {reply.status_code}: {reply.text[:200]!r}"
        elif target.check is not None and (problem := target.check(reply)):
            problems[req.name] = problem
    return problems


def unmeasurable(
    targets: Sequence[Target], requests: Sequence[BenchRequest], apis: dict[str, str]
) -> tuple[dict[str, dict[str, str]], set[tuple[str, str]]]:
    """Each target's problems (:func:`validate`, printed) and the (target, operation) cells to
    skip because of them."""
    problems = {t.name: validate(t, requests, apis) for t in targets}
    for name, found in problems.items():
        for op, problem in found.items():
            print(f"NOT MEASURED {name} {op}: {problem}", file=sys.stderr)
    return problems, {(name, op) for name, found in problems.items() for op in found}


def add_run_arguments(parser: argparse.ArgumentParser, connections: list[int], pin: str) -> None:
    """The flags every interleaved comparison takes: rounds, connections, operations, pinning."""
    parser.add_argument("--duration", type=float, default=2, help="seconds per wrk run (2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per cell (5)")
    shown = " ".join(map(str, connections))
    parser.add_argument(
        "--connections", type=int, nargs="+", default=connections, help=f"wrk connections ({shown})"
    )
    parser.add_argument(
        "--operations", nargs="+", metavar="OPERATION_ID", help="only these (default: every one)"
    )
    Pinning.add_argument(parser, default=pin)
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan (targets, cells, time) and exit"
    )


def chosen_operations(wanted: Sequence[str] | None) -> list[str]:
    """The workload's operationIds, or those of ``wanted`` (an unknown one ends the run)."""
    every = [op.operation_id for op in operations()]
    unknown = set(wanted or ()) - set(every)
    if unknown:
        raise SystemExit(f"unknown operations: {', '.join(sorted(unknown))}")
    return [op for op in every if not wanted or op in wanted]


# --- interleaved measurement -----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """The rounds of one (target, request, connections): median figures and the spread."""

    runs: tuple[Measurement, ...]
    #: Server CPU time (user + system, every process of the target) per request, per round.
    cpu_us: tuple[float, ...]

    @property
    def cpu_us_per_request(self) -> float:
        return statistics.median(self.cpu_us)

    @property
    def rps(self) -> float:
        return statistics.median(m.rps for m in self.runs)

    @property
    def p50_ms(self) -> float:
        return statistics.median(m.p50_ms for m in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(m.p99_ms for m in self.runs)

    @property
    def errors(self) -> int:
        return sum(m.errors for m in self.runs)

    @property
    def spread(self) -> str:
        low, high = min(m.rps for m in self.runs), max(m.rps for m in self.runs)
        return f"{low:,.0f}-{high:,.0f}"


Key = tuple[str, str, int]  # (target, operationId, connections)


def measure(
    targets: Sequence[Target],
    requests: Sequence[BenchRequest],
    apis: dict[str, str],
    connections: Sequence[int],
    seconds: float,
    rounds: int,
    skip: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
) -> dict[Key, Cell]:
    """Every (target, request, connections) ``rounds`` times, targets interleaved per round."""
    cells: dict[Key, list[tuple[Measurement, float]]] = {}
    for conns in connections:
        for req in requests:
            live = [t for t in targets if (t.name, req.name) not in skip]
            for round_ in range(rounds):
                for target in rotated(live, round_):
                    sent = target.adapt(req)
                    cpu_before = target.cpu_seconds()
                    found = run_wrk(target.url(apis[req.name]), [sent], conns, seconds)
                    cpu = (target.cpu_seconds() - cpu_before) / max(found.requests, 1) * 1e6
                    cells.setdefault((target.name, req.name, conns), []).append((found, cpu))
            medians = {
                t.name: statistics.median(m.rps for m, _ in cells[t.name, req.name, conns])
                for t in live
            }
            line = ", ".join(f"{name} {rps:,.0f}" for name, rps in medians.items())
            print(f"{req.name} c={conns}: {line} req/s", flush=True)
    return {
        key: Cell(tuple(m for m, _ in runs), tuple(cpu for _, cpu in runs))
        for key, runs in cells.items()
    }


def warm_up(targets: Sequence[Target], requests: Sequence[BenchRequest], apis: dict[str, str]):
    """One second of 8 connections per target and request: caches filled, JIT warm."""
    for target in targets:
        for req in requests:
            run_wrk(target.url(apis[req.name]), [target.adapt(req)], 8, 1)


# --- report helpers --------------------------------------------------------------------------


def ms_range(values: Sequence[float]) -> str:
    if not values:
        return "-"
    median = statistics.median(values) * 1000
    return f"{median:,.0f} ms ({min(values) * 1000:,.0f}-{max(values) * 1000:,.0f})"


def cpu_ratio(numerator: Cell | None, denominator: Cell | None) -> str:
    """How many times less CPU a request of ``numerator`` costs than one of ``denominator``:
    the throughput ratio two CPU-bound servers would have on equal, otherwise idle cores."""
    if numerator is None or denominator is None or not numerator.cpu_us_per_request:
        return "n/a"
    return f"{denominator.cpu_us_per_request / numerator.cpu_us_per_request:.2f}x"


def ratio(numerator: Cell | None, denominator: Cell | None) -> str:
    """Median of the per-round req/s ratios (both measured back to back in each round, so a
    neighbour's load mostly cancels out), and their range."""
    if numerator is None or denominator is None:
        return "n/a"
    pairs = zip(numerator.runs, denominator.runs, strict=True)
    ratios = [a.rps / b.rps for a, b in pairs if b.rps]
    if not ratios:
        return "n/a"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def table(header: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> str:
    """A Markdown table; the first ``left`` columns are text, the others right-aligned."""
    align = ["---"] * left + ["---:"] * (len(header) - left)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
