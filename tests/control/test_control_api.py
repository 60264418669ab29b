"""The control API over HTTP: health, journal, reset, scenarios, faults, specs, guard."""

from __future__ import annotations

import logging

import pytest
import yaml

from mockserver.app import MockApp
from tests.conftest import AUTH, JSON, PROGRAM
from tests.harness import asgi_request, mock_app

SEGMENTS = "/v3/marketing/segments"
CONTROL = "/__mockserver"
ZERO = "00000000-0000-0000-0000-000000000000"


def test_health(http):
    body = http.get(f"{CONTROL}/health").json()
    assert body["status"] == "ok"
    assert body["apis"] == ["actionhub", "sendgrid"]


def test_journal_records_requests_newest_last_with_masked_secrets(http):
    http.get(SEGMENTS, params={"ids": ZERO}, headers=AUTH)
    http.get("/segments", headers=PROGRAM)
    http.get("/nowhere")
    requests = http.get(f"{CONTROL}/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("GET", SEGMENTS, 200),
        ("GET", "/segments", 200),
        ("GET", "/nowhere", 404),
    ]
    first = requests[0]
    assert first["query"] == f"ids={ZERO}" and first["params"] == {"ids": [ZERO]}
    assert first["api"] == "sendgrid" and first["operation"] == "ListSegment"
    assert first["headers"]["authorization"] == "Bearer SG.***"
    assert AUTH["Authorization"].split()[1] not in http.get(f"{CONTROL}/requests").text
    assert first["ms"] >= 0
    assert requests[1]["headers"]["program-id"] == "demo"


def test_journal_filters_and_clears(http):
    http.get(SEGMENTS, headers=AUTH)
    http.get(f"{SEGMENTS}/00000000-0000-0000-0000-000000000000", headers=AUTH)
    http.get("/segments", headers=PROGRAM)
    by_path = http.get(f"{CONTROL}/requests", params={"path": SEGMENTS}).json()
    assert by_path["count"] == 1
    wildcard = http.get(f"{CONTROL}/requests", params={"path": f"{SEGMENTS}*"}).json()
    assert wildcard["count"] == 2
    assert http.get(f"{CONTROL}/requests", params={"method": "post"}).json()["count"] == 0
    assert http.get(f"{CONTROL}/requests", params={"api": "actionhub"}).json()["count"] == 1
    assert http.delete(f"{CONTROL}/requests", headers=JSON).json() == {"cleared": 3}
    assert http.get(f"{CONTROL}/requests").json() == {"count": 0, "requests": []}


def test_control_calls_are_not_journaled(http):
    http.get(f"{CONTROL}/health")
    assert http.get(f"{CONTROL}/requests").json()["count"] == 0


def test_scenario_for_next_n_requests(http):
    put = http.put(f"{CONTROL}/scenarios/sendgrid/ListSegment", json={"code": 503, "times": 2})
    assert put.status_code == 200
    assert put.json() == {"code": 503, "example": None, "dynamic": False, "remaining": 2}
    statuses = [http.get(SEGMENTS, headers=AUTH).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert http.get(f"{CONTROL}/scenarios").json() == {"scenarios": {}}


def test_scenario_until_cleared(http):
    http.put(f"{CONTROL}/scenarios/sendgrid/ListSegment", json={"example": "documented"})
    forced = [http.get(SEGMENTS, headers=AUTH).json() for _ in range(3)]
    assert all(
        len(body["results"]) == 2 and body["results"][1]["name"] == "amet" for body in forced
    )
    listed = http.get(f"{CONTROL}/scenarios").json()["scenarios"]
    assert listed["sendgrid/ListSegment"]["remaining"] is None
    assert http.delete(f"{CONTROL}/scenarios/sendgrid/ListSegment", headers=JSON).json() == {
        "cleared": True
    }
    assert http.get(SEGMENTS, headers=AUTH).json() != forced[0]
    assert http.get(f"{CONTROL}/scenarios").json() == {"scenarios": {}}


def test_prefer_header_wins_over_a_scenario(http):
    http.put(f"{CONTROL}/scenarios/sendgrid/ListSegment", json={"code": 503})
    assert http.get(SEGMENTS, headers={**AUTH, "Prefer": "code=404"}).status_code == 404
    assert http.get(SEGMENTS, headers=AUTH).status_code == 503


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"code": 418}, "code=404"),
        ({"example": "nope"}, "example=empty"),
        ({"code": "x"}, "code must be"),
        ({"times": 0}, "times must be"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({}, "needs code, example or dynamic"),
    ],
)
def test_invalid_scenarios_are_refused_with_reasons(http, body, reason):
    response = http.put(f"{CONTROL}/scenarios/sendgrid/ListSegment", json=body)
    assert response.status_code == 400
    assert any(reason in text for text in response.json()["reasons"])
    assert http.get(f"{CONTROL}/scenarios").json() == {"scenarios": {}}


