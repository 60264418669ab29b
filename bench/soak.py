"""Soak: mixed operations at 64 connections for 30 s; zero errors, RSS growth < 10 %.

Usage: .venv/bin/python bench/soak.py [--seconds 30] [--connections 64] [--warmup 5]
The mix is every operation with the `vary` values of bench/workload.py, round-robin in one
wrk Lua script. RSS of the server process is read from /proc after a warm-up with the same
mix (caches filled) and again at the end; any socket error or non-2xx answer is an error.
The canonical answers must be byte-identical before and after.
"""

from __future__ import annotations

import argparse
import sys
import time

from workload import Server, Workload, mock_argv, save
from wrk import CLOCK, answer, ensure_wrk, run_wrk

GROWTH_LIMIT = 0.10


def stable(url: str, requests: list) -> list[tuple]:
    found = []
    for req in requests:
        status, headers, body = answer(url, req)
        found.append((status, [h for h in headers if h[0] not in CLOCK], body))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=5)
    args = parser.parse_args()
    ensure_wrk()
    with Server("mock", mock_argv()) as mock:
        mock.start()
        workload = Workload(mock.url)
        canonical = workload.requests()
        mix = workload.mix()
        before_bytes = stable(mock.url, canonical)
        warm = run_wrk(mock.url, mix, args.connections, args.warmup)
        rss_before = mock.rss_mb()
        soak = run_wrk(mock.url, mix, args.connections, args.seconds)
        rss_after = mock.rss_mb()
        same = stable(mock.url, canonical) == before_bytes
        alive = mock.process is not None and mock.process.poll() is None
    growth = rss_after / rss_before - 1
    ok = soak.errors == 0 and warm.errors == 0 and growth < GROWTH_LIMIT and same and alive
    text = "\n".join(
        [
            f"`.venv/bin/python bench/soak.py --seconds {args.seconds:g} "
            f"--connections {args.connections}` ({time.strftime('%Y-%m-%d %H:%M')})",
            "",
            "| measure | value | goal |",
            "| --- | ---: | --- |",
            f"| distinct requests in the mix | {len(mix)} | every operation |",
            f"| requests answered | {soak.requests:,} ({soak.rps:,.0f}/s) | |",
            f"| latency p50 / p99 | {soak.p50_ms:.1f} / {soak.p99_ms:.1f} ms | |",
            f"| errors (socket or non-2xx) | {soak.errors} (warm-up: {warm.errors}) | 0 |",
            f"| RSS after warm-up -> after soak | {rss_before:.1f} -> {rss_after:.1f} MB "
            f"({growth:+.1%}) | < +10% |",
            f"| canonical answers byte-identical after | {'yes' if same else 'NO'} | yes |",
            "",
            f"Verdict: {'pass' if ok else 'FAIL'}",
        ]
    )
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    print(f"written to {save(f'soak-{stamp}.md', text + chr(10))}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
