"""Resident memory of `mockserver serve`: the default world and the large ones.

Usage: .venv/bin/python bench/memory.py [--world NAME ...]   (default: the first three)
Each world starts a fresh server, answers every operation once (so caches and lazily built
data exist), and reports RSS after start-up, after the requests, and the peak (VmHWM).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
from workload import Server, Workload, mock_argv, save

#: program-id that no fixture defines: ActionHub generates its world (sized by --users).
GENERATED_PROGRAM = "memory-bench"
WORLDS: dict[str, tuple[str, ...]] = {
    "default": (),
    "actionhub --users 100000": ("--users", "100000"),
    "sendgrid --contacts 100000": ("--contacts", "100000"),
    "actionhub --users 1000000": ("--users", "1000000"),
    "sendgrid --contacts 1000000": ("--contacts", "1000000"),
}
#: Run unless --world names others (the million-row worlds take minutes).
DEFAULT_WORLDS = list(WORLDS)[:3]


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure(name: str, flags: tuple[str, ...]) -> str:
    with Server(name, mock_argv(*flags)) as server:
        started = time.perf_counter()
        server.start(timeout=600)
        ready = time.perf_counter() - started
        after_start = server.rss_mb()
        workload = Workload(server.url)
        with httpx.Client(base_url=server.url, timeout=600) as http:
            for req in workload.requests():
                http.request(req.method, req.target, headers=dict(req.headers))
                generated = {**dict(req.headers), "program-id": GENERATED_PROGRAM}
                if "program-id" in dict(req.headers):  # a generated world, built lazily
                    http.request(req.method, req.target, headers=generated)
        after_requests = server.rss_mb()
        assert server.process is not None
        peak = peak_kb(server.process.pid) / 1024
    return (
        f"| {name} | {ready:.1f} s | {after_start:.0f} MB | {after_requests:.0f} MB "
        f"| {peak:.0f} MB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", choices=list(WORLDS), nargs="+", default=DEFAULT_WORLDS)
    args = parser.parse_args()
    lines = [
        "| world | start-up | RSS after start-up | RSS after every operation | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in args.world:
        lines.append(measure(name, WORLDS[name]))
        print(lines[-1], flush=True)
    text = "`.venv/bin/python bench/memory.py`\n\n" + "\n".join(lines) + "\n"
    print("\n" + text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    print(f"written to {save(f'memory-{stamp}.md', text)}")


if __name__ == "__main__":
    main()
