"""Shared fixtures: the default mock live (responses validated) and an HTTP client on it.

How tests run the mock (in process, live, as a subprocess) is tests/harness.py's job.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.testing import LiveServer
from tests.harness import Clock, live_server

__all__ = ["Clock"]  # test_memo_door.py still imports it from here

SENDGRID_KEY = "SG." + "a" * 22 + "." + "b" * 43
AUTH = {"Authorization": f"Bearer {SENDGRID_KEY}"}
PROGRAM = {"program-id": "demo"}
#: A control call that changes something says its body is JSON (browser forms cannot).
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="session")
def live_mock() -> Iterator[LiveServer]:
    """Both APIs, default seed and fixtures, response validation on."""
    with live_server(validate_responses=True) as server:
        yield server


@pytest.fixture()
def client(live_mock: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client on ``live_mock``."""
    with httpx.Client(base_url=live_mock.url, timeout=10) as http:
        yield http
