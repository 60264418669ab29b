"""Answers a backend serializes at build time are validated against the spec once per version."""

from __future__ import annotations

import pytest

from mockserver.conformance.validator import ResponseValidator
from mockserver.errors import DataError
from mockserver.runtime import ApiRuntime
from mockserver.vendors.interface import Backend, Reply
from tests.harness import mock_app


class Prebuilt(Backend):
    """A backend whose only prebuilt answer is ``body``."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def prebuilt(self):
        yield "ListSegment", Reply(200, self.body)


@pytest.fixture(scope="module")
def runtime() -> ApiRuntime:
    return mock_app(apis=("sendgrid",)).runtimes["sendgrid"]


def test_the_default_worlds_prebuilt_answers_conform(runtime):
    assert sum(1 for _ in runtime.backend.prebuilt()) > 25
    ResponseValidator().check_prebuilt(runtime.spec, runtime.backend)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"results": [{"id": "x"}]}', "results/0"),
        (b'{"items": []}', '"results" is a required property'),
        (b"not json", "does not decode"),
    ],
)
def test_a_violating_data_version_is_a_data_error_naming_the_problem(runtime, body, problem):
    with pytest.raises(DataError, match="sendgrid data violates its spec") as raised:
        runtime.checker.check_prebuilt(runtime.spec, Prebuilt(body))
    assert problem in str(raised.value)


def test_a_backend_without_prebuilt_answers_passes(runtime):
    runtime.checker.check_prebuilt(runtime.spec, Backend())
