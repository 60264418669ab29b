"""The console at /__mockserver/ in a real (headless) Chromium: Try it, journal, scenarios."""

from __future__ import annotations

import json

import httpx
import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import control_api
from tests.conftest import AUTH, PROGRAM

#: Slow (a real browser): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

SEGMENTS = "/v3/marketing/segments"


def send(page, block):
    """Click Send and wait for the rendered status line; returns (status line, parsed body)."""
    page.find("form.try button[type=submit]", block).click()
    status = page.wait(
        lambda d: (
            (line := page.find(".answer .status", block).text) and "Sending" not in line and line
        )
    )
    return status, json.loads(page.find(".answer .body", block).text)


def test_try_it_form_sends_the_request_and_renders_the_answer(page, live_console):
    block = page.operation("actionhub", "get_segments_segments_get")
    assert page.field(block, "program-id").get_attribute("value") == "demo"  # identity prefilled
    Select(page.field(block, "segment_basis")).select_by_visible_text("assets")  # enum: a select
    page.field(block, "size").send_keys("3")
    page.field(block, "force_refresh").click()  # boolean: a checkbox

    status, body = send(page, block)
    assert status.startswith("200 OK")
    assert len(body["items"]) == 3 and body["size"] == 3
    headers = page.find(".answer dl.headers", block).get_attribute("textContent")
    assert "content-type" in headers and "application/json" in headers
    curl = page.find(".curl", block).text
    assert curl == (
        f"curl -H 'program-id: demo' "
        f"'{live_console.url}/segments?segment_basis=assets&force_refresh=true&size=3'"
    )
    sent = control_api(live_console, "GET", "requests", path="/segments")["requests"][-1]
    assert sent["headers"]["program-id"] == "demo"
    assert sent["params"] == {
        "segment_basis": ["assets"],
        "force_refresh": ["true"],
        "size": ["3"],
    }


def test_array_parameters_are_repeatable_inputs(page, live_console):
    links = page.find_all('#data a[data-fill="segment_id"]')[:2]
    ids = [link.get_attribute("data-value") for link in links]
    block = page.operation("sendgrid", "ListSegment")
    page.field(block, "ids").send_keys(ids[0])
    page.find('.field[data-name="ids"] button.add', block).click()
    page.find('.field[data-name="ids"] input:last-of-type', block).send_keys(ids[1])
    status, body = send(page, block)
    assert status.startswith("200")
    assert sorted(s["id"] for s in body["results"]) == sorted(ids)
    sent = control_api(live_console, "GET", "requests", path=SEGMENTS)["requests"][-1]
    assert sent["params"] == {"ids": ids}
    assert "Bearer SG." in page.find(".curl", block).text  # the SendGrid-shaped key


def test_error_answers_render_like_successes(page, live_console):
    block = page.operation("sendgrid", "GetSegment")
    segment_id = page.field(block, "segment_id")
    segment_id.clear()
    segment_id.send_keys("not-a-uuid")
    page.expected_failures.add(f"{SEGMENTS}/not-a-uuid")
    status, body = send(page, block)
    assert status.startswith("400")
    assert body["errors"][0]["field"] == "segment_id"
    assert page.find(".answer .status .code", block).get_attribute("class") == "code s4"

    actionhub = page.operation("actionhub", "get_segment_segment_get")
    page.expected_failures.add("/segment")
    status, body = send(page, actionhub)  # neither asset_ids nor labels: FastAPI's 422
    assert status.startswith("422") and body["detail"]

    # a declared status on demand, via Prefer, for a request whose parameters are valid (the
    # either-or rule is a parameter rule: checked before a scenario or Prefer, as the engine
    # checks every parameter)
    page.field(actionhub, "labels").send_keys("cat-tents")
    Select(page.find("select[name=prefer]", actionhub)).select_by_value("code=503")
    status, body = send(page, actionhub)
    assert status.startswith("503") and "detail" in body


def test_a_data_id_fills_try_it(page, live_console):
    link = page.find('#data a[data-fill="segment_id"]:nth-of-type(2)')
    wanted = link.get_attribute("data-value")
    link.click()
    block = page.find("#try-sendgrid-GetSegment")
    assert block.get_attribute("open") is not None
    assert page.field(block, "segment_id").get_attribute("value") == wanted
    assert page.driver.switch_to.active_element == page.field(block, "segment_id")
    status, body = send(page, block)
    assert status.startswith("200") and body["id"] == wanted


