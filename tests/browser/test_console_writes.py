"""Try it writes: a JSON body from the schema's form or the raw editor, a confirmed DELETE, the
Data section following the writes, and the mock clock moved from the page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions

from tests.browser.chrome import network_requests
from tests.browser.conftest import control_api
from tests.conftest import AUTH

#: Slow (a real browser): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

V2 = "/v3/marketing/segments/2.0"
QUERY = "SELECT contact_id, updated_at FROM contact_data WHERE state_province_region = 'TX'"
HOSTILE = 'Texans <img src=x id=injected onerror="document.title=1">'


def answer_of(page, block):
    """The status line and the raw body text once the answer is rendered."""
    status = page.wait(
        lambda d: (
            (line := page.find(".answer .status", block).text) and "Sending" not in line and line
        )
    )
    return status, page.find(".answer .body", block).text


def replace(element, text):
    element.clear()
    element.send_keys(text)


def data_link(page, segment_id):
    """The Data section's link of one id, once the section shows it (it follows the journal)."""
    css = f'#inventory a[data-value="{segment_id}"]'
    return page.wait(lambda d: page.find_all(css) and page.find(css))


def sent_to(page, path):
    """The requests the page sent to an API path since the last read of the network log."""
    return [r for r in network_requests(page.driver) if r["url"].endswith(path)]


def test_the_create_form_sends_json_and_data_lists_the_new_segment(page, live_console):
    block = page.operation("sendgrid", "CreateSegmentV2")
    rendered = page.find(".curl", block).text  # the server's line for the untouched form...
    page.find('.field[data-prop="name"] input', block).send_keys("x", Keys.BACKSPACE)
    assert page.find(".curl", block).text == rendered  # ...is the line the page builds
    replace(page.find('.field[data-prop="name"] input', block), HOSTILE)
    replace(page.find('.field[data-prop="query_dsl"] textarea', block), QUERY)
    curl = page.find(".curl", block).text
    assert curl.startswith("curl -X POST -H 'Authorization: Bearer SG.")
    assert "-H 'Content-Type: application/json' -d '{\"name\":\"Texans <img" in curl
    network_requests(page.driver)  # forget the page load

    page.find("button[type=submit]", block).click()
    status, body = answer_of(page, block)
    assert status.startswith("201")
    created = json.loads(body)
    assert created["name"] == HOSTILE and created["query_dsl"] == QUERY
    assert page.find_all(".answer dl.headers", block)[0].get_attribute("textContent")
    (request,) = sent_to(page, V2)
    assert request["method"] == "POST" and request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["postData"]) == {"name": HOSTILE, "query_dsl": QUERY}

    row = page.wait(lambda d: [r for r in page.find_all("#entries > li") if V2 in r.text])[0]
    page.find("summary", row).click()  # the journal keeps the body: shown as text
    assert json.loads(page.find("pre.body", row).text) == {"name": HOSTILE, "query_dsl": QUERY}
    link = data_link(page, created["id"])  # the journal poll saw the write: Data re-rendered
    assert HOSTILE in link.text and page.find_all("#injected") == []  # text, never markup
    assert page.driver.title != "1"
    link.click()  # a created id fills the v2 read
    read = page.find("#try-sendgrid-GetSegmentV2")
    assert page.field(read, "segment_id").get_attribute("value") == created["id"]
    page.find("button[type=submit]", read).click()
    status, body = answer_of(page, read)
    assert status.startswith("200") and json.loads(body)["name"] == HOSTILE


