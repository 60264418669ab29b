"""The start-up banner: what is served, for each way of serving, printed once."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.banner import banner, state_line
from mockserver.config import ServeConfig
from mockserver.reality.cassette import RecordedExchange
from mockserver.resources import bundled_dir
from tests.conftest import PROGRAM
from tests.harness import live_server, mock_app
from tests.processes import MockProcess
from tests.state.conftest import redis_server  # noqa: F401 (a fixture)

URL = "http://127.0.0.1:4010"
pytest_plugins = ["pytester"]


def shown(config: ServeConfig, **options) -> str:
    app = mock_app(config)
    return banner(app.runtimes, app.control.replays, config, URL, **options)


def operation_lines(text: str, api: str) -> list[tuple[str, str, str]]:
    """The ``METHOD path  operationId`` lines under the API's heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {api} "))
    found = []
    for line in lines[start + 1 :]:
        if not line.startswith("    ") or line.lstrip().startswith("data"):
            break
        found.append(tuple(line.split()))
    return found


def test_both_apis_show_every_spec_operation_their_data_and_the_control_plane():
    config = ServeConfig(seed=7)
    app = mock_app(config)
    text = banner(app.runtimes, app.control.replays, config, URL)
    assert text.splitlines()[0] == f"mockserver 0.1.0 serving on {URL} (seed 7)"
    for api, runtime in app.runtimes.items():
        operations = runtime.spec.operations
        expected = {(op.method, URL + op.path, op.operation_id) for op in operations}
        assert set(operation_lines(text, api)) == expected
        assert len(expected) >= 2
    assert "    data (bundled fixtures): 2,000 contacts, 25 segments, 10 lists" in text
    assert "    data (bundled fixtures): programs demo (1,002 users); any other program-id " in text
    assert "generated: 1,000 users x 20 recommendations" in text
    assert f"  console    {URL}/__mockserver/" in text
    assert "  control    loopback callers only" in text
    assert "  state      in this process" in text
    assert "workers" not in text and "replay" not in text


def test_one_api_shows_only_its_operations_and_vendor_options_in_its_data():
    config = ServeConfig(
        apis=("actionhub",), vendor_options={"actionhub": {"users": 5000}}, control=False
    )
    text = shown(config)
    assert "sendgrid" not in text and "/v3/marketing" not in text
    assert "generated: 5,000 users x 20 recommendations" in text
    assert "console" not in text
    assert "  control    off (--no-control)" in text


def test_a_fixtures_directory_is_named_with_what_it_holds(tmp_path):
    shutil.copytree(bundled_dir("fixtures") / "sendgrid", tmp_path / "sendgrid")
    world = tmp_path / "sendgrid" / "world.yaml"
    world.write_text(world.read_text().replace("  count: 2000", "  count: 321"))
    text = shown(ServeConfig(apis=("sendgrid",), fixtures_dir=tmp_path))
    assert f"    data (fixtures in {tmp_path / 'sendgrid'}): 321 contacts, 25 segments" in text


def recorded_cassette(folder, copies: int) -> Path:
    """A cassette of ``copies`` recordings of ``GET /segments`` (the mock's own answer)."""
    with live_server(apis=("actionhub",)) as live:
        answer = httpx.get(live.url + "/segments", headers=PROGRAM)
    exchange = RecordedExchange(
        api="actionhub",
        operation="get_segments_segments_get",
        method="GET",
        path="/segments",
        query="",
        headers=tuple(PROGRAM.items()),
        body=b"",
        status=answer.status_code,
        response_headers=tuple(
            (name, value) for name, value in answer.headers.items() if name != "content-length"
        ),
        response_body=answer.content,
    )
    cassette = folder / "recorded.jsonl"
    cassette.write_bytes(exchange.as_line() * copies)
    return cassette


def test_replayed_cassettes_are_counted_and_named(tmp_path):
    cassette = recorded_cassette(tmp_path, copies=2)
    text = shown(ServeConfig(apis=("actionhub",), replay=(cassette,)))
    assert f"  replay     2 recorded exchanges from {cassette}" in text