def test_keyboard_alone_sends_a_request(page):
    block = page.operation("actionhub", "get_segments_segments_get")
    size = page.field(block, "size")
    size.send_keys("2", Keys.ENTER)  # Enter in a field submits its form
    page.wait(lambda d: page.find(".answer .status", block).text.startswith("200"))
    assert len(json.loads(page.find(".answer .body", block).text)["items"]) == 2

    size.send_keys(Keys.BACKSPACE, "1", Keys.TAB, Keys.TAB, Keys.TAB)  # program-id, Answer, Send
    assert page.driver.switch_to.active_element == page.find("button[type=submit]", block)
    page.driver.switch_to.active_element.send_keys(Keys.ENTER)  # Enter on Send sends
    page.wait(lambda d: len(json.loads(page.find(".answer .body", block).text)["items"]) == 1)


def test_scenario_set_on_the_page_changes_the_next_api_answer(page, live_console):
    form = page.find('form.scenario[data-key="sendgrid/ListSegment"]')
    Select(page.find("select[name=answer]", form)).select_by_value("code=503")
    page.find("input[name=times]", form).send_keys("1")
    page.find("button[type=submit]", form).click()
    page.wait(lambda d: page.find("output", form).text == "code 503, next 1")

    with httpx.Client(base_url=live_console.url, headers=AUTH) as client:
        assert client.get(SEGMENTS).status_code == 503
        assert client.get(SEGMENTS).status_code == 200  # only once
    page.wait(lambda d: page.find("output", form).text == "")  # the page saw it used up


def test_an_operations_fault_set_on_the_page_fails_that_operation_alone(page, live_console):
    form = page.find('form.fault[data-key="sendgrid/ListSegment"]')
    page.find("input[name=error_rate]", form).send_keys("1")
    page.find("button[type=submit]", form).click()
    page.notice_says("PUT /faults/sendgrid/ListSegment: done")
    with httpx.Client(base_url=live_console.url, headers=AUTH) as client:
        assert client.get(SEGMENTS).status_code in (500, 503)
        segment = page.find('#data a[data-fill="segment_id"]').get_attribute("data-value")
        assert client.get(f"{SEGMENTS}/{segment}").status_code == 200  # another operation

    page.open()  # the server renders what is in force
    form = page.find('form.fault[data-key="sendgrid/ListSegment"]')
    assert page.find("input[name=error_rate]", form).get_attribute("value") == "1"
    page.find('#faults button[data-call="DELETE /faults"]').click()  # clears every fault
    page.wait(lambda d: page.find("input[name=error_rate]", form).get_attribute("value") == "")
    assert control_api(live_console, "GET", "faults")["operations"] == {}


def test_live_journal_shows_another_clients_request_within_2_s(page, live_console):
    with httpx.Client(base_url=live_console.url) as client:
        client.get("/segments", params={"size": "7", "pagesize": "9"}, headers=PROGRAM)
        client.get(f"{SEGMENTS}/<img src=x id=injected>", headers=AUTH)
        client.get("/segments", params={f"x{n}": "1" for n in range(7)}, headers=PROGRAM)
    page.expected_failures.add("/v3/marketing/segments/%3Cimg")
    row = page.wait(
        lambda d: next(
            (r for r in page.find_all("#entries > li") if "/segments?size=7" in r.text), None
        ),
        timeout=2,
    )
    summary = row.text
    assert "GET" in summary and "200" in summary and "ms" in summary
    assert 'unknown query parameter "pagesize"' in summary  # the server's warning, as it said it
    assert page.find_all(".note.warn", row) and not page.find_all(".source", row)  # the mock's own
    page.find("summary", row).click()
    details = row.text
    assert "program-id" in details and "demo" in details and "size" in details

    crowded = page.wait(lambda d: next(r for r in page.find_all("#entries > li") if "x6" in r.text))
    shown = [note.text for note in page.find_all("summary .note", crowded)]  # closed: five
    assert shown == [f'unknown query parameter "x{n}"' for n in range(5)] + ["2 more notes"]
    page.find("summary", crowded).click()  # open: all seven
    assert len(page.find_all("ul.notes .warn", crowded)) == 7

    hostile = page.wait(
        lambda d: next(r for r in page.find_all("#entries > li") if "img" in r.text)
    )
    assert "<img src=x id=injected>" in hostile.text  # shown as text...
    assert page.find_all("#injected") == []  # ...never as markup
    page.find("summary", hostile).click()
    assert "Bearer SG.***" in hostile.text and AUTH["Authorization"][10:] not in hostile.text

    Select(page.find("#journal-filter select[name=status]")).select_by_visible_text("4xx")
    assert not row.is_displayed() and hostile.is_displayed()
    Select(page.find("#journal-filter select[name=status]")).select_by_visible_text("all")
    Select(page.find("#journal-filter select[name=api]")).select_by_visible_text("actionhub")
    assert row.is_displayed() and not hostile.is_displayed()
    Select(page.find("#journal-filter select[name=api]")).select_by_visible_text("all")
    page.find("#journal-filter input[name=noted]").click()  # with warnings or violations only
    assert row.is_displayed() and not hostile.is_displayed()

    page.find('#journal-filter button[data-call="DELETE /requests"]').click()
    page.wait(lambda d: page.find_all("#entries > li") == [])
    assert control_api(live_console, "GET", "requests")["count"] == 0


