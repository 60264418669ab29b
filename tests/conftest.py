"""Shared fixtures: an in-process ASGI client and a live server, both validating responses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.testing import LiveServer

SENDGRID_KEY = "SG." + "a" * 22 + "." + "b" * 43
AUTH = {"Authorization": f"Bearer {SENDGRID_KEY}"}
PROGRAM = {"program-id": "demo"}
#: A control call that changes something says its body is JSON (browser forms cannot).
JSON = {"content-type": "application/json"}


class Clock:
    """A clock that stays where a test sets it (rate-limit windows, memo epochs)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def live() -> Iterator[LiveServer]:
    """Both APIs, default seed and fixtures, response validation on."""
    with LiveServer(ServeConfig(validate_responses=True)) as server:
        yield server


@pytest.fixture()
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as http:
        yield http
