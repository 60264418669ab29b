"""The one way tests run the mock, so each test says only what differs: its configuration.

Three shapes, and fixture names that say which one they hold:

- ``*_app``: a ``MockApp`` in this process, reached through ASGI (``mock_app``,
  ``asgi_request``) — no socket, the quickest;
- ``live_*``: the mock served by uvicorn in a thread on a free loopback port (``live_server``);
  ``live_asgi`` serves any other ASGI app (a proxy, a drifting stand-in) the same way;
- ``*_process``: ``mockserver serve`` in a subprocess (``tests.processes.MockProcess``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.state.base import State
from mockserver.testing import LiveServer, ThreadedServer
from mockserver.vendors.interface import Vendor

#: The peer an in-process request comes from unless a test says otherwise (control calls
#: answer loopback peers only).
LOOPBACK_PEER = ("127.0.0.1", 50000)


class Clock:
    """A clock that stays where a test sets it (rate-limit windows, memo epochs): the ``clock``
    collaborator of ``mock_app`` and ``live_server``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def serve_config(config: ServeConfig | None = None, **fields: Any) -> ServeConfig:
    """``config`` (default: the defaults) with ``fields`` replaced."""
    return dataclasses.replace(config or ServeConfig(), **fields)


def mock_app(
    config: ServeConfig | None = None,
    *,
    state: State | None = None,
    clock: Callable[[], float] = time.time,
    vendors: Mapping[str, Vendor] | None = None,
    **fields: Any,
) -> MockApp:
    """The mock as an ASGI app in this process: ``config`` with ``fields`` replaced, and the
    collaborators ``build_app`` takes."""
    return build_app(serve_config(config, **fields), state=state, clock=clock, vendors=vendors)


def live_server(
    config: ServeConfig | None = None,
    *,
    state: State | None = None,
    clock: Callable[[], float] = time.time,
    vendors: Mapping[str, Vendor] | None = None,
    lifespan: str = "off",
    **fields: Any,
) -> LiveServer:
    """The mock on a free loopback port (use as a context manager): ``config`` with ``fields``
    replaced; ``lifespan="on"`` runs the app's start-up and shutdown (shared-state listeners)."""
    return LiveServer(
        serve_config(config, **fields), state=state, clock=clock, vendors=vendors, lifespan=lifespan
    )


def live_asgi(
    app: Any, config: ServeConfig | None = None, **uvicorn_options: Any
) -> ThreadedServer:
    """Any ASGI app (a proxy, a stand-in upstream) on a free loopback port, as a context
    manager; ``uvicorn_options`` as ``uvicorn.Config`` takes them."""
    return ThreadedServer(app, config, **uvicorn_options)


def asgi_request(
    app: Any,
    method: str,
    url: str,
    client: tuple[str, int] = LOOPBACK_PEER,
    base_url: str = "http://127.0.0.1:4010",
    **kwargs: Any,
) -> httpx.Response:
    """One request through the ASGI app as if it came from ``client`` (a peer address), to
    ``base_url`` (its host is the ``Host`` header: loopback unless a test says otherwise)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            return await http.request(method, url, **kwargs)

    return asyncio.run(go())