def test_a_control_token_says_where_it_came_from_never_what_it_is():
    config = ServeConfig(control_token="s3cret-token")
    from_env = shown(config)
    assert "loopback callers, and others sending the token from $MOCKSERVER_CONTROL_TOKEN" in (
        from_env
    )
    assert "s3cret" not in from_env
    assert "token from --control-token" in shown(config, token_from="--control-token")
    browsers = ServeConfig(control_origins=("https://app.test",), apis=("actionhub",))
    assert "only (others: set $MOCKSERVER_CONTROL_TOKEN); browser apps from https://app.test" in (
        shown(browsers)
    )


def test_the_url_of_a_port_chosen_at_bind_time_and_of_ipv6():
    from mockserver.cli.serve import base_url

    assert base_url("127.0.0.1", 4010) == "http://127.0.0.1:4010"
    assert base_url("::1", 8080) == "http://[::1]:8080"
    assert base_url("0.0.0.0", 0) == "http://0.0.0.0:PORT"


def test_a_redis_state_url_is_shown_without_its_password():
    config = ServeConfig(state_url="redis://:hunter2@10.0.0.5:6380/2", state_prefix="team-a")
    assert state_line(config) == "redis://10.0.0.5:6380/2 (prefix team-a)"


def test_the_banner_of_a_mock_sharing_redis(redis_server, prefix):  # noqa: F811
    config = ServeConfig(apis=("sendgrid",), state_url=redis_server.url, state_prefix=prefix)
    app = mock_app(config)
    try:
        text = banner(app.runtimes, app.control.replays, config, URL)
    finally:
        app.state.close()
    assert f"  state      {redis_server.url} (prefix {prefix})" in text


@pytest.fixture()
def prefix() -> str:
    return "banner-test"


def serve_log(*flags: str, **options: Any) -> str:
    """stderr of ``mockserver serve`` from start until it answered a request, then stopped."""
    with MockProcess(*flags, **options) as mock_process:
        answer = httpx.get(mock_process.url + "/segments", headers=PROGRAM, timeout=30)
        assert answer.status_code == 200
        assert mock_process.terminate() == 0
        return mock_process.log()


def test_serve_prints_the_banner_once_before_uvicorn_listens():
    log = serve_log("--api", "actionhub")
    assert log.count("serving on http://127.0.0.1:") == 1
    assert log.index("serving on") < log.index("Uvicorn running on")
    assert "/segments  get_segments_segments_get" in log


def test_warning_level_silences_the_banner():
    assert "serving on" not in serve_log("--api", "actionhub", "--log-level", "warning", ready=None)


@pytest.mark.slow
def test_workers_print_one_banner_for_all_processes():
    log = serve_log("--api", "actionhub", workers=2)
    assert log.count("serving on http://127.0.0.1:") == 1
    assert "  workers    2 processes answering alike" in log
    assert "Started server process" in log  # a worker answered; it printed no banner


INNER = """
def test_uses_the_mock(mockserver):
    assert mockserver.url
"""


@pytest.mark.parametrize(("flags", "printed"), [((), False), (("--mockserver-banner",), True)])
def test_the_pytest_fixture_prints_the_banner_only_when_asked(pytester, flags, printed):
    pytester.makepyfile(INNER)
    result = pytester.runpytest_subprocess(*flags)
    result.assert_outcomes(passed=1)
    assert ("serving on http://127.0.0.1:" in result.stdout.str()) is printed


def test_the_readme_shows_the_banner_of_the_default_mock():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("INFO mockserver: ", 1)[1].split("\nINFO:     Uvicorn running", 1)[0]
    actual = shown(ServeConfig()).splitlines()
    shown_lines = block.splitlines()
    assert [line for line in actual if line in shown_lines] == shown_lines  # same lines, in order

    # every line but an operation's is in the README (an operation added later may be missing)
    def operation(line: str) -> bool:
        return line.startswith("    ") and not line.lstrip().startswith("data")

    assert [line for line in actual if not operation(line)] == [
        line for line in shown_lines if not operation(line)
    ]
