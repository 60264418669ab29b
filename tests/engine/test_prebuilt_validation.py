"""Answers a backend serializes at build time are validated against the spec once per version."""

from __future__ import annotations

import pytest

from mockserver.conformance.validator import ResponseValidator
from mockserver.errors import ConformanceError, DataError
from mockserver.runtime import ApiRuntime
from mockserver.vendors.interface import Backend, Reply
from tests.harness import asgi_request, mock_app


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
    ResponseValidator().check_prebuilt(runtime.spec, runtime.backend.prebuilt())


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
        runtime.checker.check_prebuilt(runtime.spec, Prebuilt(body).prebuilt())
    assert problem in str(raised.value)


def test_a_backend_without_prebuilt_answers_passes(runtime):
    runtime.checker.check_prebuilt(runtime.spec, Backend().prebuilt())


KEY = {"Authorization": "Bearer SG." + "a" * 22 + "." + "b" * 43}
SEGMENTS = "/v3/marketing/segments"


def test_another_seeds_full_answers_are_rendered_and_checked_on_first_need(monkeypatch):
    """Another seed's start-up validates the list answer only; the full answers are rendered and
    validated by the first request that needs one, then served."""
    checked, check = [], ResponseValidator.check_prebuilt

    def recorded(self, spec, answers, refusal=DataError):
        answers = list(answers)
        checked.extend(answers if refusal is ConformanceError else ())
        return check(self, spec, answers, refusal)

    monkeypatch.setattr(ResponseValidator, "check_prebuilt", recorded)
    app = mock_app(apis=("sendgrid",), seed=7)
    fulls = app.runtimes["sendgrid"].backend.catalog.fulls
    assert [op for op, _ in app.runtimes["sendgrid"].backend.prebuilt()] == ["ListSegment"]
    assert not fulls.done and not checked
    listed = asgi_request(app, "GET", SEGMENTS, headers=KEY).json()["results"]
    assert not fulls.done
    answer = asgi_request(app, "GET", f"{SEGMENTS}/{listed[0]['id']}", headers=KEY)
    assert answer.status_code == 200 and fulls.done
    assert len(checked) == 2 * len(listed)
    assert answer.content in [reply.body for _, reply in checked]


def test_a_full_answer_violating_the_spec_is_refused_not_served(monkeypatch):
    """The check of answers rendered on first need refuses them (500, the violation named):
    what violates the spec is never served, on this request nor the next."""
    from mockserver.vendors.sendgrid import population

    rendered = population.full_answers

    def violating(*args):
        return [
            body.replace(b'"contacts_count":', b'"contacts_count":"many","was":', 1)
            for body in rendered(*args)
        ]

    monkeypatch.setattr(population, "full_answers", violating)
    app = mock_app(apis=("sendgrid",), seed=7)
    listed = asgi_request(app, "GET", SEGMENTS, headers=KEY)
    assert listed.status_code == 200
    for _ in range(2):
        answer = asgi_request(
            app, "GET", f"{SEGMENTS}/{listed.json()['results'][0]['id']}", headers=KEY
        )
        assert answer.status_code == 500
        assert answer.headers["x-mockserver-violation"] == "response"
        assert "sendgrid data violates its spec" in answer.text and "contacts_count" in answer.text
    assert not app.runtimes["sendgrid"].backend.catalog.fulls.done


def test_a_users_data_whose_full_answers_violate_the_spec_is_refused_when_loaded(monkeypatch):
    """Only the bundled data's full answers wait for their first request: a user's data that
    the spec cannot answer is refused by the load (a DataError, answered 400)."""
    from mockserver.resources import bundled_dir
    from mockserver.vendors.sendgrid import fixtures, population

    runtime = mock_app(apis=("sendgrid",), seed=7).runtimes["sendgrid"]
    document = fixtures.fixture_document(bundled_dir("fixtures") / "sendgrid")
    assert runtime.build(document).catalog.fulls.done
    rendered = population.full_answers
    monkeypatch.setattr(
        population,
        "full_answers",
        lambda *args: [b'{"id": 1}' for _ in rendered(*args)],
    )
    with pytest.raises(DataError, match="sendgrid data violates its spec"):
        runtime.build(document)
