"""A real deployment is judged like a consumer: additive response changes are warnings (with the
operation and JSON path), breaking ones failures; ``--strict`` fails both; the bundled mock is
always judged strictly. Contract runs against a drifted ActionHub (tests/contract/drifted_server).
"""

from __future__ import annotations

import io
from collections import Counter
from xml.etree import ElementTree

import orjson
import pytest

from mockserver.cli import parser
from mockserver.contract.options import from_namespace
from mockserver.contract.report import Report
from mockserver.contract.results import ContractWarning, RunResult
from mockserver.contract.tolerant import NAME, REPLACED, Judge, checks, judge_for
from mockserver.journal.masking import SecretText
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.vendors.interface import Reply
from tests.contract.conftest import AppServer, invoke
from tests.contract.drifted_server import drifted_actionhub

SPEC = load_spec("actionhub", bundled_dir("specs") / "actionhub.openapi.yaml")
ITEM = {
    "segment_type": "growth",
    "segment_basis": "label",
    "segment_basis_id": "cat-tents",
    "action_type": "view",
    "name": "Tents",
    "user_count": 3,
    "strength": 0.5,
    "min_weight": 0.5,
}
PAGE = {"items": [ITEM, ITEM], "total": 2, "page": 1, "size": 50}
PAGES = ContractWarning("GET /segments", 200, "body", "/pages", "undeclared property 'pages'")


def options(*args: str):
    return from_namespace(parser().parse_args(["contract", "--api", "actionhub", *args]))


def judged(body: dict, *headers: tuple[str, str]) -> tuple[Judge, list]:
    judge = Judge(SPEC)
    reply = Reply(200, orjson.dumps(body), "application/json", headers)
    return judge, judge("GET /segments", "GET", "/segments", reply)


# -- the rules, without a run ------------------------------------------------------------------


def test_additive_changes_are_warnings_with_operation_and_path():
    lookalike = {**ITEM, "segment_type": "lookalike"}
    body = {**PAGE, "pages": 1, "items": [lookalike, lookalike]}
    judge, breaking = judged(body, ("x-request-id", "1"), ("date", "today"), ("vary", "Origin"))
    assert breaking == []
    warnings = judge.warnings["GET /segments"]
    assert PAGES in warnings
    (enum,) = [w for w in warnings if w.path == "/items/*/segment_type"]
    assert warnings[enum] == 2 and "lookalike" in enum.message  # array positions folded
    header = ContractWarning("GET /segments", 200, "header", "x-request-id", "undeclared header")
    assert header in warnings and len(warnings) == 3  # standard headers are no change of the API


def test_removed_or_retyped_fields_break():
    retyped = {**ITEM, "user_count": "3"}
    removed = {k: v for k, v in ITEM.items() if k != "user_count"}
    judge, breaking = judged({**PAGE, "pages": 1, "items": [retyped, removed]})
    assert [(v.path, v.breaking) for v in breaking] == [
        ("/items/0/user_count", True),
        ("/items/1", True),
    ]
    assert list(judge.warnings["GET /segments"]) == [PAGES]


def test_status_and_media_type_are_left_to_their_own_checks():
    judge = Judge(SPEC)
    undeclared = Reply(418, b"{}", "application/json")
    html = Reply(200, b"<p>", "text/html")
    assert judge("GET /segments", "GET", "/segments", undeclared) == []
    assert judge("GET /segments", "GET", "/segments", html) == []
    assert judge.warnings == {}


@pytest.mark.parametrize(
    ("args", "tolerant"),
    [
        (["--base-url", "http://127.0.0.1:1"], True),
        (["--base-url", "http://127.0.0.1:1", "--strict"], False),
        ([], False),  # the bundled mock: always strict
        (["--base-url", "http://127.0.0.1:1", "--checks", "ignored_auth"], False),
    ],
)
def test_which_judge_a_run_gets(args, tolerant):
    judge = judge_for(options(*args), SPEC)
    assert (judge is not None) == tolerant
    if tolerant:
        assert checks(judge) == {REPLACED: {"enabled": False}, NAME: {"enabled": True}}
    else:
        assert checks(judge) == {NAME: {"enabled": False}}