def test_every_control_is_exactly_one_control_api_call(page, live_console):
    """Walk every control on the page; each sends its one call, as JSON, and nothing else."""
    controls = page.find_all("[data-call]")
    operations = sum(
        len(set(methods) & {"get", "put", "post", "delete", "patch"})
        for api in control_api(live_console, "GET", "health")["apis"]
        for methods in control_api(live_console, "GET", f"specs/{api}.json")["paths"].values()
    )
    # scenario set/clear and fault set/clear per operation; every operation's faults, journal,
    # reset; the clock (advance, real time)
    assert len(controls) == 4 * operations + 2 + 2 + 2
    page.control_calls()  # forget the page load
    for control in controls:
        expected = control.get_attribute("data-call")
        if control.tag_name == "form":
            if control.get_attribute("id") == "clock":
                page.find("input[name=advance]", control).clear()
                page.find("input[name=advance]", control).send_keys("PT1M")
            elif "scenario" in control.get_attribute("class"):
                Select(page.find("select[name=answer]", control)).select_by_index(1)
                page.find("input[name=times]", control).send_keys("2")
            else:  # a fault: one operation's or every operation's
                page.find("input[name=latency]", control).send_keys("1-3")
                page.find("input[name=error_rate]", control).send_keys("0")
            page.find("button[type=submit]", control).click()
        else:
            control.click()
        page.notice_says(f"{expected}: done")
        calls = page.control_calls()
        assert [c["call"] for c in calls] == [expected], expected
        call = calls[0]
        if not expected.startswith("GET"):
            assert call["content_type"] == "application/json"
        if expected.startswith("PUT /scenarios/"):
            key = expected.removeprefix("PUT /scenarios/")
            assert call["body"]["times"] == 2
            assert control_api(live_console, "GET", "scenarios")["scenarios"][key]["remaining"] == 2
        if expected.startswith("PUT /faults"):
            assert call["body"] == {"latency": "1-3", "error_rate": 0}
            faults = control_api(live_console, "GET", "faults")
            key = expected.removeprefix("PUT /faults").lstrip("/")
            stored = faults["operations"][key] if key else faults["global"]
            assert stored == {"latency_ms": [1.0, 3.0], "error_rate": 0.0}
        if expected == "PUT /clock":
            assert call["body"] in ({"advance": "PT1M"}, {"real": True})
        if expected.startswith("DELETE /faults/"):
            assert control_api(live_console, "GET", "faults")["operations"] == {}
    assert control_api(live_console, "GET", "scenarios")["scenarios"] == {}  # Reset was the last


def test_page_is_ready_for_a_strict_csp(page):
    """No inline script, handler or style: ``default-src 'self'`` would allow the whole page."""
    html = page.driver.page_source
    scripts = page.find_all("script")
    assert scripts and all(s.get_attribute("src") for s in scripts)
    inline = page.driver.execute_script(
        "return [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on') || a.name === 'style').map(a => a.name))"
    )
    assert inline == []
    assert "http://" not in html.replace(page.base_url, "").split("<main")[0]  # nothing off-site
