"""With --control-token the console asks for the token once per tab and sends it as a header."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from mockserver.testing import LiveServer
from tests.browser.chrome import network_requests, viewport
from tests.browser.conftest import CONSOLE, Console
from tests.conftest import PROGRAM
from tests.harness import live_server

#: Slow (a real browser): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def live_tokened() -> Iterator[LiveServer]:
    with live_server(apis=("actionhub",), control_token=TOKEN) as server:
        yield server


@pytest.fixture()
def locked(browser, live_tokened) -> Iterator[Console]:
    viewport(browser, 1280, 900)
    browser.get(live_tokened.url + "/__mockserver/health")  # same origin: clear its storage
    browser.execute_script("sessionStorage.clear()")
    browser.get_log("browser"), browser.get_log("performance")
    console = Console(browser, live_tokened.url)
    console.expected_failures.add("/__mockserver/health")  # the 403 just above
    console.expected_failures.add("/favicon.ico")  # Chrome asks for it beside a JSON page, late
    yield console.open()
    assert console.console_errors() == []
    browser.get("about:blank")


def unlock(page: Console, token: str) -> None:
    field = page.find("#unlock input[name=token]")
    field.clear()
    field.send_keys(token)
    page.find("#unlock button").click()


def test_the_token_is_asked_once_then_kept_for_the_tab(locked, live_tokened):
    page = locked
    assert page.driver.execute_script("return document.documentElement.dataset.console") == "locked"
    assert "missing or wrong control token" in page.find(".refusal").text
    assert page.find_all("#entries") == []

    unlock(page, "wrong")
    page.expected_failures.add(CONSOLE)  # the refused page fetch
    page.notice_says("That control token was refused.")
    unlock(page, TOKEN)
    page.wait(
        lambda d: d.execute_script("return document.documentElement.dataset.console") == "ready"
    )

    with httpx.Client(base_url=live_tokened.url) as client:
        client.get("/segments", params={"size": "4"}, headers=PROGRAM)
    page.wait(lambda d: any("size=4" in row.text for row in page.find_all("#entries > li")))

    page.open()  # a reload: the token comes from session storage, nobody is asked again
    page.wait(
        lambda d: d.execute_script("return document.documentElement.dataset.console") == "ready"
    )
    page.wait(lambda d: any("size=4" in row.text for row in page.find_all("#entries > li")))

    sent = network_requests(page.driver)
    assert sent and all("token=" not in request["url"] for request in sent)  # never in a URL
    polls = [r for r in sent if urlsplit(r["url"]).path == CONSOLE + "requests"]
    assert polls and all(r["headers"].get("X-Mockserver-Token") == TOKEN for r in polls)
