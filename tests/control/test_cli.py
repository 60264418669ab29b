"""Command-line flags of the control plane, and the request log of a real ``mockserver serve``."""

from __future__ import annotations

import httpx
import pytest

from mockserver.cli import main, parser, serve_config
from tests.conftest import PROGRAM
from tests.processes import MockProcess

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


def test_serve_logs_one_masked_line_per_request():
    with MockProcess("--api", "actionhub", "--log-level", "info") as mock_process:
        httpx.get(mock_process.url + SEGMENTS, params={"api_key": "hush"}, headers=PROGRAM)
        httpx.get(mock_process.url + "/nowhere")
        assert mock_process.terminate() == 0
        log = mock_process.log()
    lines = [line for line in log.splitlines() if "mockserver.access" in line]
    assert len(lines) == 2, log
    assert f"GET {SEGMENTS}?api_key=*** 200 " in lines[0]
    assert lines[0].endswith('ms; unknown query parameter "api_key"')  # not a /segments parameter
    assert "GET /nowhere 404 " in lines[1]
    assert "hush" not in log
    assert '"GET' not in log  # uvicorn's own access log is off


def test_serve_warning_level_is_silent_per_request():
    with MockProcess("--api", "actionhub", "--log-level", "warning", ready=None) as mock_process:
        assert httpx.get(mock_process.url + SEGMENTS, headers=PROGRAM).status_code == 200
        assert mock_process.terminate() == 0
        log = mock_process.log()
    assert SEGMENTS not in log
