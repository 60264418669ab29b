"""Prism (pinned in tools/npm) run on our specs answers, for every status and every named
example, the body our mock answers: the specs put examples where Prism looks for them."""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from bench.workload import free_port
from tests.clients.conftest import NPM_DIR, SENDGRID_KEY, SPECS, npm_bin

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 60
SEGMENT_ID = "0d3a6b2e-5a4f-4c1e-9b8a-7f2d1c3e4a51"

V2 = "/v3/marketing/segments/2.0"
NEW_SEGMENT = {"name": "Prism", "query_dsl": "SELECT contact_id, updated_at FROM contact_data"}

#: Per spec: the request that reaches each operation, (path, method) -> (target, JSON body)
#: (Prism and the mock both validate requests).
SPECS_AND_REQUESTS: dict[str, tuple[dict[str, str], dict[tuple[str, str], tuple[str, Any]]]] = {
    "actionhub.openapi.yaml": (
        {"program-id": "demo"},
        {
            ("/segment", "get"): ("/segment?labels=cat-tents", None),
            ("/segments", "get"): ("/segments", None),
        },
    ),
    "sendgrid-segments.openapi.yaml": (
        {"Authorization": f"Bearer {SENDGRID_KEY}"},
        {
            ("/v3/marketing/segments", "get"): ("/v3/marketing/segments", None),
            ("/v3/marketing/segments/{segment_id}", "get"): (
                f"/v3/marketing/segments/{SEGMENT_ID}",
                None,
            ),
            ("/v3/marketing/segments/{segment_id}", "delete"): (
                f"/v3/marketing/segments/{SEGMENT_ID}",
                None,
            ),
            (V2, "post"): (V2, NEW_SEGMENT),
            (V2, "get"): (V2, None),
            (f"{V2}/{{segment_id}}", "get"): (f"{V2}/{SEGMENT_ID}", None),
            (f"{V2}/{{segment_id}}", "patch"): (f"{V2}/{SEGMENT_ID}", {"name": "Prism"}),
            (f"{V2}/{{segment_id}}", "delete"): (f"{V2}/{SEGMENT_ID}", None),
            (f"{V2}/refresh/{{segment_id}}", "post"): (
                f"{V2}/refresh/{SEGMENT_ID}",
                {"user_time_zone": "UTC"},
            ),
        },
    ),
}


class Prism:
    """``prism mock SPEC`` on a free loopback port, its output drained by a thread."""

    def __init__(self, spec_name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(npm_bin("@stoplight/prism-cli", "prism")),
            "mock",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            str(SPECS / spec_name),
        ]
        self.process = subprocess.Popen(
            command,
            cwd=NPM_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_until_listening(self) -> None:
        while True:
            try:
                line = self.lines.get(timeout=STARTUP_SECONDS)
            except queue.Empty:
                raise AssertionError("Prism did not start:\n" + "".join(self.output)) from None
            if line is None:
                raise AssertionError("Prism exited:\n" + "".join(self.output))
            self.output.append(line)
            if "Prism is listening on" in line:
                return

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module", params=sorted(SPECS_AND_REQUESTS))
def prism(request: pytest.FixtureRequest) -> Iterator[tuple[str, Prism]]:
    server = Prism(request.param)
    try:
        server.wait_until_listening()
        yield request.param, server
    finally:
        server.stop()


def deref(node: Any, document: dict[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def cases(spec_name: str) -> Iterator[tuple[tuple[str, str], str, str | None, Any, bool]]:
    """((path, method), status, example name or None, expected body, is the success status) of
    every example: with no name, the status's first example, which is what Prism and the mock
    answer for ``code=``."""
    document = yaml.safe_load((SPECS / spec_name).read_text())
    for path, item in document["paths"].items():
        for method, op in item.items():
            success = next(code for code in op["responses"] if code.startswith("2"))
            for code, response in op["responses"].items():
                for media in deref(response, document).get("content", {}).values():
                    examples = media["examples"]
                    first = next(iter(examples.values()))["value"]
                    yield (path, method), code, None, first, code == success
                    for name, example in examples.items():
                        yield (path, method), code, name, example["value"], code == success


def answer(
    http: httpx.Client, request: tuple[str, Any], method: str, prefer: str
) -> tuple[int, Any]:
    target, body = request
    response = http.request(method, target, json=body, headers={"Prefer": prefer})
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return response.status_code, response.json() if media == "application/json" else response.text


def test_prism_answers_each_status_and_named_example_as_our_mock_does(prism, live_for_clients):
    spec_name, server = prism
    headers, targets = SPECS_AND_REQUESTS[spec_name]
    compared, differences = 0, []
    with (
        httpx.Client(base_url=server.url, headers=headers, timeout=10) as theirs,
        httpx.Client(base_url=live_for_clients.url, headers=headers, timeout=10) as ours,
    ):
        for (path, method), code, example, value, success in cases(spec_name):
            prefer = f"code={code}" if example is None else f"code={code}, example={example}"
            expected = (int(code), value)
            request = targets[path, method]
            answers = {"prism": answer(theirs, request, method, prefer)}
            if not success or example is not None:  # the mock's success answers its data
                answers["mock"] = answer(ours, request, method, prefer)
            for who, got in answers.items():
                if got != expected:
                    where = f"{method.upper()} {path}"
                    differences.append(f"{who}: {where} Prefer: {prefer}\n  {got}\n  != {expected}")
            compared += 1
    assert not differences, "\n".join(differences)
    assert compared >= 15
