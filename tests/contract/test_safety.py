"""Safe against real deployments: --dry-run sends nothing; no run starts without a credential."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from mockserver.contract.options import spec_path
from mockserver.contract.writes import is_write, unsafe_on_deployment
from mockserver.spec import load_spec
from tests.contract.conftest import AppServer, invoke

KEY = "SG." + "d" * 22 + "." + "r" * 43


@pytest.fixture(scope="module")
def counting() -> Iterator[tuple[AppServer, list[str]]]:
    """A server that records every request it receives and answers 200 to anything."""
    seen: list[str] = []

    async def anything(request: Request) -> PlainTextResponse:
        seen.append(f"{request.method} {request.url.path}")
        return PlainTextResponse("ok")

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
    app = Starlette(routes=[Route("/{path:path}", anything, methods=methods)])
    with AppServer(app) as server:
        yield server, seen


def _spec_plan(api: str, allow_writes: bool = False) -> tuple[list[str], list[str]]:
    """What a dry run against a deployment must list, read off the spec: the reads called and
    the writes left out (with --allow-writes: only those the spec marks unsafe there)."""
    spec = load_spec(api, spec_path(api))
    unsafe = unsafe_on_deployment(spec)
    called, left_out = [], []
    for op in spec.operations:
        out = is_write(op) and (not allow_writes or op.operation_id in unsafe)
        (left_out if out else called).append(f"{op.method} {op.path}")
    return called, left_out


def _plan(out: str) -> tuple[list[str], list[str]]:
    """The dry run's operations to call, and the writes it leaves out."""
    lines = out.splitlines()
    start = lines.index("  operations (only these are called; nothing outside the base URL):")
    called, left_out = [], []
    target = called
    for line in lines[start + 1 :]:
        if line.startswith("  left out "):
            target = left_out
        elif line.startswith("    "):
            target.append(" ".join(line.split()[:2]))
    return called, left_out


@pytest.mark.parametrize("api", ["sendgrid", "actionhub"])
def test_dry_run_lists_the_plan_and_sends_nothing(counting, api):
    server, seen = counting
    env = {"SENDGRID_API_KEY": KEY, "ACTIONHUB_PROGRAM_ID": "p-123456789"}
    code, out, _ = invoke(["--api", api, "--base-url", server.url, "--dry-run"], env)
    assert code == 0
    assert seen == []
    assert f"base URL:    {server.url}" in out
    assert "nothing is sent" in out
    # Against a real deployment only reads are called; the writes are named as left out.
    called, left_out = _spec_plan(api)
    assert _plan(out) == (called, left_out)
    assert all(line.startswith(("GET ", "HEAD ")) for line in called)
    if left_out:
        writes = f"writes:      {len(left_out)} left out (against --base-url they run only with"
        assert writes in out
    # Against a real deployment: the vendor's pace, and only a side-effect-free method probe.
    assert "rate limit:  none" not in out
    assert "unsupported-method probes: TRACE\n" in out
    assert KEY not in out and "p-123456789" not in out


def test_dry_run_with_allow_writes_plans_every_operation_and_names_the_prefix(counting):
    server, seen = counting
    args = ["--api", "sendgrid", "--base-url", server.url, "--dry-run", "--allow-writes"]
    code, out, _ = invoke([*args, "--seed", "42"], {"SENDGRID_API_KEY": KEY})
    assert code == 0 and seen == []
    called, left_out = _plan(out)
    expected_called, expected_left_out = _spec_plan("sendgrid", allow_writes=True)
    assert sorted(called) == sorted(expected_called)
    # a write whose effect a run cannot limit to what it made is never sent to a deployment
    assert (
        left_out
        == expected_left_out
        == ["PUT /v3/marketing/contacts", "DELETE /v3/marketing/contacts"]
    )
    assert "never sent to a deployment: delete_all_contacts=true deletes every contact" in out
    assert "names start with mockserver-contract-42-" in out


def test_without_allow_writes_a_deployment_gets_no_write(counting):
    server, seen = counting
    seen.clear()
    args = ["--api", "sendgrid", "--base-url", server.url, "--rate-limit", "off"]
    code, out, _ = invoke([*args, "--max-examples", "3"], {"SENDGRID_API_KEY": KEY})
    assert code == 1  # "ok" in text/plain conforms to nothing
    methods = {request.split()[0] for request in seen}
    seen.clear()
    assert methods == {"GET", "TRACE"}
    assert "POST /v3/marketing/segments/2.0:" not in out


def test_a_real_deployment_without_credentials_is_refused_before_sending(counting):
    server, seen = counting
    code, _, err = invoke(["--api", "sendgrid", "--base-url", server.url])
    assert code == 2
    assert seen == []
    assert "SENDGRID_API_KEY" in err and "Authorization" in err


def test_a_run_sends_only_to_the_base_url_and_respects_the_phases(counting):
    server, seen = counting
    seen.clear()
    code, _, _ = invoke(
        [
            "--api",
            "sendgrid",
            "--base-url",
            server.url,
            "--phases",
            "examples",
            "--rate-limit",
            "off",
            "--max-examples",
            "2",
        ],
        {"SENDGRID_API_KEY": KEY},
    )
    assert code == 1  # "ok" in text/plain conforms to nothing
    assert seen, "the run sent nothing to the base URL"
    assert {request.split()[0] for request in seen} == {"GET"}
    # Spec operations, plus Schemathesis' read-only capability probe of the path decoder.
    paths = {request.split()[1] for request in seen}
    probes = {path for path in paths if path.startswith("/schemathesis-probe")}
    assert len(probes) <= 1
    assert all(path.startswith("/v3/marketing/") for path in paths - probes)


def test_an_unreachable_server_is_one_clear_error_not_a_run_of_timeouts():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    code, out, _ = invoke(["--api", "sendgrid", "--base-url", url], {"SENDGRID_API_KEY": KEY})
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: cannot reach {url}: Connection failed"]
    assert out.strip().splitlines()[-1].endswith("stopped: server unreachable")
