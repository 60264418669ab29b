"""TypeScript types generated from each bundled spec by openapi-typescript (pinned in tools/npm)
accept the mock's real answers: ``tsc --noEmit --strict`` type-checks every answer captured from
a running mock (each operation's behaviour, each declared example, generated bodies, and the
errors a bad credential, a bad parameter, an unknown id or a rate limit bring) as the generated
body type of its operation and status. A field the spec does not declare, a closed object the mock
fills, a status the spec does not list: each is a type error naming the answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.workload import FALLBACK_UUID, BenchRequest, Workload
from mockserver.config import ServeConfig
from tests.clients.conftest import SPECS, npm_bin, run
from tests.harness import live_server

pytestmark = pytest.mark.slow

#: Spec file -> its API, the name its generated module is imported as.
MODULES = {"actionhub.openapi.yaml": "actionhub", "sendgrid-segments.openapi.yaml": "sendgrid"}
#: Values tried for every query parameter: unparseable, below and above any bound.
BAD_VALUES = ("not-valid-!", "-1", "100000000")
#: The body type of one operation's answer with one status (``never`` if undeclared).
PRELUDE = """\
type Body<Ops, Op extends keyof Ops, S> = Ops[Op] extends { responses: infer R }
  ? S extends keyof R
    ? R[S] extends { content: { "application/json": infer B } }
      ? B
      : never
    : never
  : never;
