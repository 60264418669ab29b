"""The Prefer header over HTTP: Prism's code=, example=, dynamic=true, dialect refusals."""

from __future__ import annotations

import pytest
import yaml

from mockserver.resources import bundled_dir
from tests.conftest import AUTH, PROGRAM

SEGMENTS = "/v3/marketing/segments"
SPEC = yaml.safe_load((bundled_dir("specs") / "sendgrid-segments.openapi.yaml").read_text())


def example(path: str, status: str, name: str):
    content = SPEC["paths"][path]["get"]["responses"][status]["content"]
    return content["application/json"]["examples"][name]["value"]


def test_code_answers_the_declared_example_of_that_status(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": "code=404"})
    assert response.status_code == 404
    assert response.json() == example(SEGMENTS, "404", "default")


def test_code_with_required_headers_sends_them(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": "code=429"})
    assert response.status_code == 429
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(
        response.headers
    )


def test_example_by_name_from_the_success_response(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": "example=documented"})
    assert response.status_code == 200
    assert response.json() == example(SEGMENTS, "200", "documented")


def test_example_by_name_finds_its_status(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": "example=invalid_key"})
    assert response.status_code == 401
    assert response.json() == example(SEGMENTS, "401", "invalid_key")


def test_code_and_example_together(http):
    response = http.get(
        SEGMENTS, headers={**AUTH, "Prefer": "code=400, example=too_many_parent_list_ids"}
    )
    assert response.status_code == 400
    assert response.json() == example(SEGMENTS, "400", "too_many_parent_list_ids")


def test_dynamic_generates_from_the_schema_of_the_forced_status(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": "code=403, dynamic=true"})
    assert response.status_code == 403
    body = response.json()
    assert isinstance(body["errors"], list)
    assert body != example(SEGMENTS, "403", "default")
    again = http.get(SEGMENTS, headers={**AUTH, "Prefer": "code=403, dynamic=true"})
    assert again.content == response.content  # deterministic


def test_plaintext_example_is_served_as_text(http):
    response = http.get(
        "/segment", params={"asset_ids": "a1"}, headers={**PROGRAM, "Prefer": "example=default"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "u_000142\nu_000517\nu_001203\n"


@pytest.mark.parametrize("prefer", ["code=418", "code=302"])
def test_undeclared_code_is_a_sendgrid_400(http, prefer):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": prefer})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "Prefer"
    assert "code=200" in error["message"] and "code=404" in error["message"]


def test_undeclared_code_is_a_fastapi_422(http):
    response = http.get("/segments", headers={**PROGRAM, "Prefer": "code=404"})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["header", "Prefer"]
    assert detail["type"] == "enum"
    assert detail["input"] == "code=404"
    assert "'code=200'" in detail["msg"] and "'code=422'" in detail["msg"]


def test_unknown_example_lists_the_known_ones(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": "example=nope"})
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert "example=documented" in message and "example=empty" in message


def test_malformed_code_is_refused(http):
    response = http.get(SEGMENTS, headers={**AUTH, "Prefer": "code=abc"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Prefer"


def test_parameters_are_validated_before_the_preference(http):
    response = http.get(
        SEGMENTS, params={"no_parent_list_id": "maybe"}, headers={**AUTH, "Prefer": "code=404"}
    )
    assert response.status_code == 400


def test_unknown_preferences_change_nothing(http):
    plain = http.get(SEGMENTS, headers=AUTH)
    preferred = http.get(SEGMENTS, headers={**AUTH, "Prefer": "return=minimal"})
    assert preferred.status_code == plain.status_code
    assert preferred.json() == plain.json()
