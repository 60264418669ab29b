"""``mockserver proxy`` and ``mockserver verify`` as commands: flags, logs, exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.workload import free_port
from mockserver.cli import main, parser
from mockserver.cli.flags import options as options_of
from mockserver.reality.options import ProxyOptions, VerifyOptions
from tests.conftest import AUTH, JSON
from tests.harness import live_asgi
from tests.reality.drift_app import SEGMENTS

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "SG." + "c" * 22 + "." + "l" * 43


def test_proxy_flags_land_in_the_options(tmp_path):
    args = parser().parse_args(
        [
            "proxy",
            "--api",
            "sendgrid",
            "--upstream",
            "https://staging.example.com/api/",
            "--record",
            str(tmp_path / "c.jsonl"),
            "--redact",
            "email,first_name",
            "--redact",
            "last_name",
            "--upstream-timeout",
            "2.5",
            "--port",
            "0",
        ]
    )
    options = options_of(args, ProxyOptions)
    assert options.upstream == "https://staging.example.com/api"
    assert options.redact == ("email", "first_name", "last_name")
    assert options.upstream_timeout == 2.5 and options.port == 0
    assert options.record == tmp_path / "c.jsonl"


def test_the_proxy_takes_the_control_token_from_the_environment(monkeypatch):
    import uvicorn

    run_with: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: run_with.update(app=app, **kwargs))
    monkeypatch.setenv("MOCKSERVER_CONTROL_TOKEN", "s3cret")
    argv = ["proxy", "--api", "sendgrid", "--upstream", "http://127.0.0.1:9", "--port", "0"]
    assert main(argv) == 0
    assert run_with["forwarded_allow_ips"] == "" and run_with["proxy_headers"] is False
    with live_asgi(run_with["app"]) as proxy:
        health = f"{proxy.url}/__mockserver/health"
        assert httpx.get(health).status_code == 403
        assert httpx.get(health, headers={"x-mockserver-token": "s3cret"}).status_code == 200


def test_the_proxy_console_names_its_upstream_without_the_password(monkeypatch):
    import uvicorn

    run_with: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: run_with.update(app=app, **kwargs))
    upstream = "http://user:pw-123@127.0.0.1:9/api"
    assert main(["proxy", "--api", "sendgrid", "--upstream", upstream, "--port", "0"]) == 0
    with live_asgi(run_with["app"]) as proxy:
        page = httpx.get(f"{proxy.url}/__mockserver/").text
    assert 'id="proxy-note"' in page and "http://user:***@127.0.0.1:9/api" in page
    assert "pw-123" not in page


@pytest.mark.parametrize(
    "flags",
    [
        ["--upstream", "ftp://x"],
        ["--upstream", "http://x", "--upstream-timeout", "0"],
        ["--upstream", "http://x", "--redact", ","],
    ],
)
def test_bad_proxy_flags_are_one_line_usage_errors(capsys, flags):
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["proxy", "--api", "sendgrid", *flags])
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_verify_flags_land_in_the_options(tmp_path):
    args = parser().parse_args(
        [
            "verify",
            "--api",
            "actionhub",
            "--base-url",
            "http://127.0.0.1:9",
            "--from-journal",
            "http://127.0.0.1:4010",
            "-H",
            "X-Trace: 1",
            "--report",
            f"junit:{tmp_path}/r.xml",
            "--rate-limit",
            "2/s",
        ]
    )
    options = options_of(args, VerifyOptions)
    assert options.from_journal == "http://127.0.0.1:4010" and options.requests is None
    assert options.headers == (("X-Trace", "1"),) and options.rate_limit == "2/s"
    with pytest.raises(SystemExit):
        parser().parse_args(["verify", "--api", "actionhub", "--base-url", "http://x"])


@pytest.mark.slow
def test_the_proxy_command_logs_violations_and_stops_cleanly(live_drifting, segments):
    port = free_port()
    argv = [sys.executable, "-m", "mockserver", "proxy", "--api", "sendgrid"]
    argv += ["--upstream", live_drifting.url, "--port", str(port), "--log-level", "info"]
    # uvicorn must not take forwarded headers on the environment's word (as serve does not).
    env = {**os.environ, "FORWARDED_ALLOW_IPS": "*"}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    seen = threading.Condition()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            with seen:
                lines.append(line)
                seen.notify_all()

    def wait_for(text: str) -> None:
        with seen:
            assert seen.wait_for(lambda: any(text in line for line in lines), timeout=60), lines

    threading.Thread(target=drain, daemon=True).start()
    try:
        wait_for("Application startup complete")
        url = f"http://127.0.0.1:{port}"
        answer = httpx.get(f"{url}{SEGMENTS}/{segments.renamed}", headers=AUTH)
        assert (
            answer.headers["x-mockserver-violation"] == 'body: "query_dsl" is a required property'
        )
        wait_for("violates the sendgrid spec")
        assert "server" in answer.headers  # the upstream's, not a second one of the proxy's
        assert len(answer.headers.get_list("server")) == 1
        forged = {"x-forwarded-for": "203.0.113.9"}  # would make this loopback caller remote
        assert httpx.get(f"{url}/__mockserver/requests", headers=forged).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    text = "".join(lines)
    assert (
        f"WARNING mockserver.proxy: GET {SEGMENTS}/{segments.renamed} -> 200 violates the "
        'sendgrid spec: body: "query_dsl" is a required property'
    ) in text
    assert "Traceback" not in text


@pytest.mark.slow
def test_the_verify_command_exits_1_on_drift_with_the_key_masked(
    live_drifting, segments, tmp_path, live_upstream
):
    journal = tmp_path / "requests.json"
    httpx.delete(live_upstream.url + "/__mockserver/requests", headers=JSON)
    httpx.get(f"{live_upstream.url}{SEGMENTS}/{segments.echo}", headers=AUTH)
    journal.write_bytes(httpx.get(live_upstream.url + "/__mockserver/requests").content)
    argv = [sys.executable, "-m", "mockserver", "verify", "--api", "sendgrid"]
    argv += ["--base-url", live_drifting.url, "--requests", str(journal), "--rate-limit", "off"]
    env = {**os.environ, "SENDGRID_API_KEY": REAL_KEY}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert '"Bearer ***" is not of type "integer"' in done.stdout
    assert REAL_KEY not in done.stdout + done.stderr
    itself = [*argv[:6], "--base-url", live_upstream.url, "--requests", str(journal)]
    done = subprocess.run(
        [*itself, "--rate-limit", "off"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    assert "PASSED sendgrid: 0 breaking difference(s), 0 warning(s)" in done.stdout
