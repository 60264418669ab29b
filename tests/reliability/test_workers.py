"""``mockserver serve --workers N``: N processes, each answering byte-identically to one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bench.workload import BenchRequest, Workload
from mockserver.cli import parser
from mockserver.config import ServeConfig, config_from_json, config_to_json
from tests.processes import MockProcess
from tests.reliability.conftest import TIMEOUT, VOLATILE

#: Slow (worker processes): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow


def fresh_connection_answers(url: str, requests: list[BenchRequest]) -> list[tuple]:
    """Every request on its own connection (``Connection: close``), 8 at a time: the kernel
    spreads them over workers. A client per thread: httpcore's pool, shared by threads with no
    keep-alive, may close a connection another thread has just been given (EBADF on its read)."""
    clients: list[httpx.Client] = []
    mine = threading.local()

    def one(req: BenchRequest) -> tuple:
        if not hasattr(mine, "http"):
            mine.http = httpx.Client(base_url=url, timeout=TIMEOUT)
            clients.append(mine.http)
        headers = {**dict(req.headers), "connection": "close"}
        reply = mine.http.request(req.method, req.target, headers=headers)
        kept = sorted((k, v) for k, v in reply.headers.items() if k not in VOLATILE)
        return reply.status_code, kept, reply.content

    try:
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, requests))
    finally:
        for client in clients:
            client.close()


def bytes_written(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def test_two_workers_answer_like_one():
    with MockProcess() as one, MockProcess(workers=2) as two:
        workers = two.worker_pids()
        assert len(workers) == 2
        workload = Workload(one.url)
        requests = (workload.requests() + workload.mix(per_operation=10)) * 3
        written = {pid: bytes_written(pid) for pid in workers}
        assert fresh_connection_answers(two.url, requests) == fresh_connection_answers(
            one.url, requests
        )
        served = [pid for pid in workers if bytes_written(pid) > written[pid]]
        assert len(served) >= 2, "one worker answered everything: nothing was compared"
        assert one.terminate() == 0
        assert two.terminate() == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_worker_config_round_trips_through_json():
    config = ServeConfig(
        apis=("sendgrid",),
        seed=7,
        fixtures_dir=Path("/tmp"),
        validate_responses=True,
        vendor_options={"sendgrid": {"rate_limit": 5}},
        cors_origins=(),
        latency_ms=(1.0, 2.0),
        error_rate=0.25,
    )
    assert config_from_json(config_to_json(config)) == config
    assert config_from_json(config_to_json(ServeConfig())) == ServeConfig()


@pytest.mark.parametrize("value", ["0", "-1", "x", "65"])
def test_workers_flag_refuses_nonsense(value, capsys):
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["serve", "--workers", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "workers must be" in err and "1-64" in err
