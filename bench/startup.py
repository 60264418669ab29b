"""Start-up to first answer: spawn `mockserver serve`, time until both APIs have answered,
against the floor - uvicorn serving a two-route Starlette app (bench/startup_floor.py) - spawned
and polled the same way in the same run, interleaved, so both meet the same machine load.

Usage: .venv/bin/python bench/startup.py [--runs 15] [--variant "--seed 7" ...]
       [--baseline DIR] [-- serve flags]

Each run starts the floor and every mock variant once, in an order that rotates run to run.
Reported per variant: the median and max wall time to both answers, the median CPU time the
server process spent until then (``/proc/PID/task/*/schedstat``: less sensitive to other load
than wall time), and the ratio of medians to the floor's. The load average is printed before and
after. ``--baseline DIR`` measures another tree's ``mockserver`` package too (``DIR/mockserver``,
e.g. ``git archive main mockserver | tar -x -C DIR``) with every variant's flags, in the same
runs: a change's before and after under the same load.

Measured as an installed package runs: with its byte code compiled (pip compiles it at
install; the bench compiles the checkout's once, and unsets PYTHONDONTWRITEBYTECODE for the
server). ``--cold`` leaves byte code out: every module compiled from source on every start.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
KEY = "SG." + "a" * 22 + "." + "b" * 43
PROBES = (
    ("/segments", {"program-id": "demo"}),
    ("/v3/marketing/segments", {"Authorization": f"Bearer {KEY}"}),
)
FLOOR = "floor (uvicorn + 2-route Starlette)"


@dataclass
class Variant:
    """One command under measurement and what its runs measured."""

    name: str
    command: list[str]
    #: Where it runs (``python -m`` finds the package there first: a baseline's tree).
    cwd: Path | None = None
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mock_command(flags: list[str]) -> list[str]:
    return [sys.executable, "-m", "mockserver", "serve", "--log-level", "warning", *flags]


def floor_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH),
        "--log-level",
        "warning",
        "--no-access-log",
        "startup_floor:app",
    ]


def cpu_seconds(pid: int) -> float:
    """CPU time every thread of ``pid`` has run so far (ns precision, unlike ``stat``'s ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):  # a thread that ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def one_run(
    command: list[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[float, float]:
    """Wall and CPU seconds from spawn until both probes have answered."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(command + ["--port", str(port)], env=env, cwd=cwd)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while True:
                try:
                    for path, headers in PROBES:
                        http.get(path, headers=headers).raise_for_status()
                    wall = time.perf_counter() - started
                    return wall, cpu_seconds(process.pid)
                except httpx.TransportError:
                    if time.perf_counter() - started > 30 or process.poll() is not None:
                        raise
                    time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(timeout=10)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def report(variants: list[Variant], floor: Variant | None) -> None:
    base = statistics.median(floor.walls) if floor else None
    base_cpu = statistics.median(floor.cpus) if floor else None
    for variant in variants:
        wall = statistics.median(variant.walls)
        cpu = statistics.median(variant.cpus)
        line = (
            f"{variant.name:40} median {ms(wall):>7}, max {ms(max(variant.walls)):>7}, "
            f"CPU median {ms(cpu):>7}"
        )
        if base and variant is not floor:
            line += f"  -> {wall / base:.2f}x the floor (CPU {cpu / base_cpu:.2f}x)"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cold", action="store_true", help="no byte code: compile every start")
    parser.add_argument("--no-floor", action="store_true", help="measure the mock alone")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="FLAGS",
        help='another mock measured in the same runs, e.g. --variant "--seed 7" (repeatable)',
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also measure DIR/mockserver (another tree) with the same flags",
    )
    parser.add_argument("extra", nargs="*", help="extra `mockserver serve` flags (after --)")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.cold:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        package = BENCH.parent / "mockserver"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    variants = [Variant(f"mock {shlex.join(args.extra) or '(default)'}", mock_command(args.extra))]
    for flags in args.variant:
        variants.append(Variant(f"mock {flags}", mock_command(shlex.split(flags))))
    if args.baseline:
        tree = args.baseline.resolve()
        variants += [Variant(f"baseline {v.name}", v.command, tree) for v in list(variants)]
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.baseline)], check=True)
    floor = None if args.no_floor else Variant(FLOOR, floor_command())
    if floor:
        variants.insert(0, floor)
    load_before = os.getloadavg()
    for run in range(args.runs):
        shift = run % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            wall, cpu = one_run(variant.command, env, variant.cwd)
            variant.walls.append(wall)
            variant.cpus.append(cpu)
    load_after = os.getloadavg()
    kind = "cold (no byte code)" if args.cold else "byte code compiled, as installed"
    print(
        f"start-up to the first answer of both APIs, {args.runs} interleaved runs, {kind}; "
        f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}"
    )
    report(variants, floor)


if __name__ == "__main__":
    main()