def test_the_report_prints_warnings_and_junit_keeps_them_out_of_failures(tmp_path):
    result = RunResult("actionhub", "http://x", "http://x", 7)
    op = result.operation("GET /segments")
    op.requests["fuzzing"] = 12
    op.warnings.update(Counter({PAGES: 12}))
    out = io.StringIO()
    report = Report(SecretText(()), out)
    report.details(result)
    report.summary(result)
    report.junit(result, tmp_path / "r.xml")
    assert out.getvalue().splitlines()[1:] == [
        "GET /segments: ok, 1 warning(s); tried 12 requests (fuzzing 12)",
        "  warning: 200 body /pages: undeclared property 'pages' (seen 12x)",
        "PASSED actionhub: 0 failure(s); 1 warning(s) (additive changes); 1 operations, "
        "12 requests in 0.0s; seed 7",
    ]
    (case,) = ElementTree.parse(tmp_path / "r.xml").getroot().iter("testcase")
    assert case.find("failure") is None
    assert case.find("system-out").text.splitlines() == [
        "tried 12 requests (fuzzing 12)",
        "warning: 200 body /pages: undeclared property 'pages' (seen 12x)",
    ]


# -- contract runs against a drifted deployment ------------------------------------------------

RUN = ["--rate-limit=off", "--max-examples=5", "--seed=7", "--phases=examples,fuzzing"]


def run(drift: str, tmp_path, *extra: str) -> tuple[int, str, ElementTree.Element]:
    junit = tmp_path / f"{drift}.xml"
    with AppServer(drifted_actionhub(drift)) as server:
        code, out, err = invoke(
            [
                "--api=actionhub",
                f"--base-url={server.url}",
                *RUN,
                f"--report=junit:{junit}",
                *extra,
            ],
            env={"ACTIONHUB_PROGRAM_ID": "demo"},
        )
    assert not err, err
    return code, out, ElementTree.parse(junit).getroot()


def cases(root: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {case.get("name"): case for case in root.iter("testcase")}


@pytest.mark.slow
def test_an_added_property_passes_with_a_warning_naming_it(tmp_path):
    code, out, junit = run("additive", tmp_path)
    assert code == 0, out
    assert "judgement:   consumer-tolerant" in out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("GET /segments: "))
    block = lines[start:]
    assert block[0].startswith("GET /segments: ok, 2 warning(s); tried ")
    assert block[1].startswith("  warning: 200 body /pages: undeclared property 'pages'")
    assert block[2].startswith("  warning: 200 header x-request-id: undeclared header")
    assert lines[-1].startswith("PASSED actionhub: 0 failure(s); 2 warning(s) (additive changes);")
    segments = cases(junit)["GET /segments"]
    assert segments.find("failure") is None
    assert (
        "warning: 200 body /pages: undeclared property 'pages'" in segments.find("system-out").text
    )


@pytest.mark.slow
def test_a_removed_required_field_fails(tmp_path):
    code, out, junit = run("removed", tmp_path)
    assert code == 1
    assert "[response_schema_conformance] Response violates schema" in out
    assert '/items/*: "user_count" is a required property' in out
    failure = cases(junit)["GET /segments"].find("failure")
    assert failure is not None and failure.get("type") == "response_schema_conformance"


@pytest.mark.slow
@pytest.mark.parametrize("drift", ["additive", "removed"])
def test_strict_fails_both(drift, tmp_path):
    code, out, junit = run(drift, tmp_path, "--strict")
    assert code == 1
    assert "judgement:   strict (--strict" in out
    assert "warning:" not in out
    assert cases(junit)["GET /segments"].find("failure") is not None
