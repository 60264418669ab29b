"""A live mock per test module, reset after every test so tests never see each other's state."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.control.actions import clear_state
from mockserver.testing import LiveServer
from tests.harness import asgi_request, live_server

__all__ = ["asgi_request"]  # still imported from here by test_cors.py, test_console_page.py


@pytest.fixture(scope="module")
def live_control() -> Iterator[LiveServer]:
    with live_server(validate_responses=True) as server:
        yield server


@pytest.fixture()
def http(live_control: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_control.url, timeout=10) as client:
        yield client
    clear_state(live_control.app.control)  # no test here changes data: keep the (costly) data