def test_scenario_on_unknown_operation_is_404(http):
    response = http.put(f"{CONTROL}/scenarios/sendgrid/Nope", json={"code": 404})
    assert response.status_code == 404
    assert "ListSegment" in response.json()["error"]
    assert http.put(f"{CONTROL}/scenarios/nope/X", json={"code": 404}).status_code == 404


def test_scenario_body_must_be_json(http):
    response = http.put(f"{CONTROL}/scenarios/sendgrid/ListSegment", content=b"{nope", headers=JSON)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_error_rate_fault_answers_500_or_503_in_the_dialect(http):
    put = http.put(f"{CONTROL}/faults", json={"error_rate": 1})
    assert put.json()["global"] == {"latency_ms": None, "error_rate": 1.0}
    sendgrid = [http.get(SEGMENTS, headers=AUTH) for _ in range(12)]
    assert {r.status_code for r in sendgrid} == {500, 503}
    assert all(list(r.json()) == ["errors"] for r in sendgrid)
    actionhub = http.get("/segments", headers=PROGRAM)
    assert actionhub.status_code in (500, 503) and "detail" in actionhub.json()


def test_operation_fault_overrides_the_global_one(http):
    http.put(f"{CONTROL}/faults", json={"error_rate": 1})
    http.put(f"{CONTROL}/faults/sendgrid/ListSegment", json={"error_rate": 0})
    assert http.get(SEGMENTS, headers=AUTH).status_code == 200
    assert http.get("/segments", headers=PROGRAM).status_code in (500, 503)
    assert http.get(f"{CONTROL}/faults/sendgrid/ListSegment").json()["error_rate"] == 0
    http.delete(f"{CONTROL}/faults", headers=JSON)
    assert http.get("/segments", headers=PROGRAM).status_code == 200


def test_latency_fault_delays_the_answer(http):
    http.put(f"{CONTROL}/faults/sendgrid/ListSegment", json={"latency": "250-260"})
    assert http.get(SEGMENTS, headers=AUTH).status_code == 200
    http.get("/segments", headers=PROGRAM)
    slow, fast = http.get(f"{CONTROL}/requests").json()["requests"]
    assert slow["ms"] >= 250
    assert fast["ms"] < 250  # the other operation is not delayed


@pytest.mark.parametrize(
    "body", [{"latency": "soon"}, {"error_rate": 2}, {"latency": [5]}, {"speed": 1}, [1]]
)
def test_invalid_faults_change_nothing(http, body):
    response = http.put(f"{CONTROL}/faults", json=body)
    assert response.status_code == 400 and response.json()["reasons"]
    assert http.get(f"{CONTROL}/faults").json()["global"]["error_rate"] == 0.0


def test_reset_clears_journal_scenarios_and_faults(http):
    http.get(SEGMENTS, headers=AUTH)
    http.put(f"{CONTROL}/scenarios/sendgrid/ListSegment", json={"code": 404})
    http.put(f"{CONTROL}/faults/sendgrid/GetSegment", json={"error_rate": 1})
    assert http.post(f"{CONTROL}/reset", headers=JSON).json() == {"status": "reset"}
    assert http.get(f"{CONTROL}/requests").json()["count"] == 0
    assert http.get(f"{CONTROL}/scenarios").json() == {"scenarios": {}}
    assert http.get(f"{CONTROL}/faults").json()["operations"] == {}
    assert http.get(SEGMENTS, headers=AUTH).status_code == 200


def test_raw_specs_are_served(http):
    text = http.get(f"{CONTROL}/specs/sendgrid.yaml")
    assert text.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(text.text)["info"]["title"].startswith("Twilio SendGrid")
    assert http.get(f"{CONTROL}/specs/actionhub.json").json()["info"]["title"] == "ActionHub"
    assert http.get(f"{CONTROL}/specs/actionhub.xml").status_code == 404
    assert http.get(f"{CONTROL}/specs/nope.yaml").status_code == 404


def test_index_page_lists_apis_operations_and_links(http):
    response = http.get(f"{CONTROL}/")
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for needle in (
        "ListSegment",
        "GetSegment",
        "get_segments_segments_get",
        "/segment",
        f"{CONTROL}/specs/sendgrid.yaml",
        f"{CONTROL}/static/console.css",
    ):
        assert needle in page
    assert "http://" not in page.split("<body")[0].replace(http.base_url.host, "")  # no CDN
    css = http.get(f"{CONTROL}/static/console.css")
    assert css.status_code == 200 and "body" in css.text
    assert http.get(CONTROL, follow_redirects=False).status_code == 308


