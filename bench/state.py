"""Shared state (``serve --state redis://...``): throughput against the in-process state, and
how soon a scenario set through one replica is answered by another.

One command: ``.venv/bin/python bench/state.py`` (needs Debian's redis-server and wrk; ~2 min).

- Throughput: ``mockserver serve`` without and with ``--state`` (same machine, same run), every
  operation of the workload at 32 connections, measured back to back with wrk like
  bench/load.py (best of ``--rounds`` per server, alternating which goes first). The shared
  journal is on the request path (each answer waits until its record is in Redis).
- Propagation: two ``serve --state`` processes A and B; ``--changes`` times a scenario is set
  (then cleared) through A's control API and B is asked as fast as one client can until it
  answers the change; the time from A's answer to B's first changed answer is the figure.
Tables go to stdout and bench/results/state-<time>.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time

import httpx
import redis
from workload import HEADER_VALUES, Server, Workload, free_port, mock_argv, save
from wrk import cell, ensure_wrk, interleaved, load_average, run_wrk

#: A control call that changes something says its body is JSON (docs/SECURITY.md).
JSON = {"content-type": "application/json"}
SCENARIO = "/__mockserver/scenarios/actionhub/get_segments_segments_get"
PROBE = "/segments?segment_basis=labels"


class RedisProcess:
    """A throwaway redis-server on a free loopback port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", self.dir]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def throughput(url: str, rounds: int, duration: float) -> list[str]:
    lines = [
        "| operation (32 conns) | in-process req/s | p50 ms | p99 ms | --state req/s | p50 ms "
        "| p99 ms | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios = []
    with (
        Server("in-process", mock_argv()) as alone,
        Server("shared", mock_argv("--state", url, "--state-prefix", "bench")) as shared,
    ):
        alone.start()
        shared.start()
        requests = Workload(alone.url).requests()
        for req in requests:  # warm-up
            run_wrk(alone.url, [req], 8, 1)
            run_wrk(shared.url, [req], 8, 1)
        for req in requests:
            one, two = interleaved((alone.url, shared.url), req, 32, duration, rounds)
            ratios.append(two.rps / one.rps)
            lines.append(f"| {req.name} | {cell(one)} | {cell(two)} | {ratios[-1]:.2f}x |")
            print(lines[-1], flush=True)
        journal = httpx.get(f"{shared.url}/__mockserver/requests?limit=1").json()
        lines.append("")
        lines.append(
            f"- lowest ratio: {min(ratios):.2f}x, median {statistics.median(ratios):.2f}x "
            "— goal >= 0.8x"
        )
        lines.append(f"- shared journal after the run: last id {journal['requests'][0]['id']:,}")
    return lines


def propagation(url: str, changes: int) -> list[str]:
    flags = ("--state", url, "--state-prefix", "propagation")
    seen_ms: list[float] = []
    with Server("A", mock_argv(*flags)) as a, Server("B", mock_argv(*flags)) as b:
        a.start()
        b.start()
        with httpx.Client(base_url=a.url) as to_a, httpx.Client(base_url=b.url) as to_b:
            for i in range(changes * 2):
                setting = i % 2 == 0
                want = 503 if setting else 200
                reply = (
                    to_a.put(SCENARIO, json={"code": 503})
                    if setting
                    else to_a.request("DELETE", SCENARIO, headers=JSON)
                )
                reply.raise_for_status()
                done = time.perf_counter()
                while to_b.get(PROBE, headers=HEADER_VALUES).status_code != want:
                    assert time.perf_counter() - done < 10, "B never saw the change"
                seen_ms.append((time.perf_counter() - done) * 1000)
    seen_ms.sort()
    p50 = statistics.median(seen_ms)
    p99 = seen_ms[min(len(seen_ms) - 1, round(0.99 * len(seen_ms)))]
    quick = 100 * sum(ms < 2 for ms in seen_ms) / len(seen_ms)
    return [
        f"- scenario changes (set and clear) through A: {len(seen_ms)}",
        f"- time from A's answer until B answers the change: p50 {p50:.2f} ms, p99 "
        f"{p99:.2f} ms, max {seen_ms[-1]:.2f} ms — goal p99 < 50 ms",
        f"- changes seen by B within 2 ms: {quick:.0f}%"
        " (B is asked back to back, one request at a time)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per cell (best)")
    parser.add_argument("--changes", type=int, default=200, help="scenario changes timed")
    args = parser.parse_args()
    ensure_wrk()
    started = time.strftime("%Y%m%d-%H%M%S")
    report = [
        f"`.venv/bin/python bench/state.py` ({time.strftime('%Y-%m-%d %H:%M')}; "
        f"{os.cpu_count()} CPUs; best of {args.rounds} x {args.duration:g} s per cell; "
        f"load average at start {load_average()})",
        "",
    ]
    store = RedisProcess()
    try:
        report += throughput(store.url, args.rounds, args.duration) + [""]
        report += propagation(store.url, args.changes)
    finally:
        store.stop()
    report += ["", f"Load average at the end: {load_average()}."]
    text = "\n".join(report) + "\n"
    print("\n" + text)
    print(f"written to {save(f'state-{started}.md', text)}")


if __name__ == "__main__":
    main()
