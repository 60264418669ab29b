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

from tests.clients.conftest import NPM_DIR, SENDGRID_KEY, SPECS, free_port, npm_bin

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 60
SEGMENT_ID = "0d3a6b2e-5a4f-4c1e-9b8a-7f2d1c3e4a51"

#: Per spec: the request that reaches each path (Prism and the mock both validate requests).
SPECS_AND_REQUESTS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "actionhub.openapi.yaml": (
        {"program-id": "demo"},
        {"/segment": "/segment?labels=cat-tents", "/segments": "/segments"},
    ),
    "sendgrid-segments.openapi.yaml": (
        {"Authorization": f"Bearer {SENDGRID_KEY}"},
        {
            "/v3/marketing/segments": "/v3/marketing/segments",
            "/v3/marketing/segments/{segment_id}": f"/v3/marketing/segments/{SEGMENT_ID}",
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


def cases(spec_name: str) -> Iterator[tuple[str, str, str | None, Any]]:
    """(path, status, example name or None, expected body) of every example: with no name,
    the status's first example, which is what Prism and the mock answer for ``code=``."""
    document = yaml.safe_load((SPECS / spec_name).read_text())
    for path, item in document["paths"].items():
        for code, response in item["get"]["responses"].items():
            for media in response.get("content", {}).values():
                examples = media["examples"]
                yield path, code, None, next(iter(examples.values()))["value"]
                for name, example in examples.items():
                    yield path, code, name, example["value"]


def answer(http: httpx.Client, target: str, prefer: str) -> tuple[int, Any]:
    response = http.get(target, headers={"Prefer": prefer})
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return response.status_code, response.json() if media == "application/json" else response.text


def test_prism_answers_each_status_and_named_example_as_our_mock_does(prism, clients_live):
    spec_name, server = prism
    headers, targets = SPECS_AND_REQUESTS[spec_name]
    compared, differences = 0, []
    with (
        httpx.Client(base_url=server.url, headers=headers, timeout=10) as theirs,
        httpx.Client(base_url=clients_live.url, headers=headers, timeout=10) as ours,
    ):
        for path, code, example, value in cases(spec_name):
            prefer = f"code={code}" if example is None else f"code={code}, example={example}"
            expected = (int(code), value)
            answers = {"prism": answer(theirs, targets[path], prefer)}
            if code != "200" or example is not None:  # the mock's code=200 answers its data
                answers["mock"] = answer(ours, targets[path], prefer)
            for who, got in answers.items():
                if got != expected:
                    differences.append(f"{who}: {path} Prefer: {prefer}\n  {got}\n  != {expected}")
            compared += 1
    assert not differences, "\n".join(differences)
    assert compared >= 15
