"""Run a mock server (or any ASGI app) inside the current process, on a free loopback port,
bound before the server thread starts: a client can connect at once (the kernel queues it)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import uvicorn

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig
from mockserver.server import uvicorn_settings
from mockserver.state.base import State
from mockserver.vendors.interface import Vendor

Server = TypeVar("Server", bound="ThreadedServer")


class ThreadedServer:
    """Any ASGI app served by uvicorn in a daemon thread, on a free loopback port."""

    def __init__(self, app: Any, config: ServeConfig | None = None, **uvicorn_options: Any) -> None:
        self.app = app
        self.config = config or ServeConfig()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        host, port = self._socket.getsockname()
        self.url = f"http://{host}:{port}"
        options = {
            "log_level": "warning",
            "lifespan": "off",
            **uvicorn_settings(self.config),
            **uvicorn_options,
        }
        self._server = uvicorn.Server(uvicorn.Config(self.app, **options))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self: Server) -> Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self: Server) -> Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class LiveServer(ThreadedServer):
    """The mock on a free loopback port. ``clock`` is the mock's time source (a fixed one keeps
    rate-limit windows still); ``vendors`` replaces registered vendors by API name (a stand-in
    vendor in tests); ``state`` is a store the test holds too (default: from ``config``)."""

    def __init__(
        self,
        config: ServeConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        vendors: Mapping[str, Vendor] | None = None,
        state: State | None = None,
        **uvicorn_options: Any,
    ) -> None:
        config = config or ServeConfig()
        self.app: MockApp
        app = build_app(config, state=state, clock=clock, vendors=vendors)
        super().__init__(app, config, **uvicorn_options)
