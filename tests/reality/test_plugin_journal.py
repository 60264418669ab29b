"""``pytest --mockserver-journal PATH``: the session's requests, for ``mockserver verify``."""

from __future__ import annotations

import io

import orjson

from mockserver.reality.options import VerifyOptions
from mockserver.reality.verify import run

pytest_plugins = ["pytester"]

INNER = """
import httpx

AUTH = {"Authorization": "Bearer SG." + "a" * 22 + "." + "b" * 43}


def test_one(mockserver):
    httpx.get(mockserver.url + "/v3/marketing/segments", headers=AUTH)
    mockserver.reset()  # clears the journal, not the file
    httpx.get(mockserver.url + "/segments?size=2", headers={"program-id": "demo"})


def test_two(mockserver):
    mockserver.reset()
    httpx.get(mockserver.url + "/v3/marketing/segments?no_parent_list_id=true", headers=AUTH)
    httpx.get(mockserver.url + "/__mockserver/health")
"""


def test_the_session_journal_is_written_and_verify_reads_it(pytester, live_upstream):
    pytester.makepyfile(INNER)
    result = pytester.runpytest_inprocess("--mockserver-journal=out/journal.json")
    result.assert_outcomes(passed=2)
    path = pytester.path / "out" / "journal.json"
    document = orjson.loads(path.read_bytes())
    requests = document["requests"]
    assert document["count"] == 3
    assert [(r["api"], r["path"], r["query"], r["status"]) for r in requests] == [
        ("sendgrid", "/v3/marketing/segments", "", 200),
        ("actionhub", "/segments", "size=2", 200),
        ("sendgrid", "/v3/marketing/segments", "no_parent_list_id=true", 200),
    ]
    assert requests[0]["headers"]["authorization"] == "Bearer SG.***"
    assert "a" * 22 not in path.read_text()

    out = io.StringIO()
    options = VerifyOptions(
        api="sendgrid", base_url=live_upstream.url, requests=path, rate_limit="off"
    )
    key = {"SENDGRID_API_KEY": "SG." + "a" * 22 + "." + "b" * 43}
    assert run(options, key, out=out) == 0
    assert "2 request(s), 2 distinct" in out.getvalue()


def test_a_session_without_the_fixture_writes_an_empty_journal(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    pytester.runpytest_inprocess("--mockserver-journal=journal.json").assert_outcomes(passed=1)
    assert orjson.loads((pytester.path / "journal.json").read_bytes()) == {
        "count": 0,
        "requests": [],
    }
