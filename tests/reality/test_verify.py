"""``mockserver verify``: the planted drifts and nothing else; additive drift passes; the mock
against itself is silent."""

from __future__ import annotations

import io
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from mockserver.cli import main
from mockserver.reality.options import VerifyOptions
from mockserver.reality.verify import Pace, run
from tests.conftest import AUTH, JSON, PROGRAM, SENDGRID_KEY
from tests.harness import live_server
from tests.reality.conftest import running_proxy
from tests.reality.drift_app import SEGMENTS

#: The deployment's key in these tests: another well-formed key, so a leak is recognisable.
REAL_KEY = "SG." + "r" * 22 + "." + "k" * 43
ENV = {"SENDGRID_API_KEY": REAL_KEY}


def app_session(url: str, segments) -> None:
    """What "the app" asks the mock during its tests (recorded in the mock's journal)."""
    for target in (
        "",
        "?no_parent_list_id=true",
        "?no_parent_list_id=maybe",
        f"/{segments.renamed}",
        f"/{segments.echo}",
        f"/{segments.crash}",
        f"/{segments.plain}",
    ):
        httpx.get(url + SEGMENTS + target, headers=AUTH)
    httpx.get(url + SEGMENTS)  # unauthenticated on purpose: must stay so
    httpx.get(url + SEGMENTS, headers=AUTH)  # again: sent once
    httpx.get(url + "/segments?size=1", headers=PROGRAM)
    httpx.get(url + "/segment?labels=cat-tents", headers=PROGRAM)


@pytest.fixture(scope="module")
def live_app_mock():
    with live_server(cors_origins=()) as server:
        yield server


@pytest.fixture(scope="module")
def journal_file(live_app_mock, segments, tmp_path_factory) -> Path:
    """The journal export (``GET /__mockserver/requests``) of an app's test session."""
    httpx.delete(live_app_mock.url + "/__mockserver/requests", headers=JSON)
    app_session(live_app_mock.url, segments)
    path = tmp_path_factory.mktemp("journal") / "requests.json"
    path.write_bytes(httpx.get(live_app_mock.url + "/__mockserver/requests").content)
    return path


def verify(api: str, base_url: str, env=ENV, **options) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    chosen = VerifyOptions(api=api, base_url=base_url, rate_limit="off", **options)
    code = run(chosen, env, out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def differences(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("BREAKING", "WARNING"))]


def test_each_planted_difference_and_nothing_else(live_drifting, journal_file, segments, tmp_path):
    junit = tmp_path / "reports" / "verify.xml"
    code, output = verify(
        "sendgrid",
        live_drifting.url,
        requests=journal_file,
        reports=(_junit(junit),),
    )
    renamed, echo, crash = (
        f"GET {SEGMENTS}/{i}" for i in (segments.renamed, segments.echo, segments.crash)
    )
    maybe = f"GET {SEGMENTS}?no_parent_list_id=maybe"
    assert sorted(differences(output)) == sorted(
        [
            f'BREAKING {maybe}: spec body: mock conforms, real "errors" is a required property',
            f"BREAKING {maybe}: body /errors: mock array, real missing",
            f"WARNING  {maybe}: body /error: mock missing, real string",
            f"WARNING  GET {SEGMENTS}?no_parent_list_id=true: body /results/*/archived: "
            "mock missing, real boolean",
            f"BREAKING {renamed}: spec body: mock conforms, "
            'real "query_dsl" is a required property',
            f"BREAKING {renamed}: body /query_dsl: mock string, real missing",
            f"WARNING  {renamed}: body /query: mock missing, real string",
            f'BREAKING {echo}: spec body /contacts_count: mock conforms, real "Bearer ***" is not '
            'of type "integer"',
            f"BREAKING {echo}: body /contacts_count: mock number, real string",
            f"BREAKING {crash}: status: mock 200, real 500",
        ]
    )
    assert code == 1
    assert "  ListSegment: 5 request(s), 4 distinct: 2 breaking, 2 warning(s)" in output
    assert "  GetSegment: 4 request(s), 4 distinct: 5 breaking, 1 warning(s)" in output
    assert "FAILED sendgrid: 7 breaking difference(s), 3 warning(s)" in output
    report = junit.read_text()
    suite = ElementTree.fromstring(report).find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    assert [case.get("name") for case in suite] == ["ListSegment", "GetSegment"]
    for text in (output, report):
        assert REAL_KEY not in text and REAL_KEY[3:20] not in text


def _junit(path: Path):
    from mockserver.contract.options import ReportTarget

    return ReportTarget("junit", path)


