"""Shared state (``serve --state redis://...``): throughput against the in-process state, and
how soon a scenario set through one replica is answered by another.

One command: ``.venv/bin/python bench/state.py`` (needs Debian's redis-server and wrk; ~2 min).

- Throughput: ``mockserver serve`` without and with ``--state`` (same machine, same run), every
  operation of the workload at ``--connections`` (32), in interleaved rounds like bench/load.py
  (bench/compare.py: the two back to back per round, order rotating); a ratio is the median of
  the per-round req/s ratios, and the server CPU time per request (the mock's process, not
  redis-server's) gives a second ratio that a busy neighbour disturbs less. The shared journal
  is on the request path: each record is packed and stored by a writer task on the serving loop.
- In process: the same requests through the app called directly (no server, no socket), 32
  callers at a time, with the in-process state and with ``--state``: CPU µs per request of this
  process alone, the journal's whole cost on the request path without uvicorn's ~45 µs around it.
- Propagation: two ``serve --state`` processes A and B; ``--changes`` times a scenario is set
  (then cleared) through A's control API and B is asked as fast as one client can until it
  answers the change; the time from A's answer to B's first changed answer is the figure.
- Read your writes: as many times, a request through A then at once a journal read through B
  (``?limit=1``): the read must show that request; its time is the figure.
Tables go to stdout and bench/results/state-<time>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
import redis
from asgi import http_scope
from compare import (
    Pinning,
    api_of,
    cpu_ratio,
    measure,
    probes_for,
    ratio,
    rotated,
    single,
    start_all,
    stop_all,
    table,
    warm_up,
)
from workload import HEADER_VALUES, BenchRequest, Server, Workload, free_port, mock_argv, save
from wrk import ensure_wrk, load_average

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.state.redis import redis_state

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


def served_from(root: str, argv: list[str]) -> list[str]:
    """``argv`` run in another checkout (its ``mockserver`` package, this interpreter)."""
    return ["bash", "-c", 'cd "$1" && shift && exec "$@"', "-", root, *argv]


def throughput(
    url: str,
    requests: list[BenchRequest],
    probes: dict[str, BenchRequest],
    rounds: int,
    duration: float,
    connections: int,
    against: str | None,
) -> list[str]:
    pin = Pinning.choose("shared")
    alone = single("in-process", mock_argv(), pin)
    flags = ("--state", url, "--state-prefix")
    shared = [single("--state", mock_argv(*flags, "bench"), pin)]
    if against:  # the same figures for another checkout, in the same rounds
        argv = served_from(against, mock_argv(*flags, "against"))
        shared.append(single(f"--state ({against})", argv, pin))
    apis = api_of()
    targets = [*shared, alone]
    try:
        start_all(targets, probes)
        pin.pin_wrk()
        warm_up(targets, requests, apis)
        cells = measure(targets, requests, apis, [connections], duration, rounds)
        last = httpx.get(f"{shared[0].url('actionhub')}/__mockserver/requests?limit=1").json()
    finally:
        stop_all(targets)
    lines = []
    for target in shared:
        lines += [*against_in_process(target.name, cells, requests, connections), ""]
    return [*lines, f"- shared journal after the run: last id {last['requests'][0]['id']:,}"]


def against_in_process(name: str, cells: dict, requests: list, connections: int) -> list[str]:
    """One shared target's table against the in-process mock, and its lowest and median."""
    rows, ratios, cpu = [], [], []
    for req in requests:
        s, a = cells[name, req.name, connections], cells["in-process", req.name, connections]
        ratios.append(statistics.median(x.rps / y.rps for x, y in zip(s.runs, a.runs, strict=True)))
        cpu.append(a.cpu_us_per_request / s.cpu_us_per_request)
        rows.append(
            [
                req.name,
                f"{a.rps:,.0f} ({a.spread})",
                f"{s.rps:,.0f} ({s.spread})",
                f"{a.p50_ms:.2f} / {s.p50_ms:.2f}",
                f"{a.cpu_us_per_request:.0f} / {s.cpu_us_per_request:.0f}",
                ratio(s, a),
                cpu_ratio(s, a),
            ]
        )
    header = [
        f"operation ({connections} conns)",
        "in-process req/s",
        f"{name} req/s",
        "p50 ms in-process / shared",
        "CPU µs/req in-process / shared",
        "shared / in-process (req/s)",
        "(CPU)",
    ]
    return [
        f"`{name}`:",
        "",
        table(header, rows),
        "",
        f"- req/s ratio: lowest {min(ratios):.2f}x, median {statistics.median(ratios):.2f}x; "
        f"CPU ratio: lowest {min(cpu):.2f}x, median {statistics.median(cpu):.2f}x — goal >= 0.8x",
    ]


#: Callers at a time, in process, and about how long one measurement takes (seconds).
CALLERS, SPAN = 32, 0.3


async def called(app: MockApp, req: BenchRequest, per_caller: int) -> None:
    """``CALLERS`` callers sending ``req`` ``per_caller`` times each, one request per loop turn
    (as a server's connections give them)."""
    scope = http_scope(req.target, [(k.encode(), v.encode()) for k, v in req.headers])

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        pass

    async def caller() -> None:
        for _ in range(per_caller):
            await app(dict(scope), receive, send)
            await asyncio.sleep(0)

    await asyncio.gather(*(caller() for _ in range(CALLERS)))


