"""wrk, and the mock's captured bytes: what every load benchmark drives and checks with.

``run_wrk`` runs one wrk (one thread, ``--latency``) over one request or a round-robin of
several and returns the parsed :class:`Measurement`; ``capture`` / ``check_same_bytes`` make
sure a baseline serves exactly the mock's bytes before it is measured.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from workload import BenchRequest

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
    return run_script(url, lua_script(requests), connections, seconds)


def run_script(url: str, lua: str, connections: int, seconds: float) -> Measurement:
    """One wrk run of a Lua script whose ``done`` prints the ``RESULT`` line (:data:`DONE`)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
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


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def cell(m: Measurement) -> str:
    """``req/s | p50 ms | p99 ms`` for a Markdown table row."""
    flag = f" ({m.errors} errors)" if m.errors else ""
    return f"{m.rps:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f}{flag}"


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