def test_additive_only_drift_passes_with_warnings(live_drifting, live_app_mock, tmp_path):
    httpx.delete(live_app_mock.url + "/__mockserver/requests", headers=JSON)
    httpx.get(live_app_mock.url + SEGMENTS + "?no_parent_list_id=true", headers=AUTH)
    httpx.get(live_app_mock.url + "/segments?size=1", headers=PROGRAM)
    path = tmp_path / "requests.json"
    path.write_bytes(httpx.get(live_app_mock.url + "/__mockserver/requests").content)

    code, output = verify("sendgrid", live_drifting.url, requests=path)
    assert code == 0
    assert differences(output) == [
        f"WARNING  GET {SEGMENTS}?no_parent_list_id=true: body /results/*/archived: "
        "mock missing, real boolean"
    ]
    assert "PASSED sendgrid: 0 breaking difference(s), 1 warning(s)" in output

    code, output = verify("actionhub", live_drifting.url, requests=path)
    assert code == 0
    assert sorted(differences(output)) == [
        "WARNING  GET /segments?size=1: body /items/*/score: mock missing, real number",
        "WARNING  GET /segments?size=1: spec body /items/0/score: mock conforms, real "
        "undeclared property 'score'",
    ]


@pytest.mark.parametrize("api", ["sendgrid", "actionhub"])
def test_the_mock_against_itself_reports_nothing(live_upstream, journal_file, api):
    code, output = verify(api, live_upstream.url, requests=journal_file)
    assert differences(output) == []
    assert code == 0 and f"PASSED {api}: 0 breaking difference(s), 0 warning(s)" in output


def test_a_mock_with_another_seed_differs_in_values_only(journal_file):
    with live_server(seed=7, cors_origins=()) as other:
        code, output = verify("sendgrid", other.url, requests=journal_file)
    assert code == 0
    # its world has other segment ids: a value, not drift
    assert [line.split(": ", 1)[1] for line in differences(output)] == [
        "status: mock 200, real 404 (the path's id exists on one side only) (+3 more requests)"
    ]
    assert differences(output)[0].startswith("WARNING  GET /v3/marketing/segments/")


def test_requests_from_a_running_mocks_journal(live_drifting, live_app_mock, segments):
    httpx.delete(live_app_mock.url + "/__mockserver/requests", headers=JSON)
    httpx.get(f"{live_app_mock.url}{SEGMENTS}/{segments.crash}", headers=AUTH)
    code, output = verify("sendgrid", live_drifting.url, from_journal=live_app_mock.url)
    assert code == 1
    assert differences(output) == [
        f"BREAKING GET {SEGMENTS}/{segments.crash}: status: mock 200, real 500"
    ]


def test_requests_from_a_cassette(live_drifting, live_upstream, segments, tmp_path):
    cassette = tmp_path / "session.jsonl"
    with running_proxy("sendgrid", live_upstream.url, record=cassette) as proxy:
        httpx.get(f"{proxy.url}{SEGMENTS}/{segments.renamed}", headers=AUTH)
        httpx.get(f"{proxy.url}{SEGMENTS}", headers=AUTH)
    code, output = verify("sendgrid", live_drifting.url, requests=cassette)
    assert code == 1
    assert [line.split(": ", 1)[1] for line in differences(output)] == [
        'spec body: mock conforms, real "query_dsl" is a required property',
        "body /query_dsl: mock string, real missing",
        "body /query: mock missing, real string",
    ]


def test_the_credential_comes_from_the_environment_and_is_masked(
    live_drifting, live_app_mock, segments
):
    httpx.delete(live_app_mock.url + "/__mockserver/requests", headers=JSON)
    httpx.get(f"{live_app_mock.url}{SEGMENTS}/{segments.echo}", headers=AUTH)
    code, output = verify("sendgrid", live_drifting.url, from_journal=live_app_mock.url)
    assert code == 1 and '"Bearer ***" is not of type' in output
    assert REAL_KEY not in output and SENDGRID_KEY not in output
    # without it the masked recorded key cannot be sent: said up front
    code, output = verify("sendgrid", live_drifting.url, env={}, from_journal=live_app_mock.url)
    assert "Authorization was masked in the recording and $SENDGRID_API_KEY is not set" in output
    assert "status: mock 200, real 401" in output


def test_unusable_input_is_exit_2(tmp_path, capsys):
    missing = tmp_path / "nothing.json"
    assert (
        main(
            [
                "verify",
                "--api",
                "sendgrid",
                "--base-url",
                "http://127.0.0.1:9",
                "--requests",
                str(missing),
            ]
        )
        == 2
    )
    assert "cannot read" in capsys.readouterr().err
    empty = tmp_path / "empty.json"
    empty.write_text('{"count": 0, "requests": []}')
    assert (
        main(
            [
                "verify",
                "--api",
                "sendgrid",
                "--base-url",
                "http://127.0.0.1:9",
                "--requests",
                str(empty),
            ]
        )
        == 2
    )
    assert "no request of the sendgrid API" in capsys.readouterr().err


def test_pace():
    assert Pace("2/s").interval == 0.5
    assert Pace("30/m").interval == 2
    assert Pace("off").interval == 0 and Pace(None).interval == 0
