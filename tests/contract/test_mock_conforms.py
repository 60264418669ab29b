"""The bundled mock keeps its contract: all phases, >= 100 examples per operation, no failure."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from tests.contract.conftest import invoke

#: Slow (contract runs against the bundled mock): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

OPERATIONS = {
    "actionhub": ["GET /segment", "GET /segments"],
    "sendgrid": [
        "DELETE /v3/marketing/segments/2.0/{segment_id}",
        "DELETE /v3/marketing/segments/{segment_id}",
        "GET /v3/marketing/segments",
        "GET /v3/marketing/segments/2.0",
        "GET /v3/marketing/segments/2.0/{segment_id}",
        "GET /v3/marketing/segments/{segment_id}",
        "PATCH /v3/marketing/segments/2.0/{segment_id}",
        "POST /v3/marketing/segments/2.0",
        "POST /v3/marketing/segments/2.0/refresh/{segment_id}",
    ],
}
#: Operations whose parameters leave room for 100 distinct fuzzed requests.
FUZZED = {"GET /segment", "GET /segments", "GET /v3/marketing/segments"}
FUZZED |= {"GET /v3/marketing/segments/{segment_id}", "POST /v3/marketing/segments/2.0"}
#: The SendGrid spec's links: create -> get, update, refresh, delete, in the stateful phase.
CHAINED = [
    label
    for label in OPERATIONS["sendgrid"]
    if "2.0" in label and label != "GET /v3/marketing/segments/2.0"
]


@pytest.mark.parametrize("api", sorted(OPERATIONS))
def test_the_mock_passes_its_contract(api, tmp_path):
    junit = tmp_path / "junit.xml"
    code, out, err = invoke(
        ["--api", api, "--max-examples", "100", "--seed", "20260101", f"--report=junit:{junit}"]
    )
    summary = out.strip().splitlines()[-1]
    assert code == 0, out + err
    assert summary.startswith(f"PASSED {api}: 0 failure(s);")
    assert "phases:      examples, coverage, fuzzing, stateful;" in out
    for operation in OPERATIONS[api]:
        line = next(line for line in out.splitlines() if line.startswith(f"{operation}: "))
        assert line.startswith(f"{operation}: ok; tried ")
        fuzzed = re.search(r"fuzzing (\d+)", line)
        assert fuzzed and int(fuzzed.group(1)) >= (100 if operation in FUZZED else 1), line
        if api == "sendgrid" and operation in CHAINED:
            assert re.search(r"stateful [1-9]", line), line
    if api == "sendgrid":  # what the run created on the mock, it deleted
        cleanup = next(line for line in out.splitlines() if line.startswith("  cleanup    "))
        assert re.fullmatch(r"  cleanup    [1-9]\d* created, 0 more .*, 0 left", cleanup), cleanup
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("errors") == "0"
    assert sorted(case.get("name") for case in suite.iter("testcase")) == OPERATIONS[api]
