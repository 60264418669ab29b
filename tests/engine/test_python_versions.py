"""Python 3.10, our declared minimum, answers requests that wait in their first step (issue 21):
``--latency``, latency faults and every request under ``--state redis`` answered 400 there
(``loop.create_task(context=)`` is 3.11+).

Runs ``mockserver serve`` on a Python 3.10 that has our dependencies: this interpreter when it
is one (``make test-pythons``), else the ``.venv-3.10`` that target builds; skipped, saying so,
where there is none.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bench.workload import free_port
from tests.conftest import PROGRAM

ROOT = Path(__file__).resolve().parents[2]
OLDEST = (3, 10)
JSON = {"content-type": "application/json"}


def oldest_python() -> str | None:
    """A Python 3.10 that imports mockserver from this tree, or ``None``."""
    candidates = [sys.executable] if sys.version_info[:2] == OLDEST else []
    candidates.append(str(ROOT / ".venv-3.10" / "bin" / "python"))
    for python in candidates:
        if not Path(python).exists():
            continue
        probe = subprocess.run(
            [python, "-c", "import sys, mockserver; print(sys.version_info[:2], mockserver)"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if probe.returncode == 0 and str(ROOT) in probe.stdout and "(3, 10)" in probe.stdout:
            return python
    return None


@pytest.fixture(scope="module")
def python310() -> str:
    found = oldest_python()
    if found is None:
        pytest.skip("no Python 3.10 with mockserver's dependencies (make test-pythons builds one)")
    return found


@contextmanager
def serving(python: str, *flags: str) -> Iterator[httpx.Client]:
    port = free_port()
    process = subprocess.Popen(
        [python, "-m", "mockserver", "serve", "--port", str(port), "--api", "actionhub", *flags],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    transport = httpx.HTTPTransport(retries=10)  # connect retries with backoff while it starts
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", transport=transport, timeout=20
        ) as client:
            try:
                client.get("/__mockserver/health")
            except httpx.ConnectError:
                process.terminate()
                raise AssertionError(f"serve did not start: {process.stderr.read()}") from None
            yield client
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_latency_flag(python310):
    with serving(python310, "--latency", "10") as client:
        answer = client.get("/segments", headers=PROGRAM)
    assert answer.status_code == 200, answer.text


def test_latency_fault(python310):
    with serving(python310) as client:
        set_fault = client.put("/__mockserver/faults", headers=JSON, json={"latency": 10})
        assert set_fault.status_code == 200, set_fault.text
        answer = client.get("/segments", headers=PROGRAM)
    assert answer.status_code == 200, answer.text


def test_shared_state_in_redis(python310):
    from tests.state.redis_server import RedisServer, redis_binary

    if redis_binary() is None:
        pytest.skip("no redis-server")
    with RedisServer() as redis, serving(python310, "--state", redis.url) as client:
        answers = [client.get("/segments", headers=PROGRAM) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200] * 3, answers[0].text
