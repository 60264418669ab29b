"""A well-behaved client in its own process: asks one valid request per operation, round after
round, until its stdin closes; then prints every latency and failure as JSON.

Its own process, so what the test does meanwhile (opening 1,100 sockets, sending 4 MB bodies)
does not slow the measurement down. ``--fresh`` opens a new connection per request (a new
client each time: what a full connection table would lock out).

Usage: python -m tests.reliability.probe URL [--fresh]; prints "ready" once it has an answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import httpx

from bench.workload import Workload

#: Seconds one request may take before it counts as a failure (never a hang).
REQUEST_TIMEOUT = 10.0


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("url")
    args.add_argument("--fresh", action="store_true")
    options = args.parse_args()
    requests = Workload(options.url).requests()
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_keepalive_connections=0 if options.fresh else 1)
    with httpx.Client(base_url=options.url, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        ready = False
        while not stop.is_set():
            for request in requests:
                started = time.perf_counter()
                try:
                    reply = client.request(
                        request.method, request.target, headers=dict(request.headers)
                    )
                    if reply.status_code >= 500:
                        failures.append(f"{request.target}: {reply.status_code}")
                except httpx.HTTPError as exc:
                    failures.append(f"{request.target}: {type(exc).__name__}: {exc}")
                latencies.append((time.perf_counter() - started) * 1000)
                if not ready:
                    print("ready", flush=True)
                    ready = True
    print(json.dumps({"latencies_ms": latencies, "failures": failures}), flush=True)


if __name__ == "__main__":
    main()
