"""The contract catches a server that breaks the spec, and never prints the secrets it was given."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from mockserver.contract.options import spec_path
from mockserver.contract.writes import is_write
from mockserver.spec import load_spec
from tests.contract.conftest import invoke

KEY = "SG.k3yK3yk3yK3yk3yK3yk3y.S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS"
TENANT = "tenant-0f-the-h1dden-kind"


@pytest.fixture(scope="module")
def violations(bad_server, tmp_path_factory):
    """One run against the non-conforming server, shared by the assertions below."""
    junit = tmp_path_factory.mktemp("reports") / "ci" / "contract.xml"
    code, out, err = invoke(
        [
            "--api=sendgrid",
            f"--base-url={bad_server.url}",
            "--rate-limit=off",
            "--max-examples=10",
            "--seed=7",
            "-H",
            f"X-Tenant: {TENANT}",
            f"--report=junit:{junit}",
        ],
        env={"SENDGRID_API_KEY": KEY},
    )
    return code, out, err, junit.read_text(encoding="utf-8")


def _failures(out: str, operation: str) -> str:
    """The report block of one operation."""
    match = re.search(rf"^{re.escape(operation)}: FAILED.*?(?=^GET |^FAILED )", out, re.M | re.S)
    assert match, f"no failure block for {operation}"
    return match.group(0)


def test_each_violation_is_reported_with_its_check(violations):
    code, out, _, _ = violations
    assert code == 1
    listing = _failures(out, "GET /v3/marketing/segments")
    single = _failures(out, "GET /v3/marketing/segments/{segment_id}")
    # Wrong types.
    assert "[response_schema_conformance]" in listing
    assert 'is not of type "string"' in listing
    # Missing required properties.
    assert "[response_schema_conformance]" in single
    assert "is a required property" in single
    # An undeclared status code.
    # (Schemathesis 4.30, the newest on Python 3.10, says "Undocumented HTTP status code")
    assert "[status_code_conformance] Undocumented" in single
    assert "Received: 418" in single
    # Bad (here: absent) credentials accepted.
    assert "[ignored_auth]" in listing and "[ignored_auth]" in single


def test_a_failure_shows_how_to_reproduce_it_and_what_came_back(violations):
    _, out, _, _ = violations
    single = _failures(out, "GET /v3/marketing/segments/{segment_id}")
    teapot = single[single.index("[status_code_conformance]") :]
    assert re.search(r"reproduce: curl -X GET .*query_json=true", teapot)
    assert "response: 418 application/json" in teapot
    assert '{"teapot":' in teapot


def test_summary_is_one_line_that_says_failed(violations):
    _, out, _, _ = violations
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("FAILED sendgrid: ")
    for check in ("response_schema_conformance", "status_code_conformance", "ignored_auth"):
        assert check in summary


def test_junit_report_has_a_failing_testcase_per_operation(violations):
    _, _, _, junit = violations
    suite = ElementTree.fromstring(junit).find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    v1 = ["GET /v3/marketing/segments", "GET /v3/marketing/segments/{segment_id}"]
    spec = load_spec("sendgrid", spec_path("sendgrid"))
    reads = {f"{op.method} {op.path}" for op in spec.operations if not is_write(op)}
    # The reads only: against a deployment the writes are left out without --allow-writes.
    assert set(cases) == reads
    assert set(v1) <= reads
    for case in (cases[name] for name in v1):
        failure = case.find("failure")
        assert failure is not None and "response_schema_conformance" in failure.get("type", "")
    assert "Received: 418" in cases["GET /v3/marketing/segments/{segment_id}"].find("failure").text


def test_secrets_never_appear_in_output_or_junit(violations):
    _, out, err, junit = violations
    # The server echoes both secrets back; the report shows where they were, masked.
    assert '"name":"Bearer *** ***"' in out
    assert "X-Tenant: ***" in out
    for text in (out, err, junit):
        # Whole, either half of the key, or cut off (the server truncates what it echoes).
        for secret in (KEY, KEY[3:25], KEY[26:], TENANT, TENANT[:12], TENANT[-12:]):
            assert secret not in text