"""
ERROR_LINE = re.compile(r"^answers\.ts\((\d+),\d+\): (error .*)$")


@dataclass(frozen=True)
class Answer:
    """One JSON answer of the mock and what was asked for it."""

    api: str
    operation_id: str
    status: int
    body: Any
    asked: str


def answers_of(base_url: str, workload: Workload, api: str, operation_id: str) -> Iterator[Answer]:
    """Every answer worth typing for one operation: behaviour (the workload's mix), each
    declared status (its examples by name, and generated), and the errors of bad input."""
    operation = workload.ops[operation_id]
    base = workload.request(operation_id)
    asks: list[tuple[str, BenchRequest, dict[str, str]]] = []
    asks += [(f"{r.target}", r, {}) for r in workload.mix(20) if r.name == operation_id]
    for code, response in operation.responses.items():
        for media in response.content.values():
            for example in media.examples:
                asks.append((f"Prefer example={example}", base, {"prefer": f"example={example}"}))
        if code.isdigit():
            prefer = f"code={code}, dynamic=true"
            asks.append((f"Prefer {prefer}", base, {"prefer": prefer}))
            asks.append((f"Prefer code={code}", base, {"prefer": f"code={code}"}))
    for param in operation.parameters:
        for value in BAD_VALUES if param.location == "query" else ():
            query = f"{base.query}&{param.name}={value}".lstrip("&")
            asks.append((f"{param.name}={value}", replace(base, query=query), {}))
    if "{" in operation.path:
        unknown = re.sub(r"\{[^}]+\}", FALLBACK_UUID, operation.path)
        asks.append(("unknown id", replace(base, path=unknown), {}))
    asks.append(("no credential", base, {"authorization": "", "program-id": ""}))
    asks.append(("a wrong credential", base, {"authorization": "Bearer SG.wrong"}))
    with httpx.Client(base_url=base_url, timeout=10) as http:
        for asked, request, extra in asks:
            headers = {**dict(request.headers), **extra}
            headers = {name: value for name, value in headers.items() if value}
            reply = http.request(request.method, request.target, headers=headers)
            if reply.headers.get("content-type", "").startswith("application/json"):
                yield Answer(api, operation_id, reply.status_code, reply.json(), asked)


def rate_limited(api: str, operation_id: str, workload: Workload, base_url: str) -> Answer:
    """The answer past the limit of a mock started with a SendGrid rate limit of 1."""
    request = workload.request(operation_id)
    with httpx.Client(base_url=base_url, timeout=10) as http:
        for _ in range(2):
            reply = http.request(request.method, request.target, headers=dict(request.headers))
    return Answer(api, operation_id, reply.status_code, reply.json(), "past the rate limit")


@pytest.fixture(scope="module")
def captured() -> list[Answer]:
    config = ServeConfig(vendor_options={"sendgrid": {"rate_limit": 1}})
    found: list[Answer] = []
    with live_server() as server:
        workload = Workload(server.url)
        for operation_id, operation in workload.ops.items():
            found += answers_of(server.url, workload, operation.api, operation_id)
    with live_server(config) as limited:
        workload = Workload(limited.url)
        found.append(rate_limited("sendgrid", "ListSegment", workload, limited.url))
    unique: dict[tuple[Any, ...], Answer] = {}
    for answer in found:  # the first request that brought an answer names it
        unique.setdefault((answer.operation_id, answer.status, json.dumps(answer.body)), answer)
    return list(unique.values())


def program(answers: list[Answer]) -> tuple[str, dict[int, Answer]]:
    """The TypeScript module checking ``answers``, and which answer each line belongs to."""
    lines = [
        *(f'import type {{ operations as {m} }} from "./{m}";' for m in MODULES.values()),
        *PRELUDE.splitlines(),
    ]
    owner: dict[int, Answer] = {}
    for index, answer in enumerate(answers):
        kind = f'Body<{answer.api}, "{answer.operation_id}", {answer.status}>'
        body = json.dumps(answer.body, indent=2).splitlines()
        start = len(lines) + 1
        lines += [f"export const answer{index}: {kind} = {body[0]}", *body[1:], ";"]
        owner |= dict.fromkeys(range(start, len(lines) + 1), answer)
    return "\n".join(lines) + "\n", owner


def typecheck(directory: Path, answers: list[Answer]) -> list[str]:
    """tsc's errors over ``answers``, each with the answer it is about."""
    generate = npm_bin("openapi-typescript", "openapi-typescript")
    tsc = npm_bin("typescript", "tsc")
    for spec, module in MODULES.items():
        made = run([generate, SPECS / spec, "--output", directory / f"{module}.d.ts"])
        assert made.returncode == 0, made.stderr
    source, owner = program(answers)
    (directory / "answers.ts").write_text(source)
    options = ["--noEmit", "--strict", "--skipLibCheck", "--target", "es2022"]
    checked = run([tsc, *options, "answers.ts"], cwd=directory)
    errors = []
    for line in checked.stdout.splitlines():
        match = ERROR_LINE.match(line)
        if match is None:
            continue
        answer = owner.get(int(match.group(1)))
        about = f"{answer.operation_id} {answer.status} ({answer.asked})" if answer else "?"
        errors.append(f"{about}: {match.group(2)}")
    assert errors or checked.returncode == 0, checked.stdout + checked.stderr
    return errors


def test_generated_types_accept_every_answer_of_the_mock(captured, tmp_path):
    statuses = {(a.operation_id, a.status) for a in captured}
    # The capture reaches errors and examples, not only successes.
    assert ("GetSegment", 404) in statuses and ("ListSegment", 429) in statuses
    assert any(a.api == "actionhub" and a.status == 422 for a in captured)
    errors = typecheck(tmp_path, captured)
    assert not errors, f"{len(errors)} type errors:\n" + "\n".join(errors)


def test_tsc_rejects_an_answer_the_spec_does_not_describe(captured, tmp_path):
    """The check can fail: an undeclared field and a wrong type are reported, by answer."""
    segment = next(a for a in captured if a.operation_id == "GetSegment" and a.status == 200)
    planted = Answer(
        segment.api, "GetSegment", 200, {**segment.body, "id": 7}, "planted: id a number"
    )
    summary = next(a for a in captured if a.operation_id == "ListSegment" and a.status == 200)
    extra = {"results": [{**summary.body["results"][0], "surprise": True}]}
    planted_extra = Answer(summary.api, "ListSegment", 200, extra, "planted: a new field")
    errors = typecheck(tmp_path, [planted, planted_extra])
    assert len(errors) == 2
    assert "planted: id a number" in errors[0] and "planted: a new field" in errors[1]
