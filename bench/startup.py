"""Start-up to first answer: spawn `mockserver serve`, time until both APIs have answered.

Usage: .venv/bin/python bench/startup.py [--runs 5] [-- extra serve flags]

Measured as an installed package runs: with its byte code compiled (pip compiles it at
install; the bench compiles the checkout's once, and unsets PYTHONDONTWRITEBYTECODE for the
server). ``--cold`` leaves byte code out: every module compiled from source on every start.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

KEY = "SG." + "a" * 22 + "." + "b" * 43
PROBES = (
    ("/segments", {"program-id": "demo"}),
    ("/v3/marketing/segments", {"Authorization": f"Bearer {KEY}"}),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_run(extra: list[str], env: dict[str, str]) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--log-level", "warning"]
        + extra,
        env=env,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while True:
                try:
                    for path, headers in PROBES:
                        http.get(path, headers=headers).raise_for_status()
                    return time.perf_counter() - started
                except httpx.TransportError:
                    if time.perf_counter() - started > 30:
                        raise
                    time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="no byte code: compile every start")
    parser.add_argument("extra", nargs="*", help="extra `mockserver serve` flags (after --)")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.cold:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        package = Path(__file__).resolve().parents[1] / "mockserver"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    times = [one_run(args.extra, env) for _ in range(args.runs)]
    kind = "cold (no byte code)" if args.cold else "byte code compiled, as installed"
    print(
        f"start-up to first answer of both APIs over {args.runs} runs, {kind}: "
        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
