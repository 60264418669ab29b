"""A live mock per test module, reset after every test so tests never see each other's state."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.control.actions import clear_state
from mockserver.testing import LiveServer


@pytest.fixture(scope="module")
def live_control() -> Iterator[LiveServer]:
    with LiveServer(ServeConfig(validate_responses=True)) as server:
        yield server


@pytest.fixture()
def http(live_control: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_control.url, timeout=10) as client:
        yield client
    clear_state(live_control.app.control)  # no test here changes data: keep the (costly) data


def asgi_request(
    app: Any,
    method: str,
    url: str,
    client: tuple[str, int],
    base_url: str = "http://127.0.0.1:4010",
    **kwargs: Any,
):
    """One request through the ASGI app as if it came from ``client`` (a peer address), to
    ``base_url`` (its host is the ``Host`` header: loopback unless a test says otherwise)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            return await http.request(method, url, **kwargs)

    return asyncio.run(go())