def cpu_per_request(app: MockApp, req: BenchRequest) -> float:
    async def run() -> float:
        started = time.perf_counter()
        await called(app, req, 10)  # warm: memos filled, the writer's client connected
        each = (time.perf_counter() - started) / (10 * CALLERS)
        per_caller = max(5, min(250, round(SPAN / each / CALLERS)))
        started = time.process_time()
        await called(app, req, per_caller)
        spent = time.process_time() - started
        close = getattr(app.state.journal, "aclose", None)
        if close is not None:
            await close()
        return spent / (per_caller * CALLERS) * 1e6

    return asyncio.run(run())


def in_process(url: str, requests: list[BenchRequest], rounds: int) -> list[str]:
    state = redis_state(url, prefix="in-process")
    apps = {
        "in-process": build_app(ServeConfig()),
        "--state": build_app(ServeConfig(), state=state),
    }
    state.start()  # its listener brings the store back after a timeout on a loaded machine
    rows = []
    for req in requests:
        cpu: dict[str, list[float]] = {name: [] for name in apps}
        lost = False  # a measurement that ran with the store lost stored nothing: not counted
        for round_ in range(rounds):
            for name in rotated(list(apps), round_):
                cpu[name].append(cpu_per_request(apps[name], req))
                lost = lost or not state.link.up
        alone, shared = (statistics.median(cpu[name]) for name in apps)
        note = " (store lost during a round)" if lost else ""
        rows.append([req.name, f"{alone:.1f}", f"{shared:.1f}", f"{shared - alone:+.1f}{note}"])
    state.close()
    header = ["operation (called in process)", "in-process µs", "--state µs", "difference"]
    return [
        f"CPU per request of the app alone ({CALLERS} callers, median of {rounds} rounds):",
        "",
        table(header, rows),
    ]


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
            read_ms = read_your_writes(to_a, to_b, changes)
    seen_ms.sort()
    p50 = statistics.median(seen_ms)
    p99 = seen_ms[min(len(seen_ms) - 1, round(0.99 * len(seen_ms)))]
    quick = 100 * sum(ms < 2 for ms in seen_ms) / len(seen_ms)
    read_ms.sort()
    return [
        f"- scenario changes (set and clear) through A: {len(seen_ms)}",
        f"- time from A's answer until B answers the change: p50 {p50:.2f} ms, p99 "
        f"{p99:.2f} ms, max {seen_ms[-1]:.2f} ms — goal p99 < 50 ms",
        f"- changes seen by B within 2 ms: {quick:.0f}%"
        " (B is asked back to back, one request at a time)",
        f"- a journal read through B right after a request through A: {len(read_ms)} reads, "
        f"each showed its request; p50 {statistics.median(read_ms):.2f} ms, max "
        f"{read_ms[-1]:.2f} ms",
    ]


def read_your_writes(to_a: httpx.Client, to_b: httpx.Client, times: int) -> list[float]:
    """A request through A, then at once the journal's newest entry through B: it must be that
    request. Returns the reads' times in ms."""
    read_ms = []
    for i in range(times):
        target = f"{PROBE}&page={i + 1}"
        assert to_a.get(target, headers=HEADER_VALUES).status_code == 200
        started = time.perf_counter()
        (newest,) = to_b.get("/__mockserver/requests?limit=1").json()["requests"]
        read_ms.append((time.perf_counter() - started) * 1000)
        assert newest["query"].endswith(f"page={i + 1}"), f"B's journal missed request {i}"
    return read_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=2, help="seconds per wrk run (2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per cell (5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument(
        "--operations", nargs="+", default=[], metavar="OPERATION_ID", help="only these"
    )
    parser.add_argument(
        "--against",
        metavar="CHECKOUT",
        help="also measure `serve --state` of another checkout (e.g. main) in the same rounds",
    )
    parser.add_argument(
        "--skip-propagation", action="store_true", help="throughput only (no replicas A and B)"
    )
    parser.add_argument("--changes", type=int, default=200, help="scenario changes timed")
    args = parser.parse_args()
    ensure_wrk()
    started = time.strftime("%Y%m%d-%H%M%S")
    report = [
        f"`.venv/bin/python bench/state.py {' '.join(sys.argv[1:])}` "
        f"({time.strftime('%Y-%m-%d %H:%M')}; "
        f"{os.cpu_count()} CPUs; {args.rounds} interleaved rounds x {args.duration:g} s per cell; "
        f"load average at start {load_average()})",
        "",
    ]
    store = RedisProcess()
    try:
        with Server("mock (workload)", mock_argv()) as provisional:
            provisional.start()
            every = Workload(provisional.url).requests()
        requests = [r for r in every if not args.operations or r.name in args.operations]
        report += in_process(store.url, requests, args.rounds) + [""]
        probes = probes_for(every, api_of())
        report += throughput(
            store.url, requests, probes, args.rounds, args.duration, args.connections, args.against
        )
        if not args.skip_propagation:
            report += ["", *propagation(store.url, args.changes)]
    finally:
        store.stop()
    report += ["", f"Load average at the end: {load_average()}."]
    text = "\n".join(report) + "\n"
    print("\n" + text)
    print(f"written to {save(f'state-{started}.md', text)}")


if __name__ == "__main__":
    main()
