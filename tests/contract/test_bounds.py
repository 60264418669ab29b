"""``mockserver contract`` is bounded (issue 11, reproduction 9): a total time per request and
per run, and what goes wrong on the wire reported as what it is - never "ok"."""

from __future__ import annotations

import time
from xml.etree import ElementTree

import pytest

from tests.contract.conftest import invoke
from tests.contract.rogue import (
    OnceThen,
    RogueServer,
    dripping,
    garbage,
    resetting,
    silent,
    slow,
)

pytestmark = pytest.mark.slow

KEY = "SG." + "d" * 22 + "." + "r" * 43
ARGS = [
    "--api",
    "sendgrid",
    "--phases",
    "coverage",
    "--max-examples",
    "1",
    "--request-timeout",
    "1",
]


@pytest.mark.parametrize("behaviour", [silent, dripping])
def test_a_server_that_never_completes_an_answer_is_told_in_seconds(behaviour):
    """Issue 22 item 18: it accepts connections and never answers (or drips forever); with the
    default phases the run took minutes of timeouts, and Schemathesis' own probes, sent outside
    its hooks, could hang on a dripping answer."""
    with RogueServer(behaviour) as server:
        started = time.monotonic()
        code, out, _ = invoke(
            ["--api", "sendgrid", "--base-url", server.url, "--request-timeout", "1"],
            {"SENDGRID_API_KEY": KEY},
        )
        took = time.monotonic() - started
    assert code == 1
    assert took < 10, took
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: no answer from {server.url}: no complete answer within 1 s (--request-timeout: "
        "a total for the request, body included)"
    ], out[-2000:]
    assert out.strip().splitlines()[-1].endswith("stopped: no answer")


def test_a_server_that_stops_answering_stops_the_run_after_a_few_timeouts():
    """Issue 22 item 18, during the run: no request has had an answer, timeouts pile up."""
    with RogueServer(OnceThen(silent)) as server:
        started = time.monotonic()
        code, out, _ = invoke(
            ["--api", "sendgrid", "--base-url", server.url, "--request-timeout", "1"],
            {"SENDGRID_API_KEY": KEY},
        )
        took = time.monotonic() - started
    assert code == 1
    assert took < 30, took  # two probes and three 1 s timeouts, not one per operation and phase
    assert f"error: no answer from {server.url}: 3 requests in a row" in out, out[-2000:]
    assert out.strip().splitlines()[-1].endswith("stopped: no answer")


def test_a_run_held_by_a_dripping_server_still_ends_at_max_time():
    """It answers the first request, then drips every answer: Schemathesis' capability probes,
    sent outside its hooks, wait on it, and the run's deadline still ends the run."""
    with RogueServer(OnceThen(dripping)) as server:
        started = time.monotonic()
        code, out, _ = invoke(
            [*ARGS, "--base-url", server.url, "--max-time", "3"], {"SENDGRID_API_KEY": KEY}
        )
        took = time.monotonic() - started
    assert code == 1
    assert took < 15, took
    assert "--max-time 3 s" in out, out[-2000:]


@pytest.mark.parametrize(
    ("behaviour", "title", "reason"),
    [
        (resetting, "connection reset", "reset the connection instead of answering"),
        (garbage, "not HTTP", "bytes that are not an HTTP response"),
    ],
)
def test_a_misbehaving_server_fails_each_operation_with_the_reason(
    tmp_path, behaviour, title, reason
):
    report = tmp_path / "junit.xml"
    with RogueServer(behaviour) as server:
        started = time.monotonic()
        code, out, _ = invoke(
            [*ARGS, "--base-url", server.url, "--report", f"junit:{report}"],
            {"SENDGRID_API_KEY": KEY},
        )
        took = time.monotonic() - started
    assert code == 1, out
    assert took < 30, took  # a few 1 s timeouts, not 224 s nor forever
    progress = [line for line in out.splitlines() if line.startswith("  coverage ")]
    assert progress and all(f"FAILED ({title})" in line for line in progress), progress
    assert " ok" not in "\n".join(progress)
    for operation in ("GET /v3/marketing/segments:", "GET /v3/marketing/segments/{segment_id}:"):
        assert f"{operation} FAILED" in out
    assert f"[network] {title}" in out and reason in out
    assert "cannot reach" not in out  # it was reached: it misbehaved
    cases = list(ElementTree.parse(report).getroot().iter("testcase"))
    failed = [case for case in cases if case.find("failure") is not None]
    assert len(failed) == len(cases) >= 2  # every operation (the v2 writes too)
    assert all(reason in case.find("failure").text for case in failed)


def test_a_run_longer_than_max_time_stops_and_fails():
    with RogueServer(slow) as server:
        started = time.monotonic()
        code, out, _ = invoke(
            ["--api", "sendgrid", "--base-url", server.url, "--request-timeout", "1",
             "--max-time", "2"],
            {"SENDGRID_API_KEY": KEY},
        )  # fmt: skip
        took = time.monotonic() - started
    assert code == 1
    assert took < 15, took
    assert "--max-time 2 s" in out, out[-2000:]
