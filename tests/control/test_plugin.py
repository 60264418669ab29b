"""The pytest plugin: the ``mockserver`` fixture used directly, and its options via pytester."""

from __future__ import annotations

import httpx
import pytest

from mockserver.control.actions import clear_state
from mockserver.errors import ControlError
from mockserver.pytest_plugin import MockServerFixture
from tests.conftest import AUTH, PROGRAM

pytest_plugins = ["pytester"]

SEGMENTS = "/v3/marketing/segments"
ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.fixture()
def plugin_mock(mockserver: MockServerFixture):
    clear_state(mockserver.target)  # cheap; test_fixture_reset_* covers the full reset
    return mockserver


def test_fixture_serves_both_apis_on_its_url(plugin_mock):
    assert plugin_mock.url.startswith("http://127.0.0.1:")
    assert httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH).status_code == 200
    assert httpx.get(plugin_mock.url + "/segments", headers=PROGRAM).status_code == 200


def test_fixture_requests_is_the_journal(plugin_mock):
    httpx.get(plugin_mock.url + SEGMENTS, params={"ids": ZERO}, headers=AUTH)
    httpx.get(plugin_mock.url + "/nowhere")
    requests = plugin_mock.requests
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in requests] == [
        ("GET", SEGMENTS, f"ids={ZERO}", 200),
        ("GET", "/nowhere", "", 404),
    ]
    assert requests[0]["headers"]["authorization"] == "Bearer SG.***"
    assert [r["path"] for r in plugin_mock.requests_to(method="GET", path="/now*")] == ["/nowhere"]


def test_fixture_reset_clears_journal_and_scenarios(plugin_mock):
    plugin_mock.scenario("sendgrid", "ListSegment", code=503)
    assert httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH).status_code == 503
    plugin_mock.reset()
    assert plugin_mock.requests == []
    assert httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH).status_code == 200


def test_fixture_scenario_for_n_requests(plugin_mock):
    plugin_mock.scenario("sendgrid", "ListSegment", code=404, times=1)
    assert httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH).status_code == 404
    assert httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH).status_code == 200


def test_fixture_refuses_an_invalid_scenario(plugin_mock):
    with pytest.raises(ControlError) as refused:
        plugin_mock.scenario("sendgrid", "ListSegment", code=418)
    assert any("code=404" in reason for reason in refused.value.reasons)


def test_fixture_load_refuses_invalid_data_and_keeps_the_old(plugin_mock):
    before = httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH)
    with pytest.raises(ControlError) as refused:
        plugin_mock.load("sendgrid", "segments: [unclosed")
    assert refused.value.reasons
    with pytest.raises(ControlError):
        plugin_mock.load("nope", {})
    after = httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH)
    assert after.content == before.content


def test_fixture_fault_for_one_operation(plugin_mock):
    plugin_mock.fault("sendgrid", "ListSegment", error_rate=1)
    assert httpx.get(plugin_mock.url + SEGMENTS, headers=AUTH).status_code in (500, 503)
    assert httpx.get(plugin_mock.url + "/segments", headers=PROGRAM).status_code == 200
    plugin_mock.fault(latency="40-50")
    httpx.get(plugin_mock.url + "/segments", headers=PROGRAM)
    assert plugin_mock.requests[-1]["ms"] >= 40
    with pytest.raises(ControlError):
        plugin_mock.fault(error_rate=3)
    with pytest.raises(ControlError):
        plugin_mock.fault("sendgrid", "Nope", error_rate=1)


def test_fixture_prefer_header_works_through_it(plugin_mock):
    response = httpx.get(plugin_mock.url + SEGMENTS, headers={**AUTH, "Prefer": "example=empty"})
    assert response.json() == {"results": []}


INNER_TEST = """
import httpx

def test_seed_and_fixtures(mockserver):
    config = mockserver.config
    assert config.seed == {seed}
    assert config.apis == ("actionhub",)
    assert str(config.fixtures_dir).endswith({fixtures!r})
    assert httpx.get(mockserver.url + "/__mockserver/health").json()["status"] == "ok"
"""


def test_plugin_options_from_the_ini_file(pytester):
    pytester.mkdir("myfixtures")
    pytester.makeini(
        "[pytest]\nmockserver_seed = 42\nmockserver_fixtures = myfixtures\n"
        "mockserver_apis = actionhub\n"
    )
    pytester.makepyfile(INNER_TEST.format(seed=42, fixtures="myfixtures"))
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_plugin_command_line_wins_over_the_ini_file(pytester):
    pytester.mkdir("cli_fixtures")
    pytester.makeini("[pytest]\nmockserver_seed = 42\nmockserver_apis = actionhub\n")
    pytester.makepyfile(INNER_TEST.format(seed=7, fixtures="cli_fixtures"))
    result = pytester.runpytest_inprocess(
        "--mockserver-seed=7", f"--mockserver-fixtures={pytester.path / 'cli_fixtures'}"
    )
    result.assert_outcomes(passed=1)


def test_plugin_reports_a_bad_fixtures_directory(pytester):
    pytester.makeini("[pytest]\nmockserver_fixtures = missing\n")
    pytester.makepyfile("def test_it(mockserver):\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mockserver fixtures directory not found*"])
