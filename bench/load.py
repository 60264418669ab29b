"""Load benchmark: every operation at 1/32/128 connections, mock vs a bare Starlette baseline.

One command: ``.venv/bin/python bench/load.py`` (installs wrk from Debian's packages if missing).
Both servers run single-process on uvicorn with the same settings (log level warning, no access
log); each cell measures the mock and then the baseline, back to back, with wrk --latency.
The baseline serves the bytes captured from the mock (checked equal before measuring). The run
ends with the 1 -> 2 worker scaling of the mock and its resident memory.
Tables go to stdout and bench/results/load-<time>.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from workload import ROOT, BenchRequest, Server, Workload, mock_argv, save

#: Headers uvicorn adds or computes itself: not captured for the baseline.
OWN = {"date", "server", "content-length"}
#: Captured headers whose value follows the clock: not compared.
CLOCK = {"x-ratelimit-reset"}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get install -y wrk) ...", file=sys.stderr)
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(install, check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.0f %.0f %.0f %.0f\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # ASCII JSON strings are valid Lua string literals


def lua_script(requests: list[BenchRequest]) -> str:
    """One request: wrk.path/headers; several: a round-robin ``request`` function."""
    if len(requests) == 1:
        (req,) = requests
        lines = [f"wrk.method = {lua_string(req.method)}", f"wrk.path = {lua_string(req.target)}"]
        lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in req.headers]
        return "\n".join(lines) + DONE
    formatted = []
    for req in requests:
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in req.headers)
        formatted.append(
            f"wrk.format({lua_string(req.method)}, {lua_string(req.target)}, {{{headers}}})"
        )
    body = ",\n  ".join(formatted)
    return (
        f"local requests = {{\n  {body}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n" + DONE
    )


@dataclass(frozen=True)
class Measurement:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def run_wrk(
    url: str, requests: list[BenchRequest], connections: int, seconds: float
) -> Measurement:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(requests))
    argv = [
        "wrk",
        "--latency",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "-s",
        script.name,
        url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    count, duration_us, p50, p99, errors = (float(x) for x in line.split()[1:])
    return Measurement(count / (duration_us / 1e6), p50 / 1000, p99 / 1000, int(errors), int(count))


# --- capture the mock's bytes and check the baseline serves them ----------------------------


def answer(url: str, req: BenchRequest) -> tuple[int, list[tuple[str, str]], bytes]:
    with httpx.Client(base_url=url, timeout=10) as http:
        reply = http.request(req.method, req.target, headers=dict(req.headers))
    headers = [(k, v) for k, v in reply.headers.items() if k not in OWN]
    return reply.status_code, sorted(headers), reply.content


def capture(url: str, requests: list[BenchRequest]) -> list[dict]:
    entries = []
    for req in requests:
        status, headers, body = answer(url, req)
        entries.append(
            {
                "name": req.name,
                "path": req.path,
                "query": req.query,
                "status": status,
                "headers": headers,
                "body_b64": base64.b64encode(body).decode(),
            }
        )
    return entries


def check_same_bytes(url: str, requests: list[BenchRequest], entries: list[dict]) -> None:
    for req, entry in zip(requests, entries, strict=True):
        status, headers, body = answer(url, req)
        got = (status, [h for h in headers if h[0] not in CLOCK], body)
        kept = [tuple(h) for h in entry["headers"] if h[0] not in CLOCK]
        want = (entry["status"], kept, base64.b64decode(entry["body_b64"]))
        if got != want:
            sys.exit(f"{url} answers {req.name} differently from the capture: {got} != {want}")


# --- report -----------------------------------------------------------------------------------


def cell(m: Measurement) -> str:
    flag = f" ({m.errors} errors)" if m.errors else ""
    return f"{m.rps:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f}{flag}"


def load_table(rows: list[tuple[BenchRequest, int, Measurement, Measurement]]) -> str:
    lines = [
        "| operation | conns | mock req/s | mock p50 ms | mock p99 ms "
        "| baseline req/s | baseline p50 ms | baseline p99 ms | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for req, conns, mock, base in rows:
        ratio = mock.rps / base.rps if base.rps else 0.0
        lines.append(f"| {req.name} | {conns} | {cell(mock)} | {cell(base)} | {ratio:.2f}x |")
    return "\n".join(lines)


def verdict(rows: list[tuple[BenchRequest, int, Measurement, Measurement]]) -> str:
    worst = min(rows, key=lambda r: r[2].rps / r[3].rps)
    at32 = [r for r in rows if r[1] == 32]
    slowest = max(at32, key=lambda r: r[2].p99_ms) if at32 else None
    errors = sum(r[2].errors + r[3].errors for r in rows)
    lines = [
        f"- lowest ratio: {worst[2].rps / worst[3].rps:.2f}x ({worst[0].name}, {worst[1]} conns)"
        " — goal >= 0.5x",
        f"- errors (socket or non-2xx) over all cells: {errors}",
    ]
    if slowest:
        lines.append(
            f"- highest mock p99 at 32 conns: {slowest[2].p99_ms:.2f} ms ({slowest[0].name})"
            " — goal < 10 ms"
        )
    return "\n".join(lines)


def interleaved(
    urls: tuple[str, str], req: BenchRequest, conns: int, seconds: float, rounds: int
) -> tuple[Measurement, Measurement]:
    """Best of ``rounds`` for two servers, measured back to back, alternating which goes first."""
    found: tuple[list[Measurement], list[Measurement]] = ([], [])
    for round_ in range(rounds):
        for which in (0, 1) if round_ % 2 == 0 else (1, 0):
            found[which].append(run_wrk(urls[which], [req], conns, seconds))
    return tuple(  # type: ignore[return-value]
        replace(max(runs, key=lambda m: m.rps), errors=sum(m.errors for m in runs))
        for runs in found
    )


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per cell (best)")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32, 128])
    parser.add_argument("--workers", type=int, default=2, help="workers for the scaling run")
    parser.add_argument(
        "--serve-args", default="", help="extra `mockserver serve` flags, e.g. '--cors-origin none'"
    )
    args = parser.parse_args()
    flags = args.serve_args.split()
    ensure_wrk()
    started = time.strftime("%Y%m%d-%H%M%S")
    command = "bench/load.py" + (f" --serve-args {args.serve_args!r}" if flags else "")
    report = [
        f"`.venv/bin/python {command}`"
        f" ({time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} "
        f"CPUs; best of {args.rounds} x {args.duration:g} s per cell; "
        f"load average at start {load_average()})",
        "",
    ]
    with Server("mock", mock_argv(*flags)) as mock:
        mock.start()
        workload = Workload(mock.url)
        requests = workload.requests()
        rss_idle = mock.rss_mb()
        entries = capture(mock.url, requests)
        captured = save(f"captured-{started}.json", json.dumps(entries, indent=1))
        baseline_argv = [sys.executable, str(ROOT / "bench" / "baseline_app.py"), str(captured)]
        with Server("baseline", baseline_argv) as baseline:
            baseline.start(requests[0])
            check_same_bytes(baseline.url, requests, entries)
            for req in requests:  # warm-up: caches filled, code paths hot
                run_wrk(mock.url, [req], 8, 1)
                run_wrk(baseline.url, [req], 8, 1)
            rows = []
            for conns in args.connections:
                for req in requests:
                    urls = (mock.url, baseline.url)
                    m, b = interleaved(urls, req, conns, args.duration, args.rounds)
                    rows.append((req, conns, m, b))
                    print(f"{req.name} c={conns}: mock {cell(m)} / baseline {cell(b)}", flush=True)
        rss_loaded = mock.rss_mb()
        report += [load_table(rows), "", verdict(rows), ""]
        report += [scaling(mock.url, requests, entries, args), ""]
    report += [
        f"Resident memory of the mock (default world, one process): {rss_idle:.0f} MB after "
        f"start-up, {rss_loaded:.0f} MB after the run — goal < 150 MB. "
        f"Load average at the end: {load_average()}.",
    ]
    text = "\n".join(report) + "\n"
    print("\n" + text)
    print(f"written to {save(f'load-{started}.md', text).relative_to(ROOT)}")


def scaling(
    single_url: str, requests: list[BenchRequest], entries: list[dict], args: argparse.Namespace
) -> str:
    """1 worker vs N workers at 32 connections, interleaved like the main table."""
    workers = args.workers
    lines = [
        f"| operation (32 conns) | 1 worker req/s | {workers} workers req/s | scaling |",
        "| --- | ---: | ---: | ---: |",
    ]
    argv = mock_argv("--workers", str(workers), *args.serve_args.split())
    with Server(f"mock x{workers}", argv) as multi:
        multi.start(requests[0])
        check_same_bytes(multi.url, requests, entries)
        for req in requests:
            run_wrk(multi.url, [req], 32, 1)
            one, many = interleaved((single_url, multi.url), req, 32, args.duration, args.rounds)
            lines.append(
                f"| {req.name} | {one.rps:,.0f} | {many.rps:,.0f} | {many.rps / one.rps:.2f}x |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
