"""``--strict-params`` reaches the mock from each place settings come from: the serve flag,
the worker processes' JSON config, and the pytest plugin's ini option."""

from __future__ import annotations

from mockserver.cli import parser, serve_config
from mockserver.config import ServeConfig, config_from_json, config_to_json

pytest_plugins = ["pytester"]


def test_the_serve_flag_turns_it_on():
    assert serve_config(parser().parse_args(["serve", "--strict-params"])).strict_params
    assert not serve_config(parser().parse_args(["serve"])).strict_params


def test_it_survives_the_trip_to_worker_processes():
    strict = ServeConfig(strict_params=True)
    assert config_from_json(config_to_json(strict)) == strict


def test_the_pytest_plugin_reads_it_from_the_ini_file(pytester):
    pytester.makeini("[pytest]\nmockserver_strict_params = true\nmockserver_apis = actionhub\n")
    pytester.makepyfile(
        """
import httpx

def test_strict(mockserver):
    assert mockserver.config.strict_params
    response = httpx.get(mockserver.url + "/segments?pages=1", headers={"program-id": "demo"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "extra_forbidden"
    assert mockserver.requests[-1]["warnings"] == [
        'unknown query parameter "pages" (did you mean "page"?)'
    ]
"""
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
