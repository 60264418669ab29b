"""The official Node client, ``@sendgrid/client`` (pinned in tools/npm), configured as the
README's client table says, lists, filters (arrays and comma strings), gets and fails against
the mock exactly as the data says it should."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from mockserver.control import actions
from mockserver.journal.record import Filter
from mockserver.testing import LiveServer
from tests.clients.conftest import NODE_MODULES, SENDGRID_KEY, node, npm_package_dir, run
from tests.harness import live_server

SCRIPT = Path(__file__).with_name("sendgrid_client.js")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_strict() -> Iterator[LiveServer]:
    """SendGrid served with ``--strict-params``."""
    with live_server(apis=("sendgrid",), strict_params=True) as server:
        yield server


@pytest.fixture(scope="module")
def answers(live_for_clients, live_strict) -> dict[str, Any]:
    """What each call of sendgrid_client.js answered."""
    executable = node()
    npm_package_dir("@sendgrid/client")
    result = run(
        [executable, SCRIPT, live_for_clients.url, SENDGRID_KEY, live_strict.url],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def segments(live_for_clients) -> list[dict[str, Any]]:
    """The list as JSON, fetched without the Node client, to compare with."""
    headers = {"Authorization": f"Bearer {SENDGRID_KEY}"}
    response = httpx.get(f"{live_for_clients.url}/v3/marketing/segments", headers=headers)
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


def test_parent_list_ids_filter_as_comma_string_an_array_by_its_first(answers, segments):
    """The spec's form is one comma-separated value; an array goes out as repeated names, of
    which SendGrid's Go reads the first (and the mock warns)."""
    parents = answers["parents"][:2]
    expected = [s["id"] for s in segments if s.get("parent_list_id") in parents]
    assert expected and len(expected) < len(segments)
    assert answers["by_comma_parents"] == expected
    first = [s["id"] for s in segments if s.get("parent_list_id") == parents[0]]
    assert answers["by_parents"] == first != expected
    assert '"parent_list_ids" sent 2 times' in answers["by_parents_warning"]
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


IDS_WARNING = 'unknown query parameter "ids[]" (did you mean "ids"?)'


def test_the_default_serializer_is_answered_as_sendgrid_would_but_warned(answers, live_for_clients):
    """ids[]= filters nothing (SendGrid ignores the name), and the answer, the journal and the
    log say so, naming the parameter the client meant."""
    sent = answers["default_serializer"]
    assert sent["status"] == 200
    assert [s["id"] for s in sent["body"]["results"]] == answers["all"]
    assert sent["warning"] == IDS_WARNING
    journal = actions.journal(live_for_clients.app.control, Filter("/v3/marketing/segments"))
    entries = [entry.as_dict() for entry in journal]
    bracketed = [entry for entry in entries if "ids[]" in entry["params"]]
    repeated = [entry for entry in entries if "ids" in entry["params"]]
    assert bracketed and repeated
    assert all(entry["warnings"] == [IDS_WARNING] for entry in bracketed)
    assert all(entry["warnings"] == [] for entry in repeated)


def test_strict_params_refuses_the_default_serializer_in_sendgrids_dialect(answers):
    refused = answers["strict_default_serializer"]
    assert refused["status"] == 400
    assert refused["body"] == {
        "errors": [
            {
                "field": "ids[]",
                "message": "ids[] is not a query parameter of this operation (did you mean ids?)",
            }
        ]
    }
    assert refused["warning"] == IDS_WARNING
