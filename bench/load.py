"""Load benchmark: every operation at 1 and 32 connections, the mock vs a bare Starlette app.

One command: ``.venv/bin/python bench/load.py`` (installs wrk from Debian's packages if
missing). Both servers run single-process on uvicorn with the same settings (log level warning,
no access log); the baseline (bench/baseline_app.py) serves the bytes captured from the mock,
checked equal before measuring. Cells are interleaved rounds (bench/compare.py: the two targets
back to back per round, order rotating); a ratio is the median of the per-round ratios, and the
server CPU time per request - robust when neighbours load the machine - gives a second ratio.
The goal (issue 15): the mock at least as fast as the bare app, >= 1.0x, for every operation.
``--writes``: the write operations instead (bench/writes.py: one repeatable request, or a
create/delete pair, per row; the mock reset before each run), against a baseline that parses the
same JSON body and answers the captured bytes; the goal (issue 25) >= 0.8x.
Tables go to stdout and bench/results/load-<time>.md (load-writes-<time>.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import writes
from compare import (
    Pinning,
    Target,
    api_of,
    cpu_ratio,
    measure,
    probes_for,
    ratio,
    start_all,
    stop_all,
    table,
    warm_up,
)
from workload import ROOT, Server, Workload, mock_argv, save
from wrk import capture, check_same_bytes, ensure_wrk, load_average

MOCK, BASELINE = "mock", "baseline"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds per wrk run (2; 1 with --writes: a run must append fewer than the write "
        "log's 20,000 entries, or the rest are answered 429)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per cell (5)")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    parser.add_argument(
        "--serve-args", default="", help="extra `mockserver serve` flags, e.g. '--cors-origin none'"
    )
    parser.add_argument(
        "--writes", action="store_true", help="the write operations' rows (bench/writes.py)"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="only these operations (reads) or rows (writes)"
    )
    Pinning.add_argument(parser, default="shared")
    args = parser.parse_args()
    flags = args.serve_args.split()
    ensure_wrk()
    pin = Pinning.choose(args.pin)
    started = time.strftime("%Y%m%d-%H%M%S")
    if args.duration is None:
        args.duration = 1 if args.writes else 2
    if args.writes:
        write_rows(args, flags, pin, started)
        return
    apis = api_of()
    with Server("mock (workload)", mock_argv(*flags)) as provisional:
        provisional.start()
        requests = Workload(provisional.url).requests()
        requests = [r for r in requests if not args.only or r.name in args.only]
        if not requests:
            raise SystemExit(f"no such operations: {', '.join(args.only)}")
        entries = capture(provisional.url, requests)
    captured = save(f"captured-{started}.json", json.dumps(entries, indent=1))
    baseline_argv = [sys.executable, str(ROOT / "bench" / "baseline_app.py"), str(captured)]
    served = {apis[r.name] for r in requests}
    mock = Target(MOCK, dict.fromkeys(served, Server(MOCK, pin.server_argv(mock_argv(*flags)))))
    base = Target(BASELINE, dict.fromkeys(served, Server(BASELINE, pin.server_argv(baseline_argv))))
    targets = [mock, base]
    load_at_start = load_average()
    try:
        start_all(targets, probes_for(requests, apis))
        check_same_bytes(base.url(apis[requests[0].name]), requests, entries)
        pin.pin_wrk()
        warm_up(targets, requests, apis)
        cells = measure(targets, requests, apis, args.connections, args.duration, args.rounds)
        rss = mock.rss_mb()
    finally:
        stop_all(targets)
    rows = []
    for conns in args.connections:
        for req in requests:
            m, b = cells[MOCK, req.name, conns], cells[BASELINE, req.name, conns]
            rows.append(
                [
                    req.name,
                    conns,
                    f"{m.rps:,.0f} ({m.spread})",
                    f"{b.rps:,.0f} ({b.spread})",
                    f"{m.p50_ms:.2f} / {m.p99_ms:.2f}",
                    f"{b.p50_ms:.2f} / {b.p99_ms:.2f}",
                    f"{m.cpu_us_per_request:.0f} / {b.cpu_us_per_request:.0f}",
                    ratio(m, b),
                    cpu_ratio(m, b),
                ]
            )
    header = [
        "operation",
        "conns",
        "mock req/s",
        "baseline req/s",
        "mock p50/p99 ms",
        "baseline p50/p99 ms",
        "CPU µs/req mock / baseline",
        "mock / baseline (req/s)",
        "mock / baseline (CPU)",
    ]
    report = [
        f"`.venv/bin/python {command_of(args, flags)}` ({run_line(args, pin, load_at_start)})",
        "",
        table(header, rows, left=1),
        "",
        f"Resident memory of the mock after the run: {rss:.0f} MB.",
    ]
    publish(report, f"load-{started}.md")


def write_rows(args: argparse.Namespace, flags: list[str], pin: Pinning, started: str) -> None:
    """The --writes table: each write row, the mock against the parsing baseline."""
    chosen = [r for r in writes.ROWS if not args.only or r.name in args.only]
    if not chosen:
        raise SystemExit(f"no such rows; the rows are: {', '.join(r.name for r in writes.ROWS)}")
    with Server("mock (workload)", mock_argv(*flags)) as provisional:
        provisional.start()
        entries, fixture = writes.capture(provisional.url, chosen)
    captured = save(f"captured-writes-{started}.json", json.dumps(entries, indent=1))
    baseline_argv = [sys.executable, str(ROOT / "bench" / "baseline_app.py"), str(captured)]
    mock = Target(MOCK, {writes.API: Server(MOCK, pin.server_argv(mock_argv(*flags)))})
    base = Target(BASELINE, {writes.API: Server(BASELINE, pin.server_argv(baseline_argv))})
    load_at_start = load_average()
    try:
        for target in (mock, base):
            target.servers[writes.API].start()
        writes.check_baseline(base.url(writes.API), entries)
        pin.pin_wrk()
        writes.warm_up(mock, base, chosen, fixture)
        cells = writes.measure(
            mock, base, chosen, fixture, args.connections, args.duration, args.rounds
        )
        rss = mock.rss_mb()
    finally:
        stop_all([mock, base])
    rows = []
    for conns in args.connections:
        for row in chosen:
            m, b = cells[MOCK, row.name, conns], cells[BASELINE, row.name, conns]
            rows.append(
                [
                    row.name,
                    conns,
                    f"{m.rps:,.0f} ({m.spread})",
                    f"{b.rps:,.0f} ({b.spread})",
                    f"{m.cpu_us_per_request:.0f} / {b.cpu_us_per_request:.0f}",
                    ratio(m, b),
                    cpu_ratio(m, b),
                    f"{m.errors} / {b.errors}",
                ]
            )
    header = [
        "operation(s)",
        "conns",
        "mock req/s",
        "baseline req/s",
        "CPU µs/req mock / baseline",
        "mock / baseline (req/s)",
        "mock / baseline (CPU)",
        "errors mock / baseline",
    ]
    legend = [f"- {row.name} ({row.kind}): {row.measures}" for row in chosen]
    report = [
        f"`.venv/bin/python {command_of(args, flags)}` ({run_line(args, pin, load_at_start)})",
        "",
        table(header, rows, left=1),
        "",
        "Errors: a status the row does not expect, or a socket error or timeout (wrk's).",
        "What each row sends (bench/writes.py):",
        *legend,
        "",
        f"Resident memory of the mock after the run: {rss:.0f} MB.",
    ]
    publish(report, f"load-writes-{started}.md")


def command_of(args: argparse.Namespace, flags: list[str]) -> str:
    command = "bench/load.py" + (" --writes" if args.writes else "")
    return command + (f" --serve-args {args.serve_args!r}" if flags else "")


def run_line(args: argparse.Namespace, pin: Pinning, load_at_start: str) -> str:
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} CPUs, {pin.describe()}; "
        f"{args.rounds} rounds x {args.duration:g} s per cell; "
        f"load average {load_at_start} at start, {load_average()} at the end"
    )


def publish(report: list[str], name: str) -> None:
    text = "\n".join(report) + "\n"
    print("\n" + text)
    print(f"written to {save(name, text).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
