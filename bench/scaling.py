"""Scaling curve and feature costs of the mock: 1/2/4 ``--workers``, and each feature switched on.

One command: ``.venv/bin/python bench/scaling.py`` (~7 min with the defaults). Two groups of
targets, each measured in interleaved rounds (bench/compare.py, median of ``--rounds`` with the
spread), every operation of bench/workload.py at 32 connections:

- workers: ``mockserver serve --workers 1|2|4`` (default mode) — throughput and resident memory
  (summed over the worker processes);
- features, one process each, as a ratio to the default mode (journal and CORS middleware on,
  no ``Origin`` header): ``cors`` (the same server, requests carry ``Origin``: CORS answers them),
  ``faults`` (``--error-rate 1e-9``: the fault draw runs for every request, no sleep, no 500 in
  practice), ``validate`` (``--validate-responses``), ``rate-limit`` (SendGrid
  ``--rate-limit 1000000000``: the per-key counter runs, never reached; ActionHub has none) and
  ``all`` of them together.

Every target must answer 200 to every request first (``cors`` must answer with
``access-control-allow-origin``, ``rate-limit`` with its own ``x-ratelimit-limit``); a cell that
does not is reported and left out. wrk runs on the last CPU (``--pin``); on a 2-CPU machine the
workers keep both CPUs, so they share one with wrk. Tables go to stdout and
bench/results/scaling-<time>.md.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import httpx
from compare import (
    Cell,
    Key,
    Pinning,
    Target,
    add_run_arguments,
    api_of,
    chosen_operations,
    measure,
    probes_for,
    ratio,
    start_all,
    stop_all,
    table,
    unmeasurable,
    warm_up,
)
from workload import ROOT, BenchRequest, Server, Workload, mock_argv, save
from wrk import ensure_wrk, load_average

from mockserver.vendors import REGISTRY

ORIGIN = "http://127.0.0.1:5173"
RATE_LIMIT = 1_000_000_000
WORKERS = (1, 2, 4)
Cells = dict[Key, Cell]


def cors_answered(reply: httpx.Response) -> str | None:
    if reply.headers.get("access-control-allow-origin") not in (ORIGIN, "*"):
        return "no access-control-allow-origin: the CORS path did not run"
    return None


def rate_limited(reply: httpx.Response) -> str | None:
    if reply.request.url.path.startswith("/v3/") and reply.headers.get("x-ratelimit-limit") != str(
        RATE_LIMIT
    ):
        return f"x-ratelimit-limit is {reply.headers.get('x-ratelimit-limit')}, not {RATE_LIMIT}"
    return None


def all_on(reply: httpx.Response) -> str | None:
    return cors_answered(reply) or rate_limited(reply)


#: Feature name -> (extra serve flags, extra request headers, answer check).
FEATURES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...], Callable | None]] = {
    "cors": ((), (("Origin", ORIGIN),), cors_answered),
    "faults": (("--error-rate", "1e-9"), (), None),
    "validate": (("--validate-responses",), (), None),
    "rate-limit": (("--rate-limit", str(RATE_LIMIT)), (), rate_limited),
    "all": (
        ("--error-rate", "1e-9", "--validate-responses", "--rate-limit", str(RATE_LIMIT)),
        (("Origin", ORIGIN),),
        all_on,
    ),
}


def mock_target(name: str, flags: tuple[str, ...], pin: Pinning) -> Target:
    server = Server(name, pin.server_argv(mock_argv(*flags)))
    return Target(name, dict.fromkeys(REGISTRY, server))


def build_groups(pin: Pinning, groups: list[str]) -> dict[str, list[Target]]:
    """``workers`` and ``features`` targets; the default single process is shared by both."""
    default = mock_target("default", (), pin)
    found: dict[str, list[Target]] = {}
    if "workers" in groups:
        found["workers"] = [
            Target("1 worker", default.servers)
            if n == 1
            else mock_target(f"{n} workers", ("--workers", str(n)), pin)
            for n in WORKERS
        ]
    if "features" in groups:
        found["features"] = [default]
        for name, (flags, headers, check) in FEATURES.items():
            servers = mock_target(name, flags, pin).servers if flags else default.servers
            found["features"].append(Target(name, servers, extra_headers=headers, check=check))
    return found


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_run_arguments(parser, connections=[32], pin="shared")
    parser.add_argument(
        "--groups",
        nargs="+",
        choices=("workers", "features"),
        default=["workers", "features"],
        help="which comparisons to run (both)",
    )
    return parser.parse_args()


def plan(args: argparse.Namespace, groups: dict[str, list[Target]], op_ids: list[str]) -> str:
    lines = []
    runs = 0
    for group, targets in groups.items():
        lines.append(f"{group}:")
        for target in targets:
            headers = "".join(f" + header {k}: {v}" for k, v in target.extra_headers)
            lines += [f"  {line}{headers}" for line in target.argv_lines()]
        runs += len(targets) * len(op_ids) * len(args.connections) * args.rounds
    lines += [
        f"operations: {', '.join(op_ids)}",
        f"connections: {args.connections}; rounds: {args.rounds} x {args.duration:g} s; "
        f"{Pinning.choose(args.pin).describe()}",
        f"wrk runs: {runs}; about {runs * (args.duration + 0.1) / 60:.1f} min plus warm-up",
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    pin = Pinning.choose(args.pin)
    op_ids = chosen_operations(args.operations)
    groups = build_groups(pin, args.groups)
    if args.dry_run:
        print(plan(args, groups, op_ids))
        return
    ensure_wrk()
    started = time.strftime("%Y%m%d-%H%M%S")
    load_at_start = load_average()
    apis = api_of()
    everything = [t for targets in groups.values() for t in targets]
    report = [
        f"`.venv/bin/python bench/scaling.py --duration {args.duration:g} --rounds {args.rounds}"
        f" --pin {args.pin}` ({time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} CPUs; "
        f"{pin.describe()}; median of {args.rounds} interleaved rounds x {args.duration:g} s "
        f"per cell, spread = min-max req/s; load average at start {load_at_start})"
    ]
    try:
        with Server("mock (workload)", mock_argv()) as provisional:
            provisional.start()
            every = Workload(provisional.url).requests()
        requests = [r for r in every if r.name in op_ids]
        start_all(everything, probes_for(every, apis))
        problems, skip = unmeasurable(everything, requests, apis)
        pin.pin_wrk()
        for group, targets in groups.items():
            print(f"{group} ...", flush=True)
            warm_up(targets, requests, apis)
            cells = measure(
                targets, requests, apis, args.connections, args.duration, args.rounds, skip
            )
            rss = {t.name: t.rss_mb() for t in targets}
            report.append(versus_table(targets, requests, args.connections, cells, rss))
    finally:
        stop_all(everything)
    found = [f"- {name} {op}: {p}" for name, ops in problems.items() for op, p in ops.items()]
    report.append(
        "Not measured (answered other than expected):\n" + "\n".join(found)
        if found
        else "Every target answered 200 (and its feature's header) before it was measured."
    )
    report.append(f"Load average at the end: {load_average()}.")
    text = "\n\n".join(report)
    print("\n" + text)
    print(f"written to {save(f'scaling-{started}.md', text + chr(10)).relative_to(ROOT)}")


def versus_table(
    targets: list[Target],
    requests: list[BenchRequest],
    connections: list[int],
    cells: Cells,
    rss: dict[str, float],
) -> str:
    """One row per operation and target, against the group's first target (the reference)."""
    reference = targets[0].name
    rows = []
    for conns in connections:
        for req in requests:
            base = cells.get((reference, req.name, conns))
            for target in targets:
                cell = cells.get((target.name, req.name, conns))
                if cell is None:
                    rows.append([req.name, conns, target.name, "not measured"])
                    continue
                extra = cell.cpu_us_per_request - base.cpu_us_per_request if base else None
                rows.append(
                    [
                        req.name,
                        conns,
                        target.name,
                        f"{cell.rps:,.0f}",
                        cell.spread,
                        "1" if target.name == reference else ratio(cell, base),
                        f"{cell.p99_ms:.1f}",
                        f"{cell.cpu_us_per_request:.0f}",
                        "" if target.name == reference or extra is None else f"{extra:+.0f}",
                        cell.errors,
                    ]
                )
    header = ["operation", "conns", "target", "req/s", "spread", f"/ {reference} (range)"]
    header += ["p99 ms", "server CPU µs/req", f"CPU µs vs {reference}", "errors"]
    memory = ", ".join(f"{t.name} {rss[t.name]:.0f} MB" for t in targets)
    return table(header, rows, left=3) + f"\n\nRSS after the load: {memory}."


if __name__ == "__main__":
    main()
