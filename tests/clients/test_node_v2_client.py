"""The official Node client, ``@sendgrid/client`` (pinned in tools/npm), configured as the
README says, drives a Segmentation v2 lifecycle against the mock unchanged: JSON bodies for POST
and PATCH, DELETEs, and SendGrid's error bodies as the client's response errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.testing import LiveServer
from tests.clients.conftest import NODE_MODULES, SENDGRID_KEY, node, npm_package_dir, run
from tests.harness import live_server

SCRIPT = Path(__file__).with_name("sendgrid_v2_client.js")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_writable() -> Iterator[LiveServer]:
    """SendGrid on a server of its own: the script writes."""
    with live_server(apis=("sendgrid",), validate_responses=True) as server:
        yield server


@pytest.fixture(scope="module")
def answers(live_writable) -> dict[str, Any]:
    """What each call of sendgrid_v2_client.js answered."""
    executable = node()
    npm_package_dir("@sendgrid/client")
    result = run(
        [executable, SCRIPT, live_writable.url, SENDGRID_KEY],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_create_list_get_update(answers):
    created = answers["created"]
    assert created["status"] == 201
    segment_id = created["body"]["id"]
    assert created["body"]["status"] == {"query_validation": "PENDING"}
    listed = answers["listed"]
    assert listed["status"] == 200
    assert sorted(s["id"] for s in listed["body"]["results"]) == sorted(
        [segment_id, answers["v1_ids"][0]]
    )
    assert answers["fresh"]["body"]["contacts_count"] == 0
    assert answers["renamed"]["status"] == 200
    assert answers["renamed"]["body"]["name"] == "Node California"


def test_a_refresh_evaluates_the_segment_and_counts(answers):
    assert answers["refreshed"]["status"] == 202
    evaluated = answers["evaluated"]["body"]
    assert evaluated["status"]["query_validation"] == "VALID"
    assert evaluated["contacts_count"] > 0
    assert {c["state_province_region"] for c in evaluated["contacts_sample"]} == {"CA"}
    assert all(evaluated["id"] in c["segment_ids"] for c in evaluated["contacts_sample"])
    assert (evaluated["refreshes_used"], evaluated["max_refreshes"]) == (1, 2)
    without = answers["without_sample"]["body"]
    assert (without["contacts_sample"], without["contacts_count"]) == (
        [],
        evaluated["contacts_count"],
    )
    assert answers["refreshed_again"]["status"] == 429


def test_failures_reach_the_client_as_response_errors(answers):
    def fields(label: str) -> list[str]:
        return [e["field"] for e in answers[label]["body"]["errors"]]

    assert answers["duplicate"]["status"] == 400 and fields("duplicate") == ["name"]
    assert answers["missing_query"]["status"] == 400 and "query_dsl" in fields("missing_query")
    assert answers["bad_zone"]["status"] == 400 and fields("bad_zone") == ["user_time_zone"]
    assert answers["refresh_unknown"] == {
        "status": 404,
        "body": {"error": "Segment does not exist."},
    }


def test_deletes(answers):
    assert answers["deleted"]["status"] == 202
    assert answers["gone"]["status"] == 404
    assert answers["v1_deleted"] == {"status": 202, "body": {}}
    assert answers["v1_gone"]["status"] == 404