def test_the_raw_json_editor_starts_from_the_example_and_sends_as_written(page, live_console):
    block = page.operation("sendgrid", "CreateSegmentV2")
    editor = page.find("textarea[name=json]", block)
    assert not editor.is_displayed()
    page.find("input[name=raw]", block).click()
    assert editor.is_displayed() and not page.find(".body-fields", block).is_displayed()
    spec = control_api(live_console, "GET", "specs/sendgrid.json")
    media = spec["paths"][V2]["post"]["requestBody"]["content"]["application/json"]
    assert json.loads(editor.get_attribute("value")) == media["examples"]["contact_data"]["value"]

    replace(editor, '{"name": "half')
    page.expected_failures.add(V2)
    network_requests(page.driver)
    page.find("button[type=submit]", block).click()
    status, body = answer_of(page, block)
    assert status.startswith("400")  # the API's own words for a body that is not JSON
    assert json.loads(body)["errors"][0]["field"] == "body"
    (request,) = sent_to(page, V2)
    assert request["postData"] == '{"name": "half'
    assert request["headers"]["Content-Type"] == "application/json"

    page.find("input[name=raw]", block).click()  # back to the fields, as they were
    assert page.find('.field[data-prop="name"] input', block).is_displayed()


def test_a_delete_is_confirmed_first_and_data_drops_the_segment(page, live_console):
    with httpx.Client(base_url=live_console.url, headers=AUTH) as client:
        made = client.post(V2, json={"name": "Doomed", "query_dsl": QUERY})  # another client
    assert made.status_code == 201
    segment_id = made.json()["id"]
    data_link(page, segment_id).click()  # a write by anyone shows up; its id fills its resource
    for operation in ("GetSegmentV2", "UpdateSegmentV2", "DeleteSegmentV2"):
        block = page.find(f"#try-sendgrid-{operation}")
        assert page.field(block, "segment_id").get_attribute("value") == segment_id, operation
    refresh = page.find("#try-sendgrid-RefreshSegmentV2")  # another path: left as it was
    assert page.field(refresh, "segment_id").get_attribute("value") != segment_id

    block = page.operation("sendgrid", "DeleteSegmentV2")
    assert "curl -X DELETE -H 'Authorization: Bearer SG." in page.find(".curl", block).text
    send = page.find("button[type=submit]", block)
    assert send.text == "Send DELETE"
    send.click()
    alert = page.wait(expected_conditions.alert_is_present())
    assert f"DELETE {V2}/{segment_id}" in alert.text
    alert.dismiss()  # nothing is sent
    assert not page.find(".answer", block).is_displayed()
    assert httpx.get(f"{live_console.url}{V2}/{segment_id}", headers=AUTH).status_code == 200

    send.click()
    page.wait(expected_conditions.alert_is_present()).accept()
    status, body = answer_of(page, block)
    assert status.startswith("202") and body == "(no body)"
    page.wait(lambda d: page.find_all(f'#inventory a[data-value="{segment_id}"]') == [])
    assert httpx.get(f"{live_console.url}{V2}/{segment_id}", headers=AUTH).status_code == 404


def test_the_mock_clock_is_shown_and_advanced_from_the_page(page, live_console):
    now = page.find("#clock-now")
    shown = datetime.strptime(now.text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs(shown - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert page.find("#clock-mode").text == "real time"

    replace(page.find("#clock input[name=advance]"), "PT2H")
    page.find("#clock button[type=submit]").click()
    page.wait(lambda d: page.find("#clock-mode").text == "real time +7200 s")
    moved = datetime.strptime(now.text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs(moved - datetime.now(timezone.utc) - timedelta(hours=2)) < timedelta(seconds=5)
    assert round(control_api(live_console, "GET", "clock")["offset_seconds"]) == 7200

    replace(page.find("#clock input[name=advance]"), "soon")
    page.find("#clock button[type=submit]").click()
    page.notice_says("PUT /clock:")  # the control API's reason, shown; nothing moved
    assert round(control_api(live_console, "GET", "clock")["offset_seconds"]) == 7200
    page.expected_failures.add("/__mockserver/clock")

    page.find('#clock button[data-body="real"]').click()
    page.wait(lambda d: page.find("#clock-mode").text == "real time")
    assert abs(control_api(live_console, "GET", "clock")["offset_seconds"]) < 1