def test_unknown_control_path_is_json_404(http):
    response = http.get(f"{CONTROL}/nope")
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}


@pytest.fixture(scope="module")
def guarded_app() -> MockApp:
    return mock_app(apis=("sendgrid",))


def test_control_refuses_non_loopback_callers(guarded_app):
    remote = asgi_request(guarded_app, "GET", f"{CONTROL}/health", ("192.0.2.7", 4000))
    assert remote.status_code == 403
    assert "--control-token" in remote.json()["error"]
    local = asgi_request(guarded_app, "GET", f"{CONTROL}/health", ("127.0.0.1", 4000))
    assert local.status_code == 200
    v6 = asgi_request(guarded_app, "GET", f"{CONTROL}/health", ("::1", 4000))
    assert v6.status_code == 200
    # the vendor API itself answers anyone
    api = asgi_request(guarded_app, "GET", SEGMENTS, ("192.0.2.7", 4000), headers=AUTH)
    assert api.status_code == 200


def test_control_token_admits_remote_callers_that_send_it():
    app = mock_app(apis=("sendgrid",), control_token="s3cret")
    remote = ("192.0.2.7", 4000)
    assert asgi_request(app, "GET", f"{CONTROL}/health", remote).status_code == 403
    assert asgi_request(app, "GET", f"{CONTROL}/health", ("127.0.0.1", 1)).status_code == 403
    header = {"X-Mockserver-Token": "s3cret"}
    assert asgi_request(app, "GET", f"{CONTROL}/health", remote, headers=header).status_code == 200
    query = f"{CONTROL}/health?token=s3cret"
    assert asgi_request(app, "GET", query, remote).status_code == 200
    wrong = {"X-Mockserver-Token": "guess"}
    assert asgi_request(app, "GET", f"{CONTROL}/health", remote, headers=wrong).status_code == 403


def test_no_control_turns_the_plane_off():
    app = mock_app(apis=("sendgrid",), control=False)
    response = asgi_request(app, "GET", f"{CONTROL}/health", ("127.0.0.1", 1))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": None, "message": "resource not found"}]}
    page = asgi_request(app, "GET", f"{CONTROL}/", ("127.0.0.1", 1))  # the console says why
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "The control plane is off" in page.text and "--no-control" in page.text
    assert asgi_request(app, "GET", CONTROL, ("127.0.0.1", 1)).status_code == 404
    assert asgi_request(app, "POST", f"{CONTROL}/reset", ("127.0.0.1", 1)).status_code == 404


def test_one_log_line_per_request_with_masked_secrets(http, caplog):
    with caplog.at_level(logging.INFO, logger="mockserver.access"):
        http.get(SEGMENTS, params={"api_key": "topsecret", "ids": ZERO}, headers=AUTH)
    lines = [r.getMessage() for r in caplog.records if r.name == "mockserver.access"]
    assert len(lines) == 1
    line, warning = lines[0].split("; ")  # api_key is no parameter of ListSegment
    method, target, status, ms = line.split()
    assert (method, status) == ("GET", "200")
    assert target == f"{SEGMENTS}?api_key=***&ids={ZERO}"
    assert ms.endswith("ms")
    assert warning == 'unknown query parameter "api_key"'
    assert "topsecret" not in caplog.text and AUTH["Authorization"][10:] not in caplog.text


def test_warning_level_silences_the_request_log(http, caplog):
    with caplog.at_level(logging.WARNING, logger="mockserver.access"):
        http.get(SEGMENTS, headers=AUTH)
    assert not [r for r in caplog.records if r.name == "mockserver.access"]


def test_head_and_unknown_methods_are_journaled(http):
    http.head(SEGMENTS, headers=AUTH)
    http.post(SEGMENTS, headers=AUTH)
    requests = http.get(f"{CONTROL}/requests").json()["requests"]
    assert [(r["method"], r["status"]) for r in requests] == [("HEAD", 200), ("POST", 405)]
    assert isinstance(requests[0]["ms"], float)


def test_masked_secret_in_journal_is_not_the_key(http):
    http.get(SEGMENTS, headers={"Authorization": "Bearer SG.zzzzzzzzzzzzzzzzzzzzzz.y"})
    entry = http.get(f"{CONTROL}/requests").json()["requests"][0]
    assert entry["headers"]["authorization"] == "Bearer SG.***"
