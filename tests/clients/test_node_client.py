"""The official Node client, ``@sendgrid/client`` (pinned in tools/npm), configured as the
README's client table says, lists, filters (arrays and comma strings), gets and fails against
the mock exactly as the data says it should."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.clients.conftest import NODE_MODULES, SENDGRID_KEY, node, npm_package_dir, run

SCRIPT = Path(__file__).with_name("sendgrid_client.js")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def answers(clients_live) -> dict[str, Any]:
    """What each call of sendgrid_client.js answered."""
    executable = node()
    npm_package_dir("@sendgrid/client")
    result = run(
        [executable, SCRIPT, clients_live.url, SENDGRID_KEY],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def segments(clients_live) -> list[dict[str, Any]]:
    """The list as JSON, fetched without the Node client, to compare with."""
    headers = {"Authorization": f"Bearer {SENDGRID_KEY}"}
    response = httpx.get(f"{clients_live.url}/v3/marketing/segments", headers=headers)
    return response.json()["results"]


def test_lists_every_segment(answers, segments):
    assert answers["all"] == [s["id"] for s in segments]
    assert len(answers["all"]) == 25


def test_ids_filter_sends_repeated_names_and_gets_only_those(answers, segments):
    wanted = set(answers["wanted"])
    assert len(wanted) == 2
    expected = [s["id"] for s in segments if s["id"] in wanted]
    assert answers["by_ids"] == expected
    assert answers["by_comma_ids"] == expected


def test_parent_list_ids_filter_as_array_or_comma_string(answers, segments):
    parents = answers["parents"][:2]
    expected = [s["id"] for s in segments if s.get("parent_list_id") in parents]
    assert expected and len(expected) < len(segments)
    assert answers["by_parents"] == answers["by_comma_parents"] == expected
    with_parentless = [s["id"] for s in segments if s.get("parent_list_id") in (parents[0], None)]
    assert answers["by_parent_or_none"] == with_parentless


def test_get_by_id_with_query_json(answers, segments):
    one = answers["one"]
    assert one["status"] == 200
    (summary,) = (s for s in segments if s["id"] == answers["wanted"][0])
    assert {key: one["body"][key] for key in summary} == summary
    assert isinstance(one["body"]["query_json"], dict)


def test_errors_reach_the_client_as_response_errors(answers):
    assert answers["unknown"] == {
        "status": 404,
        "body": {"errors": [{"field": "segment_id", "message": "segment not found"}]},
    }
    assert answers["malformed"]["status"] == 400
    assert answers["malformed"]["body"]["errors"][0]["field"] == "ids[0]"
    assert answers["wrong_key"]["status"] == 401


def test_the_traps_the_readme_warns_about(answers):
    """Why the configuration matters: setApiKey after the base URL points back at SendGrid,
    and without paramsSerializer axios sends ``ids[]=``, a name the API does not know (also
    with the ``qsStringifyOptions`` the package's USAGE.md advises, which axios ignores)."""
    assert answers["reversed_base_url"] == "https://api.sendgrid.com/"
    for key in ("default_query", "usage_md_query"):
        query = parse_qsl(urlsplit(answers[key]).query)
        assert {name for name, _ in query} == {"ids[]"}, key
