"""A page of another origin frames the console (unlocked on loopback) and tries to click
"Reset everything" through the frame: the browser refuses to render the console in the frame
(CSP ``frame-ancestors 'none'``, ``X-Frame-Options: DENY``), so there is nothing to click and
the journal keeps its entries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mockserver.testing import LiveServer
from tests.browser.conftest import CONSOLE, WAIT, control_api
from tests.conftest import PROGRAM

#: Slow (a real browser): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

RESET = 'button[data-call="POST /reset"]'


def attacker_page(console_url: str) -> bytes:
    return (
        "<!doctype html><title>win a prize</title>"
        f'<iframe id="victim" src="{console_url}" width="1200" height="900" '
        "onload=\"document.body.dataset.framed = 'yes'\"></iframe>"
    ).encode()


@pytest.fixture()
def attacker(live_console: LiveServer) -> Iterator[str]:
    """A site of another origin (another port) whose page frames the mock's console."""
    page = attacker_page(live_console.url + CONSOLE)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_framed_console_cannot_be_clicked_through(browser, live_console, attacker):
    control_api(live_console, "POST", "reset")
    answer = httpx.get(f"{live_console.url}/segments", headers=PROGRAM, timeout=10)
    assert answer.status_code == 200  # one journal entry a reset would wipe
    assert control_api(live_console, "GET", "requests")["count"] == 1

    browser.get(attacker)
    frame = WebDriverWait(browser, WAIT, poll_frequency=0.05).until(
        lambda d: (
            d.execute_script("return document.body.dataset.framed")
            and d.find_element(By.ID, "victim")
        )
    )
    browser.switch_to.frame(frame)
    try:
        buttons = browser.find_elements(By.CSS_SELECTOR, RESET)
        for button in buttons:  # what the attacker's overlay steers the user's click onto
            button.click()
        rendered = browser.execute_script("return document.documentElement.dataset.console")
    finally:
        browser.switch_to.default_content()
        browser.get("about:blank")
    assert buttons == [] and rendered is None
    assert control_api(live_console, "GET", "requests")["count"] == 1
