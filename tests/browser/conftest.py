"""One headless Chromium for the browser tests, a live mock per module, the console page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mockserver.testing import LiveServer
from tests.browser.chrome import MISSING, chromium, find_chromium, network_requests, viewport
from tests.harness import live_server

CONSOLE = "/__mockserver/"
WAIT = 10  # seconds a condition may take; the live-journal test uses its own 2 s


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if find_chromium() is None:
        pytest.skip(MISSING)
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def live_console() -> Iterator[LiveServer]:
    with live_server(validate_responses=True) as server:
        yield server


class Console:
    """The console page in the browser, with the waits and reads the tests share."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url
        #: Error-status answers the test asked for: Chrome logs each as a network "error".
        self.expected_failures: set[str] = set()

    def open(self, path: str = CONSOLE) -> Console:
        self.driver.get(self.base_url + path)
        self.wait(lambda d: d.execute_script("return document.documentElement.dataset.console"))
        return self

    def wait(self, condition: Any, timeout: float = WAIT) -> Any:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(condition)

    def find(self, css: str, root: Any = None) -> Any:
        return (root or self.driver).find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str, root: Any = None) -> list[Any]:
        return (root or self.driver).find_elements(By.CSS_SELECTOR, css)

    def operation(self, api: str, operation_id: str) -> Any:
        """The Try-it block of one operation, opened."""
        block = self.find(f"#try-{api}-{operation_id}")
        if block.get_attribute("open") is None:
            self.find("summary", block).click()
        return block

    def field(self, block: Any, name: str, css: str = "input, select") -> Any:
        return self.find(f'.field[data-name="{name}"] :is({css})', block)

    def notice_says(self, text: str) -> Any:
        return self.wait(lambda d: text in self.find("#notice").text and self.find("#notice"))

    def control_calls(self) -> list[dict[str, Any]]:
        """Control-API calls the page sent since the last read, the journal poll left out."""
        calls = []
        for request in network_requests(self.driver):
            url = urlsplit(request["url"])
            if not url.path.startswith(CONSOLE) or url.path.startswith(CONSOLE + "static/"):
                continue
            if url.path == CONSOLE or (request["method"], url.path) in POLLS:
                continue
            body = request.get("postData")
            calls.append(
                {
                    "call": f"{request['method']} {url.path.removeprefix(CONSOLE[:-1])}",
                    "content_type": request["headers"].get("Content-Type"),
                    "body": json.loads(body) if body else None,
                }
            )
        return calls

    def console_errors(self) -> list[dict[str, Any]]:
        """Browser log errors, less Chrome's note of each error answer a test asked for."""
        return [
            entry
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
            and not (
                entry.get("source") == "network"
                and any(url in entry["message"] for url in self.expected_failures)
            )
        ]


#: Background reads the page makes on its own: the journal poll, the scenario refresh and the
#: clock read after a reset.
POLLS = {("GET", CONSOLE + "requests"), ("GET", CONSOLE + "scenarios"), ("GET", CONSOLE + "clock")}


def control_api(server: Any, method: str, endpoint: str, **params: Any) -> Any:
    """One control-API call over HTTP (the URLs and shapes stay put while the internals move)."""
    headers = {} if method == "GET" else {"content-type": "application/json"}  # no form may
    response = httpx.request(
        method, f"{server.url}{CONSOLE}{endpoint}", params=params, headers=headers, timeout=10
    )
    response.raise_for_status()
    return response.json()


@contextmanager
def console_of(browser: Any, server: Any) -> Iterator[Console]:
    """The console of ``server`` (anything with a ``url``: a mock, a proxy), reset first; no
    browser console errors by the end."""
    control_api(server, "POST", "reset")
    viewport(browser, 1280, 900)
    browser.get("about:blank")
    browser.get_log("browser"), browser.get_log("performance")  # start from empty logs
    console = Console(browser, server.url).open()
    yield console
    assert console.console_errors() == []
    browser.get("about:blank")  # stop the page's polling before the server is reset


@pytest.fixture()
def page(browser: Any, live_console: LiveServer) -> Iterator[Console]:
    with console_of(browser, live_console) as console:
        yield console
