"""Command-line flags of the control plane, and the request log of a real ``mockserver serve``."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from mockserver.cli import main, parser, serve_config
from tests.conftest import PROGRAM

SEGMENTS = "/segments"


def config(*flags: str):
    return serve_config(parser().parse_args(["serve", *flags]))


def test_defaults_turn_control_and_cors_on_without_faults():
    defaults = config()
    assert defaults.control and defaults.control_token is None
    assert defaults.cors_origins == ("*",)
    assert defaults.latency_ms is None and defaults.error_rate == 0.0


def test_flags_land_in_the_config():
    chosen = config(
        "--no-control",
        "--control-token",
        "t",
        "--latency",
        "20-40",
        "--error-rate",
        "0.25",
        "--cors-origin",
        "http://a.test",
        "--cors-origin",
        "http://b.test",
        "--journal-size",
        "5",
    )
    assert not chosen.control and chosen.control_token == "t"
    assert chosen.latency_ms == (20.0, 40.0) and chosen.error_rate == 0.25
    assert chosen.cors_origins == ("http://a.test", "http://b.test")
    assert chosen.journal_size == 5
    assert config("--latency", "15").latency_ms == (15.0, 15.0)
    assert config("--cors-origin", "none").cors_origins == ()


@pytest.mark.parametrize(
    ("flag", "value"), [("--latency", "slow"), ("--latency", "9-3"), ("--error-rate", "2")]
)
def test_bad_fault_flags_are_one_line_usage_errors(capsys, flag, value):
    with pytest.raises(SystemExit) as exited:
        main(["serve", flag, value])
    assert exited.value.code == 2
    assert flag in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(*flags: str) -> Iterator[tuple[httpx.Client, subprocess.Popen[str]]]:
    """``mockserver serve`` in a subprocess, and a client that retries until it listens."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--api", "actionhub"]
        + list(flags),
        stderr=subprocess.PIPE,
        text=True,
    )
    transport = httpx.HTTPTransport(retries=8)  # connect retries with backoff while it starts
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=transport) as client:
            try:
                client.get("/__mockserver/health")
            except httpx.ConnectError:
                process.terminate()
                raise AssertionError(f"serve did not start: {process.stderr.read()}") from None
            yield client, process
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_logs_one_masked_line_per_request():
    with serving("--log-level", "info") as (client, process):
        client.get(SEGMENTS, params={"api_key": "hush"}, headers=PROGRAM)
        client.get("/nowhere")
        process.terminate()
        log = process.stderr.read()
    lines = [line for line in log.splitlines() if "mockserver.access" in line]
    assert "GET /__mockserver/health 200 " in lines.pop(0)  # the readiness probe
    assert len(lines) == 2, log
    assert f"GET {SEGMENTS}?api_key=*** 200 " in lines[0]
    assert lines[0].endswith('ms; unknown query parameter "api_key"')  # not a /segments parameter
    assert "GET /nowhere 404 " in lines[1]
    assert "hush" not in log
    assert '"GET' not in log  # uvicorn's own access log is off


def test_serve_warning_level_is_silent_per_request():
    with serving("--log-level", "warning") as (client, process):
        assert client.get(SEGMENTS, headers=PROGRAM).status_code == 200
        process.terminate()
        log = process.stderr.read()
    assert SEGMENTS not in log
