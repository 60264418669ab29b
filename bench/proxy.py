"""Latency the validating proxy adds: each operation called directly and through the proxy, wrk.

One command: ``.venv/bin/python bench/proxy.py`` (installs wrk like bench/load.py if missing).
The upstream is ``mockserver serve`` (both APIs, default world); one ``mockserver proxy`` per API
forwards to it (validation of request and answer on, journal on, no recording). Each cell runs
wrk (``-t1 --latency``) against the upstream directly and through the proxy, back to back,
``--rounds`` times alternating which goes first, and keeps the best of each; the added latency
is the difference of the p50s. Tables go to stdout and bench/results/proxy-<time>.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from workload import ROOT, BenchRequest, Server, Workload, mock_argv, save
from wrk import Measurement, ensure_wrk, interleaved, load_average, run_wrk

from mockserver.vendors import REGISTRY


def proxy_argv(api: str, upstream: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mockserver",
        "proxy",
        "--api",
        api,
        "--upstream",
        upstream,
        "--log-level",
        "warning",
    ]


def api_of(request: BenchRequest) -> str:
    return "sendgrid" if request.path.startswith("/v3/") else "actionhub"


def same_answer(direct_url: str, proxy_url: str, request: BenchRequest) -> None:
    """The proxy answers exactly what the upstream answers (checked before measuring)."""
    import httpx

    with httpx.Client(timeout=10) as http:
        direct = http.get(direct_url + request.target, headers=dict(request.headers))
        proxied = http.get(proxy_url + request.target, headers=dict(request.headers))
    if (direct.status_code, direct.content) != (proxied.status_code, proxied.content):
        sys.exit(f"the proxy answers {request.name} differently from its upstream")
    if "x-mockserver-violation" in proxied.headers:
        sys.exit(f"{request.name}: {proxied.headers['x-mockserver-violation']}")


def row(request: BenchRequest, conns: int, direct: Measurement, proxied: Measurement) -> str:
    added = proxied.p50_ms - direct.p50_ms
    errors = direct.errors + proxied.errors
    flag = f" ({errors} errors)" if errors else ""
    return (
        f"| {request.name} | {conns} | {direct.p50_ms:.2f} | {proxied.p50_ms:.2f} | "
        f"**{added:.2f}** | {direct.p99_ms:.2f} | {proxied.p99_ms:.2f} | "
        f"{direct.rps:,.0f} | {proxied.rps:,.0f}{flag} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per cell (best)")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    args = parser.parse_args()
    ensure_wrk()
    started = time.strftime("%Y%m%d-%H%M%S")
    lines = [
        f"`.venv/bin/python bench/proxy.py` ({time.strftime('%Y-%m-%d %H:%M')}; "
        f"{os.cpu_count()} CPUs; best of {args.rounds} x {args.duration:g} s per cell; "
        f"load average at start {load_average()})",
        "",
        "| operation | conns | direct p50 ms | proxied p50 ms | added p50 ms | direct p99 ms "
        "| proxied p99 ms | direct req/s | proxied req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    added_at_1: list[float] = []
    with Server("upstream", mock_argv()) as upstream:
        upstream.start()
        requests = Workload(upstream.url).requests()
        proxies = {api: Server(f"proxy {api}", proxy_argv(api, upstream.url)) for api in REGISTRY}
        try:
            for api, proxy in proxies.items():
                probe = next(r for r in requests if api_of(r) == api)
                proxy.start(probe)
            for request in requests:
                proxy = proxies[api_of(request)]
                same_answer(upstream.url, proxy.url, request)
                run_wrk(upstream.url, [request], 8, 1)  # warm-up: caches filled, code hot
                run_wrk(proxy.url, [request], 8, 1)
            for conns in args.connections:
                for request in requests:
                    urls = (upstream.url, proxies[api_of(request)].url)
                    direct, proxied = interleaved(urls, request, conns, args.duration, args.rounds)
                    if conns == 1:
                        added_at_1.append(proxied.p50_ms - direct.p50_ms)
                    lines.append(row(request, conns, direct, proxied))
                    print(lines[-1], flush=True)
        finally:
            for proxy in proxies.values():
                proxy.stop()
    if added_at_1:
        lines += [
            "",
            f"- highest added p50 at 1 connection: {max(added_at_1):.2f} ms — goal < 1 ms",
            f"- load average at the end: {load_average()}",
        ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    print(f"written to {save(f'proxy-{started}.md', text).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
